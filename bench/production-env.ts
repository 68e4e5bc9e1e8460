/**
 * Imported first by run.ts: the libraries read NODE_ENV when they load (graphql-js drops its development-only
 * `instanceOf` checks, Express its development behaviour), so the bench measures what production runs
 * (the Dockerfile and the systemd units set NODE_ENV=production).
 */
process.env.NODE_ENV = 'production';

export {};
