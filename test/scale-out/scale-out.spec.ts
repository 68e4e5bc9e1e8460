import type { Client } from 'pg';
import { JobRunner } from '../../src/core/jobs/job-runner';
import { EMAIL_OUTBOX_JOB } from '../../src/jobs/email-outbox.job';
import { ONBOARDING_REMINDERS_JOB } from '../../src/jobs/onboarding-reminders.job';
import { freePort, startDedicatedPostgres, waitFor, type DedicatedPostgres } from '../faults/dedicated-postgres';
import {
  ChangePlanDocument,
  CreateApiKeyDocument,
  CreateCustomerDocument,
  CustomersDocument,
  LoginDocument,
  MeDocument,
  PlanLimitsDocument,
  RefreshTokenDocument,
  RegisterDocument,
  RevokeApiKeyDocument,
  VerifyEmailDocument,
} from '../generated/graphql';
import { TEST_PASSWORD } from '../support/accounts';
import {
  startSmtpTestServer,
  tokenFromLink,
  type ReceivedMail,
  type SmtpTestServer,
} from '../support/smtp-test-server';
import { AppProcessGroup, sharedProcessEnv, type ApiProcess, type AppProcess, type LogLine } from './app-process';

/**
 * Two API processes and two worker processes (src/main.ts, src/worker.ts as real children)
 * on one PostgreSQL of this file's own and one real SMTP server behave as one system.
 *
 * The APIs run with JOBS_ENABLED=false, the layout docs/operations.md describes for scaling:
 * only the workers run jobs, so every run in the counts below is a worker's, and killing a
 * worker never takes an API down. (Agenda's locking would hold with the APIs running jobs too.)
 */

const FRONTEND = 'https://app.scale.test';
/** The outbox job's interval: short, so a window of seconds covers many occurrences. */
const OUTBOX_EVERY = '1 second';
const OUTBOX_EVERY_MS = 1000;
const LOGIN_MAX_FAILURES = 3;
/**
 * Requests per user or IP and minute. The whole file sends about 30 anonymous
 * requests (one IP), so only the test that means to reach the limit does.
 */
const RATE_LIMIT_MAX = 60;
/** How often each API shares its request counts (docs/operations.md, "Rate limits"). */
const RATE_LIMIT_SYNC_MS = 100;

const bearer = (token: string, org?: string): Record<string, string> => ({
  authorization: `Bearer ${token}`,
  ...(org ? { 'x-organization-id': org } : {}),
});
const apiKeyHeaders = (secret: string): Record<string, string> => ({ 'x-api-key': secret });

/** Runs of one job as its worker logged them ("job finished" / "job failed"), start time included. */
interface JobRun {
  worker: string;
  jobId: string;
  startedAt: number;
  finishedAt: number;
}

function jobRuns(workers: AppProcess[], jobName: string): JobRun[] {
  return workers
    .flatMap((worker) =>
      worker.logs
        .filter((l: LogLine) => l.job === jobName && (l.msg === 'job finished' || l.msg === 'job failed'))
        .map((l) => ({
          worker: worker.name,
          jobId: String(l.jobId),
          startedAt: l.time - Number(l.durationMs),
          finishedAt: l.time,
        })),
    )
    .sort((a, b) => a.startedAt - b.startedAt);
}

/**
 * Runs of one repeating job that repeat an occurrence. Occurrences of an `every` job are one
 * interval apart (Agenda schedules the next from the start of the last), so two runs starting
 * less than half an interval apart, or overlapping, are one occurrence run twice.
 */
function duplicateRuns(runs: JobRun[], everyMs: number): JobRun[] {
  return runs.filter(
    (run, i) =>
      i > 0 && (run.startedAt - runs[i - 1].startedAt < everyMs / 2 || run.startedAt < runs[i - 1].finishedAt),
  );
}

const messagesWithId = (smtp: SmtpTestServer, messageId: string) =>
  smtp.messages.filter((m) => m.messageId === messageId);

describe('scale-out: 2 API processes + 2 worker processes on one database', () => {
  let postgres: DedicatedPostgres;
  let check: Client;
  let smtp: SmtpTestServer;
  let api1: ApiProcess;
  let api2: ApiProcess;
  let workers: AppProcess[] = [];
  const processes = new AppProcessGroup();
  let env: Record<string, string>;
  /** Enqueues one-off jobs exactly as an API process does (JobRunner.enqueue), without running any. */
  let queue: JobRunner | undefined;

  beforeAll(async () => {
    [postgres, smtp] = await Promise.all([startDedicatedPostgres(), startSmtpTestServer()]);
    check = await postgres.connect();
    env = sharedProcessEnv(postgres.url, smtp.env, {
      FRONTEND_URL: FRONTEND,
      LOGIN_MAX_FAILURES: String(LOGIN_MAX_FAILURES),
      RATE_LIMIT_MAX: String(RATE_LIMIT_MAX),
      RATE_LIMIT_WINDOW: '60000',
      RATE_LIMIT_SYNC_MS: String(RATE_LIMIT_SYNC_MS),
      EMAIL_OUTBOX_INTERVAL: OUTBOX_EVERY,
    });
    const [port1, port2] = [await freePort(), await freePort()];
    [api1, api2, ...workers] = await Promise.all([
      processes.startApi('api-1', port1, { ...env, JOBS_ENABLED: 'false' }),
      processes.startApi('api-2', port2, { ...env, JOBS_ENABLED: 'false' }),
      // Debug: each run's "job finished" line (routine runs are not logged at info) is what jobRuns() reads.
      processes.startWorker('worker-1', { ...env, LOG_LEVEL: 'debug' }),
      processes.startWorker('worker-2', { ...env, LOG_LEVEL: 'debug' }),
    ]);
  }, 120_000);

  afterAll(async () => {
    await processes.killAll(); // also after a failure, and children that never got ready
    await queue?.stop().catch(() => undefined);
    await check?.end().catch(() => undefined);
    await smtp?.close();
    await postgres?.destroy();
  }, 30_000);

  /** The mail a worker delivered to `to` whose subject starts with `subject` (waits for it). */
  const mailTo = (to: string, subject: string) =>
    waitFor(`mail "${subject}" to ${to}`, async () => smtp.to(to).find((m) => m.subject.startsWith(subject)), 20_000);

  const register = async (api: ApiProcess, email: string, businessName: string) => {
    const input = { email, password: TEST_PASSWORD, firstName: 'Scale', lastName: 'Out', businessName };
    const res = await api.gql(RegisterDocument, { input }, {});
    expect(res.errors).toBeUndefined();
    return res.data!.register;
  };

  /** Signs up on `api` and verifies through the mailed link on the other API. */
  const verifiedAccount = async (api: ApiProcess, other: ApiProcess, email: string, businessName: string) => {
    const signUp = await register(api, email, businessName);
    const token = tokenFromLink(await mailTo(email, 'Confirm your email'), '/verify-email');
    expect((await other.gql(VerifyEmailDocument, { token }, {})).data?.verifyEmail).toBe(true);
    return signUp;
  };

  it('sessions: registered on API 1, verified and logged in on API 2, refresh rotation and reuse detection across both', async () => {
    const email = 'ada@scale.test';
    const signUp = await register(api1, email, 'Scale Engines');
    expect(signUp.user.emailVerified).toBe(false);

    // A worker delivered the verification mail over SMTP; its link works on the other API.
    const mail = await mailTo(email, 'Confirm your email');
    expect(mail.text).toContain(`${FRONTEND}/verify-email?token=`);
    expect(
      (await api2.gql(VerifyEmailDocument, { token: tokenFromLink(mail, '/verify-email') }, {})).data?.verifyEmail,
    ).toBe(true);

    // An access token issued by API 1 is accepted by API 2 (and sees the verification API 2 recorded).
    const me = await api2.gql(MeDocument, {}, bearer(signUp.accessToken));
    expect(me.data?.me).toMatchObject({ email, emailVerified: true });

    const login = await api2.gql(LoginDocument, { input: { email, password: TEST_PASSWORD } }, {});
    expect(login.errors).toBeUndefined();
    const first = login.data!.login;

    // Rotation on API 1 spends the token API 2 issued.
    const rotated = await api1.gql(RefreshTokenDocument, { token: first.refreshToken }, {});
    expect(rotated.errors).toBeUndefined();
    const second = rotated.data!.refreshToken;
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect((await api2.gql(MeDocument, {}, bearer(second.accessToken))).data?.me.email).toBe(email);

    // Replaying the spent token on API 2 is refused and revokes the family: the newest token fails on API 1.
    const replay = await api2.gql(RefreshTokenDocument, { token: first.refreshToken }, {});
    expect(replay.errors?.[0].extensions.code).toBe('UNAUTHENTICATED');
    const newest = await api1.gql(RefreshTokenDocument, { token: second.refreshToken }, {});
    expect(newest.errors?.[0].extensions.code).toBe('UNAUTHENTICATED');

    // The sign-up session is another family: it still refreshes, on either API.
    expect((await api2.gql(RefreshTokenDocument, { token: signUp.refreshToken }, {})).errors).toBeUndefined();
  });

  it('API keys: created on API 1 work at once on API 2; revoked on API 2 are refused within 1 s on API 1', async () => {
    const owner = await verifiedAccount(api2, api1, 'kim@scale.test', 'Key Holders');
    const org = owner.tenant!.slug;
    const created = await api1.gql(
      CreateApiKeyDocument,
      { input: { name: 'integration', scopes: ['customers:read', 'customers:write'] } },
      bearer(owner.accessToken, org),
    );
    expect(created.errors).toBeUndefined();
    const { secret, apiKey } = created.data!.createApiKey;

    const written = await api2.gql(
      CreateCustomerDocument,
      { input: { name: 'Written through API 2' } },
      apiKeyHeaders(secret),
    );
    expect(written.errors).toBeUndefined();
    const read = await api1.gql(CustomersDocument, {}, apiKeyHeaders(secret));
    expect(read.data?.customers.totalCount).toBe(1);

    const revoked = await api2.gql(RevokeApiKeyDocument, { id: apiKey.id }, bearer(owner.accessToken, org));
    expect(revoked.data?.revokeApiKey.revokedAt).toEqual(expect.any(String));
    for (const api of [api1, api2]) {
      // API 1 cached the key: the revocation reaches it with the commit (NOTIFY).
      const refusedSoon = async () => {
        const answer = await api.gql(CustomersDocument, {}, apiKeyHeaders(secret));
        return answer.status === 401 ? answer : undefined;
      };
      const refused = await waitFor(`the revoked key refused by ${api.name}`, refusedSoon, 1_000, 20);
      expect({ api: api.name, status: refused.status, code: refused.errors?.[0].extensions.code }).toEqual({
        api: api.name,
        status: 401,
        code: 'UNAUTHENTICATED',
      });
    }
  });

  it('jobs: each occurrence of the repeating outbox job runs once; one-off jobs and the mails of sign-ups on both APIs run once', async () => {
    // Both workers declared the same schedules: one row per repeating job.
    const { rows: schedules } = await check.query(
      `SELECT name, count(*)::int AS rows, min(id::text) AS id FROM public.agenda_jobs WHERE repeat_interval IS NOT NULL GROUP BY name`,
    );
    expect(schedules.filter((s) => s.rows !== 1)).toEqual([]);
    expect(schedules.map((s) => s.name)).toEqual(expect.arrayContaining([EMAIL_OUTBOX_JOB, ONBOARDING_REMINDERS_JOB]));
    const outboxRow: string = schedules.find((s) => s.name === EMAIL_OUTBOX_JOB).id;

    // One-off work at once: 8 sign-ups split over both APIs (8 verification mails in the outbox),
    // and one-off outbox runs enqueued through the JobQueue services use (no GraphQL operation
    // enqueues a job), so both workers deliver concurrently.
    const ONE_OFF_JOBS = 4;
    const SIGN_UPS = 8;
    queue = new JobRunner({ config: { shutdownGraceMs: 1000 }, databaseUrl: postgres.url });
    const emails = Array.from({ length: SIGN_UPS }, (_, i) => `batch${i}@scale.test`);
    const before = smtp.messages.length;
    await Promise.all([
      ...emails.map((email, i) => register(i % 2 ? api2 : api1, email, `Batch ${i}`)),
      ...Array.from({ length: ONE_OFF_JOBS }, () => queue!.enqueue(EMAIL_OUTBOX_JOB, {})),
    ]);

    const oneOffRuns = () => jobRuns(workers, EMAIL_OUTBOX_JOB).filter((run) => run.jobId !== outboxRow);
    await waitFor(
      'every one-off job to run',
      async () => (oneOffRuns().length >= ONE_OFF_JOBS ? true : undefined),
      30_000,
    );
    await waitFor(
      'every verification mail',
      async () => (emails.every((e) => smtp.to(e).length > 0) ? true : undefined),
      30_000,
    );
    // Repeating runs over a window of several occurrences (both workers competing all along).
    const OCCURRENCES = 6;
    await waitFor(
      `${OCCURRENCES} occurrences of ${EMAIL_OUTBOX_JOB}`,
      async () => {
        const runs = jobRuns(workers, EMAIL_OUTBOX_JOB).filter((run) => run.jobId === outboxRow);
        return runs.length >= OCCURRENCES ? true : undefined;
      },
      40_000,
    );

    const repeating = jobRuns(workers, EMAIL_OUTBOX_JOB).filter((run) => run.jobId === outboxRow);
    const duplicates = duplicateRuns(repeating, OUTBOX_EVERY_MS);
    const oneOffs = oneOffRuns();
    const oneOffIds = new Set(oneOffs.map((run) => run.jobId));
    const newMail = smtp.messages.slice(before);
    const perMessageId = new Map<string, number>();
    for (const m of newMail) perMessageId.set(m.messageId, (perMessageId.get(m.messageId) ?? 0) + 1);
    const byWorker = (runs: JobRun[]) =>
      workers.map((w) => `${w.name} ${runs.filter((r) => r.worker === w.name).length}`).join(', ');
    console.log(
      `[scale-out] ${EMAIL_OUTBOX_JOB} every ${OUTBOX_EVERY}: ${repeating.length} runs over ${((repeating.at(-1)!.startedAt - repeating[0].startedAt) / 1000).toFixed(1)} s ` +
        `(${byWorker(repeating)}), duplicate runs: ${duplicates.length}; one-off jobs: ${ONE_OFF_JOBS} enqueued, ${oneOffs.length} runs of ${oneOffIds.size} jobs ` +
        `(${byWorker(oneOffs)}); mails from ${SIGN_UPS} sign-ups on both APIs: ${newMail.length} accepted by SMTP, ${perMessageId.size} distinct Message-IDs`,
    );

    expect(duplicates).toEqual([]);
    expect(oneOffs).toHaveLength(ONE_OFF_JOBS);
    expect(oneOffIds.size).toBe(ONE_OFF_JOBS);
    expect(emails.map((e) => smtp.to(e).length)).toEqual(emails.map(() => 1));
    expect([...perMessageId.values()].filter((n) => n > 1)).toEqual([]);
    const { rows: outbox } = await check.query(
      `SELECT status, attempts FROM public.email_outbox WHERE to_address = ANY($1) ORDER BY to_address`,
      [emails],
    );
    expect(outbox).toEqual(emails.map(() => ({ status: 'SENT', attempts: 1 })));
  }, 90_000);

  it('rate limits: one user across both APIs is limited in total, within one share interval', async () => {
    const owner = await verifiedAccount(api1, api2, 'busy@scale.test', 'Busy Integrations');
    const headers = bearer(owner.accessToken, owner.tenant!.slug);
    // Half again as many as allowed, all at once, on API 1: one process counts exactly.
    const first = await Promise.all(
      Array.from({ length: RATE_LIMIT_MAX * 1.5 }, () => api1.gql(CustomersDocument, {}, headers)),
    );
    const served = first.filter((a) => a.status === 200 && !a.errors).length;
    const limited = first.filter((a) => a.status === 429 && a.errors?.[0].extensions.code === 'RATE_LIMITED').length;
    expect(served + limited).toBe(first.length);
    expect(served).toBeLessThanOrEqual(RATE_LIMIT_MAX);
    await new Promise((resolve) => setTimeout(resolve, 5 * RATE_LIMIT_SYNC_MS)); // API 1 has shared its counts
    // API 2 had not counted this user: it admits until its own first share tells it the total, then refuses.
    const second: number[] = [];
    for (let i = 0; i < 10; i++) {
      second.push((await api2.gql(CustomersDocument, {}, headers)).status);
      await new Promise((resolve) => setTimeout(resolve, RATE_LIMIT_SYNC_MS / 2));
    }
    console.log(
      `[scale-out] rate limit ${RATE_LIMIT_MAX}/min for one user: API 1 served ${served} of ${first.length}, ` +
        `then API 2 answered ${second.join(' ')}`,
    );
    expect(second.filter((status) => status === 200).length).toBeLessThanOrEqual(4);
    expect(second.slice(-5)).toEqual(Array(5).fill(429));
  });

  it('plan limits: parallel createCustomer across both APIs succeeds exactly as often as the plan allows', async () => {
    const owner = await verifiedAccount(api2, api1, 'frugal@scale.test', 'Frugal Traders');
    const org = owner.tenant!.slug;
    // Without a Stripe subscription, moving to FREE applies at once (new organizations start on a trial of a bigger
    // plan).
    const downgrade = await api1.gql(ChangePlanDocument, { plan: 'FREE' }, bearer(owner.accessToken, org));
    expect(downgrade.data?.changePlan.subscription.plan).toBe('FREE');
    const limits = await api2.gql(PlanLimitsDocument, { plan: 'FREE' }, {});
    const limit = limits.data!.planLimits.find((l) => l.metric === 'customers')!.limit!;
    expect(limit).toBeGreaterThan(0);

    const attempts = limit * 3;
    const answers = await Promise.all(
      Array.from({ length: attempts }, (_, i) =>
        (i % 2 ? api2 : api1).gql(
          CreateCustomerDocument,
          { input: { name: `customer ${i}` } },
          bearer(owner.accessToken, org),
        ),
      ),
    );
    const createdCount = answers.filter((a) => a.data?.createCustomer).length;
    const refused = answers.filter((a) => a.errors?.[0].extensions.code === 'LIMIT_EXCEEDED').length;
    const [{ schema_name: schema }] = (
      await check.query(`SELECT schema_name FROM public.tenants WHERE slug = $1`, [org])
    ).rows;
    const [{ n: stored }] = (await check.query(`SELECT count(*)::int AS n FROM "${schema}".customers`)).rows;
    console.log(
      `[scale-out] plan limit of ${limit} customers (FREE): ${attempts} parallel createCustomer over both APIs, ${createdCount} created, ${refused} refused (LIMIT_EXCEEDED), ${stored} stored`,
    );
    expect({ created: createdCount, refused, stored }).toEqual({
      created: limit,
      refused: attempts - limit,
      stored: limit,
    });
  });

  it('rate limits: failed logins split across both APIs add up to one lock-out, enforced by both', async () => {
    const email = 'locked@scale.test';
    await register(api1, email, 'Lock Out');
    const login = (api: ApiProcess, password: string) => api.gql(LoginDocument, { input: { email, password } }, {});
    const apis = [api1, api2];
    const failures = [];
    for (let i = 0; i < LOGIN_MAX_FAILURES; i++)
      failures.push((await login(apis[i % 2], `wrong password ${i}`)).errors?.[0].extensions.code);
    // Each API saw fewer than LOGIN_MAX_FAILURES failures, yet the account is locked for both.
    expect(failures).toEqual(Array(LOGIN_MAX_FAILURES).fill('UNAUTHENTICATED'));
    for (const api of apis) expect((await login(api, TEST_PASSWORD)).errors?.[0].extensions.code).toBe('RATE_LIMITED');
  });

  interface Interruption {
    /** The message as the SMTP server received it the first time. */
    held: ReceivedMail;
    outboxId: string;
    sender: AppProcess;
    survivor: AppProcess;
    leaseMs: number;
    killedAt: number;
  }

  const liveWorkers = () => workers.filter((w) => w.isRunning());
  /** Agenda records `<host>:<pid>:<random>` of the process that locked a job row (JobRunner.processName). */
  const pidOf = (lockedBy: string) => Number(lockedBy.split(':')[1]);

  /** Polls like waitFor; a timeout names the state of the outbox and of its job row, which is what explains one. */
  async function waitForOutbox<T>(what: string, probe: () => Promise<T | undefined>, since: number): Promise<T> {
    try {
      return await waitFor(what, probe, 20_000);
    } catch (error) {
      const job = (
        await check.query(
          `SELECT locked_at, next_run_at, last_run_at, last_modified_by FROM public.agenda_jobs WHERE name = $1 AND type = 'single'`,
          [EMAIL_OUTBOX_JOB],
        )
      ).rows;
      const unsent = (
        await check.query(
          `SELECT to_address, status, attempts, next_attempt_at, now() AS db_now FROM public.email_outbox WHERE status <> 'SENT'`,
        )
      ).rows;
      const runs = liveWorkers().map(
        (w) => `${w.name}: ${jobRuns([w], EMAIL_OUTBOX_JOB).filter((r) => r.startedAt > since).length}`,
      );
      throw new Error(
        `${(error as Error).message}.\n${EMAIL_OUTBOX_JOB} runs since ${new Date(since).toISOString()} by the live workers: ${runs.join(', ')}\n` +
          `outbox job row: ${JSON.stringify(job)}\nunsent mail: ${JSON.stringify(unsent)}`,
      );
    }
  }

  /**
   * Sends a mail (a sign-up on API 1) while the SMTP server stalls before answering its data, and
   * SIGKILLs the worker sending it: mid-delivery, or (`acceptedFirst`) right after the server
   * accepted it (the worker is frozen with SIGSTOP, the server answers 250, then the kill), the
   * one moment when a kill makes the outbox send a message twice.
   *
   * Recovery waits for the message's lease (MailOutbox's 2 minutes; no setting shortens it).
   * Rather than sleep through it, the clock of everything the dead worker left behind is moved
   * back by one lease: the message's lease and the worker's lock on the outbox job row.
   */
  async function interruptDelivery(
    email: string,
    { acceptedFirst }: { acceptedFirst: boolean },
  ): Promise<Interruption> {
    // Nothing else in flight: the next message a worker sends is this one.
    await waitForOutbox(
      'an idle outbox',
      async () => {
        const { rows } = await check.query(
          `SELECT count(*)::int AS n FROM public.email_outbox WHERE status IN ('PENDING', 'SENDING')`,
        );
        return rows[0].n === 0 ? true : undefined;
      },
      Date.now(),
    );
    smtp.stallNext(1);
    await register(api1, email, `Interrupted ${email}`);
    const held = await waitFor(
      'a worker in the middle of sending',
      async () => smtp.stalled.find((m) => m.to.includes(email)),
      20_000,
    );

    // The message is claimed (SENDING, leased) and the outbox job row is locked by the worker sending it.
    const [claim] = (
      await check.query(
        `SELECT id::text, status, attempts, extract(epoch FROM next_attempt_at - updated_at) * 1000 AS lease_ms
           FROM public.email_outbox WHERE to_address = $1`,
        [email],
      )
    ).rows;
    expect(claim).toMatchObject({ status: 'SENDING', attempts: 1 });
    const { rows: locks } = await check.query(
      `SELECT last_modified_by FROM public.agenda_jobs WHERE name = $1 AND locked_at IS NOT NULL`,
      [EMAIL_OUTBOX_JOB],
    );
    expect(locks).toHaveLength(1);
    const lockedBy = String(locks[0].last_modified_by);
    const sender = liveWorkers().find((w) => w.pid === pidOf(lockedBy));
    if (!sender) throw new Error(`the outbox job is locked by ${lockedBy}, not by a live worker`);
    const survivor = liveWorkers().find((w) => w !== sender)!;

    if (acceptedFirst) {
      process.kill(sender.pid, 'SIGSTOP');
      smtp.releaseStalled();
    }
    sender.child.kill('SIGKILL');
    expect(await sender.exited).toBe('SIGKILL');
    const killedAt = Date.now();

    const leaseMs = Math.round(Number(claim.lease_ms));
    await check.query(
      `UPDATE public.email_outbox SET next_attempt_at = next_attempt_at - $2 * interval '1 ms' WHERE id = $1`,
      [claim.id, leaseMs],
    );
    await check.query(
      `UPDATE public.agenda_jobs SET locked_at = locked_at - $2 * interval '1 ms' WHERE name = $1 AND last_modified_by = $3 AND locked_at IS NOT NULL`,
      [EMAIL_OUTBOX_JOB, leaseMs, lockedBy],
    );
    return { held, outboxId: claim.id, sender, survivor, leaseMs, killedAt };
  }

  /**
   * Waits until the outbox recorded the interrupted message as SENT, and returns the copies the SMTP server accepted.
   */
  async function redelivered({ held, outboxId, killedAt }: Interruption): Promise<ReceivedMail[]> {
    await waitForOutbox(
      'the surviving worker to deliver the interrupted mail, one lease after the kill',
      async () => {
        const { rows } = await check.query(`SELECT status FROM public.email_outbox WHERE id = $1`, [outboxId]);
        return rows[0].status === 'SENT' ? true : undefined;
      },
      killedAt,
    );
    const { rows } = await check.query(`SELECT status, attempts FROM public.email_outbox WHERE id = $1`, [outboxId]);
    expect(rows).toEqual([{ status: 'SENT', attempts: 2 }]);
    // SENT is final (claims take PENDING and SENDING only): these are all the copies there will be.
    return messagesWithId(smtp, held.messageId);
  }

  it('outbox: a worker killed while the SMTP server holds its message; the other worker delivers it after the lease, exactly once', async () => {
    const interruption = await interruptDelivery('interrupted@scale.test', { acceptedFirst: false });
    const copies = await redelivered(interruption);
    expect(copies).toHaveLength(1);
    expect(copies[0]).toMatchObject({
      to: interruption.held.to,
      subject: interruption.held.subject,
      text: interruption.held.text,
    });
    console.log(
      `[scale-out] outbox, ${interruption.sender.name} SIGKILLed mid-delivery: 2 attempts (the first held unanswered by the SMTP server), ` +
        `${copies.length} accepted by SMTP (sent by ${interruption.survivor.name}), duplicates: ${copies.length - 1}`,
    );
  });

  it('outbox, the at-least-once edge: a worker killed after the SMTP server accepted, before recording it, sends it again with the same Message-ID', async () => {
    // The orchestrator replaces the worker killed above: two workers again.
    workers.push(await processes.startWorker('worker-3', { ...env, LOG_LEVEL: 'debug' }));

    const interruption = await interruptDelivery('accepted-then-killed@scale.test', { acceptedFirst: true });
    expect(messagesWithId(smtp, interruption.held.messageId)).toHaveLength(1); // accepted before the kill
    const copies = await redelivered(interruption);
    // A duplicate, but recognisably the same message: receivers (and mail clients) fold it by Message-ID.
    expect(copies.map((m) => m.messageId)).toEqual([interruption.held.messageId, interruption.held.messageId]);
    console.log(
      `[scale-out] outbox, ${interruption.sender.name} SIGKILLed after the SMTP server accepted: 2 attempts, ${copies.length} accepted by SMTP, ` +
        `same Message-ID (the documented at-least-once edge)`,
    );
  });
});
