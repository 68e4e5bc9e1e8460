import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../../src/core/config/config';

/**
 * No Docker engine runs here: these tests read docker-compose.yml, the Dockerfile and
 * .dockerignore as Docker would and check what a deployment relies on.
 */
const root = path.resolve(__dirname, '../..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  profiles?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  depends_on?: Record<string, { condition: string; required?: boolean }>;
  healthcheck?: { test: string[] };
}

const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service> };
const services = compose.services;

/** Compose's own substitution: `${VAR:-default}`, `${VAR:?error}` (an error when unset), `${VAR}`. */
function substitute(value: string, variables: Record<string, string>): string {
  return value.replace(/\$\{([A-Z0-9_]+)(?::([-?])([^}]*))?\}/g, (_, name: string, kind?: string, rest?: string) => {
    if (variables[name]) return variables[name];
    if (kind === '?') throw new Error(`${name} is required: ${rest}`);
    return kind === '-' ? (rest ?? '') : '';
  });
}

const operatorVariables = {
  JWT_SECRET_KEY: 'f3a9c1e07b5d4a2e9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d',
  ENCRYPTION_KEY: '0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff0',
  FRONTEND_URL: 'https://app.example.com',
};
const environmentOf = (name: string, variables: Record<string, string> = operatorVariables) =>
  Object.fromEntries(
    Object.entries(services[name].environment ?? {}).map(([k, v]) => [k, substitute(String(v), variables)]),
  );
const documentedVariables = new Set(
  read('.env.example')
    .split('\n')
    .map((line) => /^([A-Z][A-Z0-9_]*)=/.exec(line)?.[1])
    .filter(Boolean),
);
const APP_SERVICES = ['migrate', 'api', 'worker'];

describe('docker-compose.yml', () => {
  it('runs PostgreSQL, PgBouncer, Mailpit, migrations, the API and a worker, with MongoDB behind a profile', () => {
    expect(Object.keys(services).sort()).toEqual([
      'api',
      'mailpit',
      'migrate',
      'mongo',
      'pgbouncer',
      'postgres',
      'worker',
    ]);
    // Only MongoDB is optional: everything else starts with a plain `docker compose up`.
    expect(
      Object.entries(services)
        .filter(([, s]) => s.profiles)
        .map(([name, s]) => [name, s.profiles]),
    ).toEqual([['mongo', ['mongo']]]);
  });

  it('pins every image and builds the app services from this Dockerfile', () => {
    for (const [name, service] of Object.entries(services)) {
      expect({
        name,
        pinned: /^[\w./-]+:[\w.-]+$/.test(service.image ?? '') && !service.image!.endsWith(':latest'),
      }).toEqual({ name, pinned: true });
    }
    for (const name of APP_SERVICES)
      expect({ name, build: services[name].build, image: services[name].image }).toEqual({
        name,
        build: '.',
        image: 'tenantql:local',
      });
  });

  it('starts the API, the worker and the migrations from compiled files that have sources', () => {
    expect(services.api.command).toEqual(['node', 'dist/src/main.js']);
    expect(services.worker.command).toEqual(['node', 'dist/src/worker.js']);
    expect(services.migrate.command).toEqual(['node', 'dist/src/cli/migrate.js', 'up']);
    for (const name of APP_SERVICES) {
      const source = services[name].command![1].replace(/^dist\//, '').replace(/\.js$/, '.ts');
      expect({ source, exists: existsSync(path.join(root, source)) }).toEqual({ source, exists: true });
    }
  });

  it('puts the API behind PgBouncer in transaction mode and gives session users a direct connection', () => {
    const bouncer = services.pgbouncer.environment!;
    expect(bouncer.POOL_MODE).toBe('transaction');
    expect(bouncer.DB_HOST).toBe('postgres');
    expect(bouncer.LISTEN_PORT).toBe('6432');
    const hostOf = (url: string) => `${new URL(url).hostname}:${new URL(url).port}`;
    const api = environmentOf('api');
    const worker = environmentOf('worker');
    expect(hostOf(api.DATABASE_URL)).toBe('pgbouncer:6432');
    expect(hostOf(worker.DATABASE_URL)).toBe('pgbouncer:6432');
    // Agenda's LISTEN connection and the migrator's advisory lock need a session: never the transaction pooler.
    expect(hostOf(api.JOBS_DATABASE_URL)).toBe('postgres:5432');
    expect(hostOf(worker.JOBS_DATABASE_URL)).toBe('postgres:5432');
    expect(hostOf(environmentOf('migrate').DATABASE_URL)).toBe('postgres:5432');
    expect(api.MIGRATE_ON_START).toBe('false');
  });

  it('passes only documented variables, which the production configuration accepts', () => {
    for (const name of APP_SERVICES) {
      const environment = environmentOf(name);
      const undocumented = Object.keys(environment).filter((key) => !documentedVariables.has(key));
      expect({ name, undocumented }).toEqual({ name, undocumented: [] });
      const config = loadConfig(environment);
      expect(config).toMatchObject({
        env: 'production',
        isProduction: true,
        migrateOnStart: false,
        email: { host: 'mailpit', port: 1025, useTls: false },
      });
      expect(config.database.url).toBeDefined();
    }
  });

  it('refuses to start without the operator-provided secrets', () => {
    for (const missing of Object.keys(operatorVariables)) {
      const variables: Record<string, string> = { ...operatorVariables, [missing]: '' };
      expect(() => environmentOf('api', variables)).toThrow(`${missing} is required`);
    }
  });

  it('health-checks every long-running service and starts each after what it needs', () => {
    for (const name of ['postgres', 'pgbouncer', 'mongo', 'mailpit', 'api', 'worker']) {
      expect({ name, healthcheck: Array.isArray(services[name].healthcheck?.test) }).toEqual({
        name,
        healthcheck: true,
      });
    }
    expect(services.api.healthcheck!.test.join(' ')).toContain('http://127.0.0.1:4000/health');
    expect(services.pgbouncer.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
    expect(services.migrate.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
    for (const name of ['api', 'worker']) {
      expect(services[name].depends_on).toEqual({
        pgbouncer: { condition: 'service_healthy' },
        migrate: { condition: 'service_completed_successfully' },
        mongo: { condition: 'service_healthy', required: false },
      });
    }
  });

  it('publishes the API and keeps the databases on the loopback interface', () => {
    expect(services.api.ports).toEqual(['4000:4000']);
    for (const name of ['postgres', 'pgbouncer', 'mongo', 'mailpit']) {
      for (const port of services[name].ports ?? []) expect(port).toMatch(/^127\.0\.0\.1:/);
    }
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const instructions = dockerfile
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .filter((line) => /^[A-Z]+\s/.test(line));
  const stages = instructions.filter((line) => line.startsWith('FROM '));

  it('builds in one stage and runs the production dependencies only in another', () => {
    expect(stages).toEqual([
      'FROM node:${NODE_VERSION}-bookworm-slim AS build',
      'FROM node:${NODE_VERSION}-bookworm-slim AS runtime',
    ]);
    const runtime = instructions.slice(instructions.indexOf(stages[1]));
    const build = instructions.slice(0, instructions.indexOf(stages[1]));
    expect(build).toEqual(
      expect.arrayContaining([expect.stringMatching(/^RUN npm ci\b(?!.*--omit)/), 'RUN npm run build']),
    );
    expect(runtime).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^RUN npm ci --omit=dev\b/),
        'COPY --from=build /app/dist ./dist',
        'ENV NODE_ENV=production',
      ]),
    );
    expect(runtime.some((line) => line === 'RUN npm run build')).toBe(false);
  });

  it('runs as a non-root user, health-checks /health and starts the API', () => {
    const user = instructions.filter((line) => line.startsWith('USER '));
    expect(user).toEqual(['USER node']);
    expect(instructions.indexOf('USER node')).toBeGreaterThan(instructions.indexOf(stages[1]));
    expect(instructions.find((line) => line.startsWith('HEALTHCHECK '))).toMatch(/HEALTHCHECK .*CMD .*\/health/);
    expect(instructions.at(-1)).toBe('CMD ["node", "dist/src/main.js"]');
    expect(instructions).toContain('EXPOSE 4000');
  });

  it('keeps secrets, dependencies and build output out of the build context', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim());
    for (const entry of ['.env', 'node_modules', 'dist', '.data', '.git']) expect(ignored).toContain(entry);
  });
});
