import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freeLocalPort } from '../../src/core/database/embedded-postgres';
import { sleep, waitFor } from '../faults/dedicated-postgres';

/**
 * `npm start` as an operator or a supervisor runs it (the README's command, embedded PostgreSQL since
 * DATABASE_URL is unset, in a data directory of this file's own): a signal stops every process it
 * started, the server drains before its database stops, the exit code is 0 and no stack trace is printed.
 */

const root = path.resolve(__dirname, '../..');

/** `ppid` and state of every process, from /proc. */
function processTable(): Map<number, { ppid: number; state: string; cmdline: string }> {
  const table = new Map<number, { ppid: number; state: string; cmdline: string }>();
  for (const name of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      table.set(Number(name), { ppid: Number(ppid), state, cmdline });
    } catch {
      // ended while we read
    }
  }
  return table;
}

/** `pid` and everything below it, with their command lines. */
function processTree(pid: number): Map<number, string> {
  const table = processTable();
  const tree = new Map([[pid, table.get(pid)?.cmdline ?? '']]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [child, { ppid, cmdline }] of table) {
      if (!tree.has(ppid) || tree.has(child)) continue;
      tree.set(child, cmdline);
      grew = true;
    }
  }
  return tree;
}

const running = (pids: Iterable<number>) => [...pids].filter((pid) => (processTable().get(pid)?.state ?? 'Z') !== 'Z');

const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => resolve(true)).once('error', () => resolve(false));
    socket.once('connect', () => socket.destroy());
  });

interface NpmStart {
  npm: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

describe('npm start under a supervisor', () => {
  let dir: string;
  let port: number;
  let env: Record<string, string>;
  const started: number[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'tenantql-npm-start-'));
    chmodSync(dir, 0o755); // as root, PostgreSQL runs as the postgres user and must reach its data dir
    port = await freeLocalPort();
    env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      PORT: String(port),
      HOST: '127.0.0.1',
      EMBEDDED_DATABASE_DIR: path.join(dir, 'data'),
      EMBEDDED_DATABASE_PORT: String(await freeLocalPort()),
      EMAIL_DEV_DIR: path.join(dir, 'outbox'),
    };
  });

  afterAll(() => {
    for (const pid of running(started)) process.kill(pid, 'SIGKILL'); // only after a failure
    rmSync(dir, { recursive: true, force: true });
  });

  /** `npm start` in a process group of its own (as a terminal's foreground job), once /health answers 200. */
  async function npmStart(): Promise<NpmStart & { tree: Map<number, string> }> {
    const npm = spawn('npm', ['start'], { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    started.push(npm.pid!);
    let output = '';
    npm.stdout!.on('data', (d) => (output += d));
    npm.stderr!.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
    const healthy = () => fetch(`http://127.0.0.1:${port}/health`).then((r) => (r.ok ? true : undefined));
    await waitFor('/health to answer 200', healthy, 150_000, 250);
    const tree = processTree(npm.pid!);
    started.push(...tree.keys());
    return { npm, output: () => output, exited, tree };
  }

  async function expectStoppedCleanly(run: NpmStart & { tree: Map<number, string> }) {
    expect(await run.exited).toBe(0);
    expect(await portOpen(port)).toBe(false);
    // PostgreSQL's processes may take a moment to be reaped after the server saw it exit.
    const allEnded = async () => (running(run.tree.keys()).length ? undefined : true);
    await waitFor('every process npm start started to end', allEnded, 5000).catch(() => undefined);
    expect(running(run.tree.keys()).map((pid) => run.tree.get(pid))).toEqual([]);
    const output = run.output();
    expect(output).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m); // no stack trace
    expect(output.split('\n').filter((l) => /"level":(50|60)/.test(l))).toEqual([]);
    const logLines = output.split('\n').filter((l) => l.startsWith('{'));
    const messages = logLines.map((l) => (JSON.parse(l) as { msg: string }).msg);
    expect(messages.filter((m) => m.startsWith('shutting down') || m === 'stopped')).toEqual([
      'shutting down: /ready answers 503, still serving',
      'shutting down: no new connections, draining requests and jobs',
      'stopped',
    ]);
    expect(messages.at(-1)).toBe('stopped');
  }

  it('SIGTERM to the npm process stops the server and the embedded PostgreSQL, exit 0', async () => {
    const run = await npmStart();
    const commands = [...run.tree.values()];
    expect(commands.some((c) => c.includes('dist/src/main.js'))).toBe(true);
    expect(commands.some((c) => /\/postgres -D /.test(c))).toBe(true);
    process.kill(run.npm.pid!, 'SIGTERM');
    await expectStoppedCleanly(run);
  }, 240_000);

  it('Ctrl-C (SIGINT to the foreground process group) does the same, the database stopping last', async () => {
    const run = await npmStart();
    process.kill(-run.npm.pid!, 'SIGINT');
    await sleep(100);
    expect(await portOpen(port)).toBe(true); // still serving: /ready says 503 for SHUTDOWN_READY_DELAY_MS
    await expectStoppedCleanly(run);
  }, 240_000);
});
