import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { nodeEntryArgs } from '../support/node-entry';
import { TEST_ADMIN_SECRET, type GraphQLResponse } from '../support/test-app';

const root = path.resolve(__dirname, '../..');
/** Not ready by then (a loaded 2-core machine needs long): reported as failed, and killed with the group. */
const READY_TIMEOUT_MS = 90_000;

/** One pino line of a child, parsed. */
export interface LogLine {
  level: number;
  time: number;
  msg: string;
  [field: string]: unknown;
}

export interface AppProcess {
  /** What the test calls it in messages: "api-1", "worker-2". */
  name: string;
  child: ChildProcess;
  pid: number;
  /** Every JSON log line it wrote so far. */
  logs: LogLine[];
  /** Resolves with the signal (or exit code) that ended it. */
  exited: Promise<NodeJS.Signals | number | null>;
  isRunning(): boolean;
}

export interface ApiProcess extends AppProcess {
  url: string;
  gql<T, V>(
    document: TypedDocumentNode<T, V>,
    variables: V,
    headers?: Record<string, string>,
  ): Promise<GraphQLResponse<T>>;
}

/**
 * What every process of a scale-out test shares: one database (migrated by the test, so no
 * process migrates on start), one JWT secret, the admin secret, and the SMTP server's `smtpEnv`.
 */
export function sharedProcessEnv(
  databaseUrl: string,
  smtpEnv: Record<string, string>,
  env: Record<string, string>,
): Record<string, string> {
  return {
    NODE_ENV: 'development',
    LOG_LEVEL: 'info',
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_MAX: '5',
    MIGRATE_ON_START: 'false',
    ADMIN_SECRET: TEST_ADMIN_SECRET,
    JWT_SECRET_KEY: 'scale-out-shared-jwt-secret-0123456789abcdef',
    AUTH_RATE_LIMIT_PER_HOUR: '1000',
    SHUTDOWN_GRACE_MS: '2000',
    ...smtpEnv,
    ...env,
  };
}

/**
 * API and worker processes started as production runs them (src/main.ts, src/worker.ts in Node
 * processes of their own, configured by environment variables only), and ended together: every
 * child is tracked from the moment it is spawned, so `killAll` also ends one that never got ready.
 */
export class AppProcessGroup {
  private readonly children: ChildProcess[] = [];

  /** The API on `port`, chosen by the caller: with PORT=0 the bound port would only be in its log. */
  async startApi(name: string, port: number, env: Record<string, string>): Promise<ApiProcess> {
    const app = await this.spawn(name, 'src/main.ts', { ...env, HOST: '127.0.0.1', PORT: String(port) }, (line) =>
      line.msg.includes('listening on'),
    );
    const url = `http://127.0.0.1:${port}`;
    return {
      ...app,
      url,
      gql: async (document, variables, headers = {}) => {
        const response = await fetch(`${url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify({ query: print(document), variables }),
        });
        return { status: response.status, ...((await response.json()) as object) };
      },
    };
  }

  startWorker(name: string, env: Record<string, string>): Promise<AppProcess> {
    return this.spawn(name, 'src/worker.ts', env, (line) => line.msg === 'job runner started');
  }

  /** SIGKILLs every child still running and waits for them: nothing to drain after a test. */
  async killAll(): Promise<void> {
    await Promise.all(
      this.children.map((child) => {
        if (child.exitCode !== null || child.signalCode !== null) return undefined;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        return exited;
      }),
    );
  }

  private spawn(
    name: string,
    entry: string,
    env: Record<string, string>,
    ready: (line: LogLine) => boolean,
  ): Promise<AppProcess> {
    // `.env` is not read: none exists in the tree, and every variable the test relies on is set here.
    const child = spawn(process.execPath, nodeEntryArgs(entry), {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.children.push(child);
    const logs: LogLine[] = [];
    let stderr = '';
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
      child.once('exit', (code, signal) => resolve(signal ?? code)),
    );
    const app: AppProcess = {
      name,
      child,
      pid: child.pid!,
      logs,
      exited,
      isRunning: () => child.exitCode === null && child.signalCode === null,
    };
    return new Promise((resolve, reject) => {
      const fail = (why: string) =>
        reject(
          new Error(
            `${name} ${why}:\n${stderr}\n${logs
              .map((l) => JSON.stringify(l))
              .join('\n')
              .slice(-5_000)}`,
          ),
        );
      const timer = setTimeout(() => fail(`was not ready after ${READY_TIMEOUT_MS} ms`), READY_TIMEOUT_MS);
      let pending = '';
      child.stdout!.on('data', (data: Buffer) => {
        pending += data.toString('utf8');
        const lines = pending.split('\n');
        pending = lines.pop()!;
        for (const text of lines) {
          if (!text.startsWith('{')) continue;
          const line = JSON.parse(text) as LogLine;
          logs.push(line);
          if (ready(line)) {
            clearTimeout(timer);
            resolve(app);
          }
        }
      });
      child.stderr!.on('data', (data: Buffer) => (stderr = (stderr + data.toString('utf8')).slice(-20_000)));
      void exited.then((how) => {
        clearTimeout(timer);
        fail(`ended (${how}) before it was ready`);
      });
    });
  }
}
