import type { DataSource } from 'typeorm';
import { createLogger } from '../logging/logger';
import { createTestDatabase, type TestDatabase, openTestDataSource } from '../../../test/support/test-database';
import { OutboxQueue, readOutboxLag, type ClaimedRow } from '.';

interface Job extends ClaimedRow {
  payload: string;
}

/** The primitive on a table of its own with the conventional columns (what mail, WhatsApp and webhooks use). */
describe('outbox primitive (real PostgreSQL)', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  const queue = (maxAttempts = 3, isPermanent?: (error: unknown) => boolean) =>
    new OutboxQueue<Job>(dataSource, createLogger('silent'), {
      name: 'spec',
      table: 'public.spec_outbox',
      columns: ['payload'],
      retry: { maxAttempts, baseMs: 60_000 },
      leaseMs: 60_000,
      isPermanent,
    });
  const rows = () =>
    dataSource.query(
      'SELECT payload, status, attempts, last_error, done_at IS NOT NULL AS done FROM public.spec_outbox',
    );

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = await openTestDataSource(database.url, 4);
    await dataSource.query(`
      CREATE TABLE public.spec_outbox (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        payload text NOT NULL,
        status varchar(10) NOT NULL DEFAULT 'PENDING',
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz(3) NOT NULL DEFAULT now(),
        last_error text,
        done_at timestamptz(3),
        updated_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
  });
  afterAll(async () => {
    await dataSource.destroy();
    await database.drop();
  });
  beforeEach(() => dataSource.query('DELETE FROM public.spec_outbox'));

  it('a permanent error is a dead letter at once; others back off', async () => {
    await dataSource.query(`INSERT INTO public.spec_outbox (payload) VALUES ('permanent'), ('transient')`);
    const box = queue(3, (error) => (error as Error).message === 'permanent');
    const report = await box.deliverDue(10, async (job) => {
      throw new Error(job.payload);
    });
    expect(report).toEqual({ sent: 0, retried: 1, failed: 1 });
    expect(await rows()).toEqual(
      expect.arrayContaining([
        { payload: 'permanent', status: 'FAILED', attempts: 1, last_error: 'permanent', done: false },
        { payload: 'transient', status: 'PENDING', attempts: 1, last_error: 'transient', done: false },
      ]),
    );
    expect(await readOutboxLag(dataSource, 'public.spec_outbox')).toBe(0); // the retry is not due yet
  });

  it('a row whose worker died on its last attempt becomes a dead letter once its lease expires', async () => {
    await dataSource.query(
      `INSERT INTO public.spec_outbox (payload, status, attempts, next_attempt_at)
       VALUES ('orphan', 'SENDING', 3, now() - interval '1 second')`,
    );
    expect(await queue(3).deliverDue(10, async () => undefined)).toEqual({ sent: 0, retried: 0, failed: 1 });
    expect(await rows()).toEqual([
      {
        payload: 'orphan',
        status: 'FAILED',
        attempts: 3,
        last_error: 'lease expired on the last attempt',
        done: false,
      },
    ]);
  });

  it('a handler completing in its own transaction after losing its lease records nothing', async () => {
    await dataSource.query(`INSERT INTO public.spec_outbox (payload) VALUES ('slow')`);
    const report = await queue().deliverDue(10, async (job, attempt) => {
      // Meanwhile the lease expired and another worker took the row (attempt 2).
      await dataSource.query(`UPDATE public.spec_outbox SET attempts = attempts + 1 WHERE id = $1`, [job.id]);
      await dataSource.transaction(async (em) => {
        await em.query(`UPDATE public.spec_outbox SET payload = 'written by the stale attempt' WHERE id = $1`, [
          job.id,
        ]);
        await attempt.complete(em, { done_at: new Date() });
      });
    });
    expect(report).toEqual({ sent: 0, retried: 0, failed: 0 });
    expect(await rows()).toEqual([{ payload: 'slow', status: 'SENDING', attempts: 2, last_error: null, done: false }]);
  });

  it('reads the lag as the age of the oldest due row', async () => {
    await dataSource.query(
      `INSERT INTO public.spec_outbox (payload, next_attempt_at) VALUES ('old', now() - interval '90 seconds'), ('new', now())`,
    );
    expect(await readOutboxLag(dataSource, 'public.spec_outbox')).toBeGreaterThanOrEqual(90);
    expect(await queue().deliverDue(10, async () => ({ done_at: new Date() }))).toEqual({
      sent: 2,
      retried: 0,
      failed: 0,
    });
    expect(await readOutboxLag(dataSource, 'public.spec_outbox')).toBe(0);
  });
});
