import { randomUUID } from 'node:crypto';
import { graphql } from 'graphql';
import pino from 'pino';
import { JobsDocument } from '../../../test/generated/graphql';
import { waitFor } from '../../../test/support/jobs';
import { startTestApp, type TestApp } from '../../../test/support/test-app';
import { buildAppSchema } from '../../app/schema';
import type { AppError } from '../../core/errors/app-error';
import type { JobDefinition } from '../../core/jobs/job-definition';

const silent = pino({ level: 'silent' });
const definitions: JobDefinition[] = [
  { name: 'test.fails', lockLifetimeMs: 1000, run: async () => Promise.reject(new Error('boom')) },
  { name: 'test.tick', every: '1 hour', lockLifetimeMs: 1000, run: async () => undefined },
  { name: 'test.later', lockLifetimeMs: 1000, run: async () => undefined },
];

describe('jobs admin query (through HTTP)', () => {
  let app: TestApp;
  const later = new Date(Date.now() + 3_600_000);
  beforeAll(async () => {
    app = await startTestApp();
    await app.services.jobs.start({ definitions, logger: silent, processEvery: 100 });
    await app.services.jobs.enqueue('test.fails', {});
    await app.services.jobs.enqueue('test.later', {}, { runAt: later });
  });
  afterAll(() => app.close());

  it('lists failed jobs with their failure', async () => {
    const res = await waitFor(
      () => app.gql(JobsDocument, { state: 'FAILED' }).then((r) => r.data?.jobs.length && r),
      'the failed job',
    );
    expect(res.data!.jobs).toEqual([
      expect.objectContaining({
        name: 'test.fails',
        state: 'FAILED',
        failCount: 1,
        failReason: 'boom',
        nextRunAt: null,
        repeatInterval: null,
      }),
    ]);
    expect(res.data!.jobs[0].lastRunAt).not.toBeNull();
  });

  it('lists scheduled one-off and repeating jobs, filtered by name and capped by first', async () => {
    await waitFor(
      () => app.gql(JobsDocument, { name: 'test.tick' }).then((r) => r.data?.jobs[0]?.lastFinishedAt),
      'the first tick',
    );
    const scheduled = await app.gql(JobsDocument, { state: 'SCHEDULED' });
    expect(scheduled.errors).toBeUndefined();
    const byName = Object.fromEntries(scheduled.data!.jobs.map((job) => [job.name, job]));
    expect(Object.keys(byName).sort()).toEqual(['test.later', 'test.tick']);
    expect(byName['test.later']).toMatchObject({
      state: 'SCHEDULED',
      nextRunAt: later.toISOString(),
      lastRunAt: null,
      failCount: 0,
    });
    expect(byName['test.tick']).toMatchObject({ state: 'SCHEDULED', repeatInterval: '1 hour' });

    const one = await app.gql(JobsDocument, { name: 'test.later' });
    expect(one.data!.jobs.map((job) => job.name)).toEqual(['test.later']);
    expect((await app.gql(JobsDocument, { first: 1 })).data!.jobs).toHaveLength(1);
    expect((await app.gql(JobsDocument, { state: 'RUNNING' })).data!.jobs).toEqual([]);
    const tooMany = await app.gql(JobsDocument, { first: 501 });
    expect(tooMany.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
  });

  it('is UNAUTHENTICATED without credentials and FORBIDDEN for anyone but a platform admin', async () => {
    const anonymous = await app.gql(JobsDocument, {}, { admin: false });
    expect(anonymous.errors![0].extensions.code).toBe('UNAUTHENTICATED');
    expect(anonymous.data).toBeNull();

    // No HTTP credential yields a non-admin principal in this test app; run the schema with one.
    const schema = await buildAppSchema(app.services.container);
    const asUser = await graphql({
      schema,
      source: '{ jobs { id } }',
      contextValue: {
        principal: { kind: 'user', userId: randomUUID(), emailVerified: true },
        logger: silent,
        dataSource: app.dataSource,
      },
    });
    expect((asUser.errors![0].originalError as AppError).code).toBe('FORBIDDEN');
    expect(asUser.data).toBeNull();
  });
});

describe('/health reports the job runner', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  const health = async () => {
    const res = await fetch(`${app.url}/health`);
    return { status: res.status, body: (await res.json()) as { status: string; jobs: string } };
  };

  it('"disabled" when this process does not run jobs, "running" once started, 503 "stopped" after stop()', async () => {
    expect(await health()).toMatchObject({ status: 200, body: { status: 'healthy', jobs: 'disabled' } });
    await app.services.jobs.start({ definitions: [], logger: silent, processEvery: 100 });
    expect(await health()).toMatchObject({ status: 200, body: { status: 'healthy', jobs: 'running' } });
    await app.services.jobs.stop();
    expect(await health()).toMatchObject({ status: 503, body: { status: 'unhealthy', jobs: 'stopped' } });
  });
});
