import { Pool } from 'pg';
import pino from 'pino';
import { captureLogger, startTestRunner, waitFor } from '../../../test/support/jobs';
import { createTestDatabase, type TestDatabase } from '../../../test/support/test-database';
import { loadConfig } from '../config/config';
import type { JobDefinition } from './job-definition';
import { createJobBackend, JobRunner } from './job-runner';

describe('job runner (Agenda on real PostgreSQL)', () => {
  let database: TestDatabase;
  let sql: Pool;
  const runners: JobRunner[] = [];
  const started = async (definitions: JobDefinition[], logger = pino({ level: 'silent' })) => {
    const runner = await startTestRunner(database.url, definitions, logger);
    runners.push(runner);
    return runner;
  };
  const rows = async (name: string) =>
    (
      await sql.query(
        'SELECT locked_at, last_finished_at, next_run_at, repeat_interval FROM public.agenda_jobs WHERE name = $1',
        [name],
      )
    ).rows;

  beforeAll(async () => {
    database = await createTestDatabase();
    sql = new Pool({ connectionString: database.url, max: 2 });
  });
  afterEach(async () => {
    await Promise.all(runners.splice(0).map((runner) => runner.stop()));
  });
  afterAll(async () => {
    await sql.end();
    await database.drop();
  });

  // First: the job it locks stays on a 2 s timer in the stopped runner, over by the time the file ends.
  it('stop() releases a job it locked ahead of its run time, for other workers', async () => {
    const runner = new JobRunner({ config: { shutdownGraceMs: 10_000 }, databaseUrl: database.url });
    runners.push(runner);
    expect(runner.state()).toBe('disabled');
    await runner.enqueue('test.soon', {}, { runAt: new Date(Date.now() + 2000) });
    // A 10 s poll locks every job due in the next 10 s.
    await runner.start({
      definitions: [{ name: 'test.soon', run: async () => undefined }],
      logger: pino({ level: 'silent' }),
      processEvery: 10_000,
    });
    await waitFor(async () => (await rows('test.soon'))[0].locked_at, 'the job to be locked');

    await runner.stop();
    const [row] = await rows('test.soon');
    expect(row.locked_at).toBeNull();
    expect(row.last_finished_at).toBeNull();
  });

  it('two runners on one database run each one-off job exactly once', async () => {
    const runs: number[] = [];
    const record: JobDefinition = { name: 'test.record', run: async (data) => void runs.push(data.n as number) };
    const [a, b] = [await started([record]), await started([record])];
    const total = 40;
    await Promise.all(Array.from({ length: total }, (_, n) => (n % 2 ? a : b).enqueue('test.record', { n })));

    await waitFor(
      async () => (await rows('test.record')).every((r) => r.last_finished_at && !r.locked_at),
      'every job to finish',
    );
    expect(await rows('test.record')).toHaveLength(total);
    expect(runs.sort((x, y) => x - y)).toEqual(Array.from({ length: total }, (_, n) => n));
  });

  it('a repeating job declared by two runners is one row and runs once per interval', async () => {
    let ticks = 0;
    const tick: JobDefinition = { name: 'test.tick', every: '1 hour', run: async () => void ticks++ };
    await started([tick]);
    await started([tick]);

    const [row] = await waitFor(async () => {
      const found = await rows('test.tick');
      return found.length === 1 && found[0].last_finished_at && found;
    }, 'the first tick');
    expect(row.repeat_interval).toBe('1 hour');
    expect(row.next_run_at.getTime()).toBeGreaterThan(row.last_finished_at.getTime());
    expect(ticks).toBe(1);
  });

  it('records a failure on the row and logs it with the job name and id', async () => {
    const { logger, lines } = captureLogger();
    const runner = await started([{ name: 'test.fails', run: async () => Promise.reject(new Error('boom')) }], logger);
    await runner.enqueue('test.fails', {});

    const [job] = await waitFor(
      () => runner.list({ state: 'FAILED', name: 'test.fails', first: 10 }).then((jobs) => jobs.length && jobs),
      'the failure',
    );
    expect(job).toMatchObject({
      name: 'test.fails',
      state: 'FAILED',
      failCount: 1,
      failReason: 'boom',
      nextRunAt: null,
    });
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 50,
        msg: 'job failed',
        job: 'test.fails',
        jobId: job.id,
        err: expect.objectContaining({ message: 'boom' }),
      }),
    );
  });

  it('stop() stops taking jobs and lets the running one finish and save before it resolves', async () => {
    const events: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let markRunning!: () => void;
    const running = new Promise<void>((resolve) => (markRunning = resolve));
    const slow: JobDefinition = {
      name: 'test.slow',

      run: async () => {
        markRunning();
        await gate;
        events.push('job finished');
      },
    };
    const runner = await started([slow]);
    expect(runner.state()).toBe('running');
    await runner.enqueue('test.slow', {});
    await running;

    const stopping = runner.stop().then(() => events.push('stop resolved'));
    expect(runner.state()).toBe('stopped');
    setTimeout(release, 200);
    await stopping;

    expect(events).toEqual(['job finished', 'stop resolved']);
    expect(runner.state()).toBe('stopped');
    const [row] = await rows('test.slow');
    expect(row.locked_at).toBeNull();
    expect(row.last_finished_at).not.toBeNull();
  });

  it('keeps running jobs after the server drops its connections (restart, failover)', async () => {
    const runs: string[] = [];
    const { logger, lines } = captureLogger();
    const runner = await started(
      [{ name: 'test.after-drop', run: async (data) => void runs.push(data.tag as string) }],
      logger,
    );
    await runner.enqueue('test.after-drop', { tag: 'before' });
    await waitFor(() => runs.includes('before'), 'the first run');

    const { rows: dropped } = await sql.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'tenantql-jobs'`,
    );
    expect(dropped.length).toBeGreaterThan(0);
    await waitFor(
      () => lines.some((line) => line.msg === 'job queue connection lost'),
      'the dropped connection to be noticed',
    );

    // A query may still meet a dead connection before the pool has discarded it; the next gets a new one.
    await waitFor(
      () =>
        runner.enqueue('test.after-drop', { tag: 'after' }).then(
          () => true,
          () => false,
        ),
      'enqueueing to work again',
    );
    await waitFor(() => runs.includes('after'), 'a run after the drop');
    expect(runs).toEqual(['before', 'after']);
  });

  it('uses the application PostgreSQL by default and MongoDB when MONGODB_URL is set', () => {
    const backendFor = (env: Record<string, string>) =>
      createJobBackend({ config: loadConfig({ NODE_ENV: 'test', ...env }), databaseUrl: database.url }, () => undefined)
        .backend.name;
    expect(backendFor({})).toBe('PostgreSQL');
    expect(backendFor({ MONGODB_URL: 'mongodb://127.0.0.1:27017/tenantql' })).toBe('MongoDB');
  });
});
