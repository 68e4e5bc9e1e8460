import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { freePort, waitFor } from './dedicated-postgres';

/** Debian's package installs it in /usr/sbin, which is not on every user's PATH. */
export function findPgBouncer(): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/usr/local/sbin'];
  return dirs.map((dir) => path.join(dir, 'pgbouncer')).find((file) => existsSync(file));
}

export const PGBOUNCER_MISSING =
  'pgbouncer is not installed. `npm test` installs it when run as root on Debian/Ubuntu (apt-get install -y pgbouncer); ' +
  'otherwise install it yourself. The pooler proof cannot run without it.';

export interface PgBouncerOptions {
  /** The PostgreSQL it pools. */
  upstreamPort: number;
  /** Server connections per database/user pair. */
  poolSize: number;
  user: string;
  password: string;
}

export interface PgBouncer {
  port: number;
  /** A client URL for `database` through the pooler. */
  url(database: string): string;
  /** Runs one statement on the admin console (`SHOW POOLS`, `SHOW STATS`). */
  admin<T>(command: string): Promise<T[]>;
  stop(): Promise<void>;
}

/**
 * Starts a real PgBouncer in transaction pooling mode in front of `upstreamPort`:
 * every transaction may land on any of `poolSize` server connections.
 */
export async function startPgBouncer(options: PgBouncerOptions): Promise<PgBouncer> {
  const binary = findPgBouncer();
  if (!binary) throw new Error(PGBOUNCER_MISSING);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tenantql-pgbouncer-'));
  chmodSync(dir, 0o755);
  const port = await freePort();
  const ini = path.join(dir, 'pgbouncer.ini');
  writeFileSync(path.join(dir, 'userlist.txt'), `"${options.user}" "${options.password}"\n`, { mode: 0o644 });
  writeFileSync(
    ini,
    [
      '[databases]',
      `* = host=127.0.0.1 port=${options.upstreamPort}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = scram-sha-256',
      `auth_file = ${path.join(dir, 'userlist.txt')}`,
      'pool_mode = transaction',
      `default_pool_size = ${options.poolSize}`,
      'min_pool_size = 0',
      'reserve_pool_size = 0',
      'max_client_conn = 500',
      'ignore_startup_parameters = extra_float_digits',
      `admin_users = ${options.user}`,
      '',
    ].join('\n'),
    { mode: 0o644 },
  );
  // PgBouncer refuses to run as root: drop to the postgres user the embedded server already runs as.
  const args = process.getuid?.() === 0 ? ['-u', 'postgres', ini] : [ini];
  const child: ChildProcess = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const url = (database: string) => `postgres://${options.user}:${options.password}@127.0.0.1:${port}/${database}`;
  const admin = async <T>(command: string): Promise<T[]> => {
    const client = new Client({ connectionString: url('pgbouncer') });
    await client.connect();
    try {
      return (await client.query(command)).rows as T[];
    } finally {
      await client.end();
    }
  };
  try {
    await Promise.race([
      waitFor('pgbouncer to accept connections', async () => (await admin('SHOW VERSION'), true), 10_000),
      exited.then(() => Promise.reject(new Error('pgbouncer exited'))),
    ]);
  } catch (error) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`pgbouncer did not start: ${(error as Error).message}\n${stderr}`);
  }
  return {
    port,
    url,
    admin,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
