# syntax=docker/dockerfile:1
# Multi-stage image for the API, the worker and the CLIs (migrate, doctor): same image, different command.
#   docker build -t tenantql .
#   docker run --env-file .env -p 4000:4000 tenantql                      # API
#   docker run --env-file .env tenantql node dist/src/worker.js           # worker
#   docker run --env-file .env tenantql node dist/src/cli/migrate.js up   # migrations
#   docker run --env-file .env tenantql node dist/src/cli/doctor.js       # preflight checks
ARG NODE_VERSION=20.20

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY migrations ./migrations
RUN npm run build

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production
# pg_dump for tenant backups (deleteTenant with backup); its major version must be >= the server's.
RUN apt-get update \
  && apt-get install -y --no-install-recommends postgresql-client \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# The node image's unprivileged user: the process cannot change its own code or the image.
USER node
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=5 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||4000)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/src/main.js"]
