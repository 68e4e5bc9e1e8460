import 'reflect-metadata';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { entities } from '../../src/app/entities';
import { freeLocalPort as freePort } from '../../src/core/database/embedded-postgres';
import { createDataSource } from '../../src/core/database/data-source';
import { PublicMigrator } from '../../src/core/database/public-migrator';
import { nodeEntryArgs } from '../support/node-entry';

export { freePort };

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns a value (not undefined) or the deadline passes. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 15_000,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export interface DedicatedPostgres {
  /** The `tenantql` database, public migrations applied. */
  url: string;
  port: number;
  stop(): Promise<void>;
  /** Starts the same cluster (same data, same port) again after `stop()`. */
  start(): Promise<void>;
  /** Stops it if running and deletes its data. */
  destroy(): Promise<void>;
  /** One direct client for checks; the caller ends it. */
  connect(): Promise<Client>;
}

const root = path.resolve(__dirname, '../..');

/** Starts test/faults/postgres-server.ts and resolves with its process once PostgreSQL accepts connections. */
function spawnServer(dir: string, port: number): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeEntryArgs('test/faults/postgres-server.ts'), dir, String(port)], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const onData = (data: Buffer) => {
      output += data;
      const ready = /^ready (\S+)$/m.exec(output);
      if (ready) resolve({ child, url: ready[1] });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d) => (output += d));
    child.once('exit', (code) =>
      reject(new Error(`embedded PostgreSQL exited with ${code} before it was ready:\n${output}`)),
    );
  });
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/**
 * A PostgreSQL of the test's own (the embedded binaries, a temporary directory, a free
 * port) that it may stop, restart or overload without touching the shared test server.
 */
export async function startDedicatedPostgres(): Promise<DedicatedPostgres> {
  const parent = mkdtempSync(path.join(os.tmpdir(), 'tenantql-fault-pg-'));
  chmodSync(parent, 0o755); // as root, PostgreSQL runs as the postgres user and must reach its data dir
  const dir = path.join(parent, 'data');
  const port = await freePort();
  const first = await spawnServer(dir, port);
  let server: ChildProcess | undefined = first.child;
  const url = first.url;
  const stop = async () => {
    if (server) await stopServer(server);
    server = undefined;
  };
  const destroy = async () => {
    await stop();
    rmSync(parent, { recursive: true, force: true });
  };

  const dataSource = createDataSource({
    url,
    entities,
    pool: { poolMax: 2, poolMaxUses: 0, poolMaxLifetimeSeconds: 0 },
  });
  try {
    await dataSource.initialize();
    await new PublicMigrator(dataSource).migrate();
  } catch (error) {
    await destroy(); // the caller gets no handle to clean up with
    throw error;
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
  }

  return {
    url,
    port,
    stop,
    start: async () => {
      server = (await spawnServer(dir, port)).child;
    },
    destroy,
    connect: async () => {
      const client = new Client({ connectionString: url, application_name: 'tenantql-fault-check' });
      await client.connect();
      return client;
    },
  };
}
