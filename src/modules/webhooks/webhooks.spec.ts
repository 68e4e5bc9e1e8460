import { createHmac, timingSafeEqual } from 'node:crypto';
import { loadConfig } from '../../core/config/config';
import { recordEvent } from '../../core/events/domain-event';
import { runInTenantScope } from '../../core/tenancy/tenant-scope';
import {
  CreateApiKeyDocument,
  CreateWebhookEndpointDocument,
  ReplayWebhookDeliveryDocument,
  RotateWebhookSecretDocument,
  SendTestWebhookDocument,
  UpdateWebhookEndpointDocument,
  WebhookDeliveriesDocument,
  WebhookEndpointsDocument,
} from '../../../test/generated/graphql';
import { startFakeHttpServer, type FakeHttpServer, type FakeResponse } from '../../../test/support/fake-http-server';
import { signUp } from '../../../test/support/accounts';
import { startTestApp, type TestApp } from '../../../test/support/test-app';
import { PlanCode } from '../plans';
import { WebhookEndpointService } from './webhook-endpoint.service';
import { guardedLookup } from './webhook-target';

/** The receiver's check, exactly as docs/webhooks.md shows it. */
function verify(secret: string, body: string, header: string): boolean {
  const parts = Object.fromEntries(header.split(',').map((kv) => kv.split('=', 2)));
  const expected = createHmac('sha256', secret).update(`${parts.t}.${body}`).digest('hex');
  const fresh = Math.abs(Date.now() / 1000 - Number(parts.t)) < 300;
  return fresh && expected.length === parts.v1?.length && timingSafeEqual(Buffer.from(expected), Buffer.from(parts.v1));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function eventually<T>(check: () => Promise<T | undefined | false>, ms = 10_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > until) throw new Error('condition not met in time');
    await sleep(50);
  }
}

describe('partner webhooks (real PostgreSQL, real HTTP receiver)', () => {
  let app: TestApp;
  let receiver: FakeHttpServer;
  /** What the receiver answers next, per path (then 200). */
  const answers = new Map<string, FakeResponse[]>();
  let tenantA: { id: string; slug: string };
  let tenantB: { id: string; slug: string };

  const emit = (tenantId: string, entityId: string, type: 'ticket.created' | 'invoice.paid' = 'ticket.created') =>
    runInTenantScope(app.dataSource, { id: tenantId }, (em) =>
      recordEvent(em, { type, entityId, payload: { subject: `About ${entityId}` } }),
    );
  const createEndpoint = async (org: string, path: string, events = ['ticket.created']) => {
    const res = await app.gql(
      CreateWebhookEndpointDocument,
      { input: { url: `${receiver.url}${path}`, events, description: path } },
      { org },
    );
    expect(res.errors).toBeUndefined();
    return res.data!.createWebhookEndpoint;
  };
  const received = (path: string) => receiver.requests.filter((r) => r.path === path);
  const deliveries = async (org: string, endpointId: string) =>
    (await app.gql(WebhookDeliveriesDocument, { endpointId, first: 50 }, { org })).data!.webhookDeliveries.edges.map(
      (e) => e.node,
    );
  /**
   * The catch-up sees an event once no older transaction of the cluster is still open (see the webhooks migration):
   * on a busy test server that may take a moment.
   */
  const dispatched = (endpointId: string, count = 1, to: TestApp = app) =>
    eventually(async () => {
      await to.services.webhooks.dispatcher.catchUp();
      const [{ n }] = await to.dataSource.query(
        'SELECT count(*)::int AS n FROM public.webhook_deliveries WHERE endpoint_id = $1',
        [endpointId],
      );
      return n >= count;
    });
  /** The job's two steps, as the worker runs them. */
  const runJob = async () => {
    await app.services.webhooks.dispatcher.catchUp();
    return app.services.webhooks.sender.deliverDue();
  };

  beforeAll(async () => {
    receiver = await startFakeHttpServer((request) => answers.get(request.path)?.shift() ?? { body: { ok: true } });
    app = await startTestApp({ WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_RETRY_BASE_SECONDS: '0.05' });
    tenantA = await app.createTenant('hooks-a');
    tenantB = await app.createTenant('hooks-b');
  });
  afterAll(async () => {
    await app?.services.webhooks.dispatcher.close();
    await app?.close();
    await receiver?.close();
  });

  it('signs each delivery so the documented recipe verifies it; the secret is shown once and stored sealed', async () => {
    const { secret, endpoint } = await createEndpoint(tenantA.slug, '/signed');
    expect(secret).toMatch(/^whsec_/);
    const [stored] = await app.dataSource.query('SELECT secret FROM public.webhook_endpoints WHERE id = $1', [
      endpoint.id,
    ]);
    expect(stored.secret).not.toContain(secret);
    expect(JSON.stringify((await app.gql(WebhookEndpointsDocument, {}, { org: tenantA.slug })).data)).not.toContain(
      secret,
    );

    await emit(tenantA.id, 'ticket-1');
    await dispatched(endpoint.id);
    expect(await runJob()).toEqual({ sent: 1, retried: 0, failed: 0 });
    const [request] = received('/signed');
    const body = JSON.parse(request.body);
    expect(body).toMatchObject({
      type: 'ticket.created',
      version: 1,
      tenantId: tenantA.id,
      actor: 'system',
      entity: { type: 'ticket', id: 'ticket-1' },
      data: { subject: 'About ticket-1' },
    });
    expect(body.occurredAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(request.headers['tenantql-event-id']).toBe(body.id);
    expect(verify(secret, request.body, String(request.headers['tenantql-signature']))).toBe(true);
    expect(verify('whsec_wrong', request.body, String(request.headers['tenantql-signature']))).toBe(false);

    // A rotated secret signs from the next attempt on.
    const rotated = (await app.gql(RotateWebhookSecretDocument, { id: endpoint.id }, { org: tenantA.slug })).data!
      .rotateWebhookSecret.secret;
    const sent = await app.gql(SendTestWebhookDocument, { endpointId: endpoint.id }, { org: tenantA.slug });
    expect(sent.errors).toBeUndefined();
    const test = sent.data!.sendTestWebhook;
    expect(test).toMatchObject({ eventType: 'webhook.test', status: 'SENT', attempts: 1, responseStatus: 200 });
    const last = received('/signed').at(-1)!;
    expect(verify(rotated, last.body, String(last.headers['tenantql-signature']))).toBe(true);
    expect(verify(secret, last.body, String(last.headers['tenantql-signature']))).toBe(false);
  });

  it('a receiver answering 500 three times then 200 gets it exactly once more; the log shows 4 attempts', async () => {
    const { endpoint } = await createEndpoint(tenantA.slug, '/flaky');
    answers.set(
      '/flaky',
      [1, 2, 3].map(() => ({ status: 500, body: { error: 'down' } })),
    );
    await emit(tenantA.id, 'ticket-flaky');
    await dispatched(endpoint.id);

    await runJob();
    const [waiting] = await deliveries(tenantA.slug, endpoint.id);
    expect(waiting).toMatchObject({ status: 'PENDING', attempts: 1, responseStatus: 500 });
    expect(waiting.lastError).toContain('500');
    // Back-off 50 ms, 100 ms, 200 ms: keep running the job as a worker would until it is delivered.
    await eventually(
      async () => (await runJob()) && (await deliveries(tenantA.slug, endpoint.id))[0].status === 'SENT',
    );
    const attempts = received('/flaky');
    expect(attempts.map((r) => r.headers['tenantql-event-id'])).toEqual(
      Array(4).fill(attempts[0].headers['tenantql-event-id']),
    );
    await sleep(100);
    await runJob();
    expect(received('/flaky')).toHaveLength(4);
    const [delivered] = await deliveries(tenantA.slug, endpoint.id);
    expect(delivered).toMatchObject({ status: 'SENT', attempts: 4, responseStatus: 200, lastError: null });
    expect(delivered.latencyMs).toBeGreaterThanOrEqual(0);

    // A replay sends the same event again as a new delivery.
    const replay = (await app.gql(ReplayWebhookDeliveryDocument, { id: delivered.id }, { org: tenantA.slug })).data!
      .replayWebhookDelivery;
    expect(replay).toMatchObject({ status: 'SENT', attempts: 1, replayOf: delivered.id, eventId: delivered.eventId });
    expect(received('/flaky').at(-1)!.body).toBe(attempts[0].body);
  });

  it('delivers only to endpoints of the organization and event types that match', async () => {
    await createEndpoint(tenantB.slug, '/b-tickets');
    const invoices = await createEndpoint(tenantB.slug, '/b-invoices', ['invoice.paid']);
    await emit(tenantA.id, 'ticket-for-a');
    await emit(tenantB.id, 'invoice-for-b', 'invoice.paid');
    await dispatched(invoices.endpoint.id);
    await runJob();
    expect(received('/b-tickets')).toHaveLength(0);
    expect(received('/b-invoices').map((r) => JSON.parse(r.body).entity.id)).toEqual(['invoice-for-b']);
    expect(received('/signed').some((r) => r.body.includes('invoice-for-b'))).toBe(false);
  });

  it('a rolled-back event creates no delivery', async () => {
    const { endpoint } = await createEndpoint(tenantB.slug, '/rolled-back');
    await expect(
      runInTenantScope(app.dataSource, { id: tenantB.id }, async (em) => {
        await recordEvent(em, { type: 'ticket.created', entityId: 'never' });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    // An event committed after the rolled-back one is dispatched: the catch-up has passed where that one would be.
    await emit(tenantB.id, 'after-the-rollback');
    await dispatched(endpoint.id);
    await runJob();
    const [{ n }] = await app.dataSource.query(
      `SELECT count(*)::int AS n FROM public.webhook_deliveries WHERE body LIKE '%"never"%'`,
    );
    expect(n).toBe(0);
    expect(received('/rolled-back').map((r) => JSON.parse(r.body).entity.id)).toEqual(['after-the-rollback']);
  });

  it('the listener attempts a committed event at once, without waiting for the job', async () => {
    await createEndpoint(tenantB.slug, '/live');
    await app.services.webhooks.dispatcher.listen();
    try {
      const started = Date.now();
      await emit(tenantB.id, 'ticket-live');
      await eventually(async () => received('/live').length === 1, 5000);
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      await app.services.webhooks.dispatcher.close(); // later tests attempt deliveries themselves
    }
  });

  it('the listener still attempts an event whose delivery a concurrent catch-up created first', async () => {
    const { endpoint } = await createEndpoint(tenantB.slug, '/raced');
    await emit(tenantB.id, 'ticket-raced');
    await dispatched(endpoint.id); // the catch-up won the insert
    const [delivery] = await deliveries(tenantB.slug, endpoint.id);
    const [{ id: eventId }] = await app.dataSource.query(
      `SELECT id::text FROM public.domain_events WHERE entity_id = 'ticket-raced'`,
    );
    expect(await app.services.webhooks.dispatcher.dispatchEvent(eventId)).toContain(delivery.id);
    await app.services.webhooks.sender.deliverDue(); // as the listener would (with the event's other endpoints)
    // Once attempted it is no longer the listener's: a second notification of the event attempts nothing.
    expect(await app.services.webhooks.dispatcher.dispatchEvent(eventId)).toEqual([]);
    expect(received('/raced')).toHaveLength(1);
  });

  it('a worker killed mid-delivery loses nothing: once the lease expires the delivery is sent again', async () => {
    const { endpoint } = await createEndpoint(tenantB.slug, '/killed');
    await emit(tenantB.id, 'ticket-killed');
    await dispatched(endpoint.id);
    // A worker claimed it and died before recording anything: SENDING, attempt 1, lease still running.
    await app.dataSource.query(
      `UPDATE public.webhook_deliveries SET status = 'SENDING', attempts = 1, next_attempt_at = now() + interval '1 minute'
        WHERE endpoint_id = $1`,
      [endpoint.id],
    );
    await app.services.webhooks.sender.deliverDue(); // other endpoints' deliveries of the same event
    expect(received('/killed')).toHaveLength(0);
    await app.dataSource.query(
      `UPDATE public.webhook_deliveries SET next_attempt_at = now() - interval '1 second' WHERE endpoint_id = $1`,
      [endpoint.id],
    );
    expect(await app.services.webhooks.sender.deliverDue()).toMatchObject({ sent: 1 });
    expect(received('/killed')).toHaveLength(1);
    expect((await deliveries(tenantB.slug, endpoint.id))[0]).toMatchObject({ status: 'SENT', attempts: 2 });
  });

  it('disables an endpoint after repeated failures and mails the owners and admins', async () => {
    const disabling = await startTestApp({
      WEBHOOK_ALLOW_PRIVATE: 'true',
      WEBHOOK_RETRY_BASE_SECONDS: '0.01',
      WEBHOOK_DISABLE_AFTER_FAILURES: '3',
      WEBHOOK_DISABLE_AFTER_HOURS: '0',
    });
    try {
      const owner = await signUp(disabling, 'olive@hooks.example', 'Hooks Disable');
      const tenant = owner.tenant;
      answers.set(
        '/dead',
        Array.from({ length: 10 }, () => ({ status: 503, body: {} })),
      );
      const created = await disabling.gql(
        CreateWebhookEndpointDocument,
        { input: { url: `${receiver.url}/dead`, events: ['*'], description: '' } },
        { org: tenant.slug },
      );
      const endpoint = created.data!.createWebhookEndpoint.endpoint;
      await runInTenantScope(disabling.dataSource, { id: tenant.id }, (em) =>
        recordEvent(em, { type: 'customer.created', entityId: 'c1' }),
      );
      await dispatched(endpoint.id, 1, disabling);
      await eventually(async () => {
        await disabling.services.webhooks.sender.deliverDue();
        const [row] = await disabling.dataSource.query('SELECT enabled FROM public.webhook_endpoints WHERE id = $1', [
          endpoint.id,
        ]);
        return !row.enabled;
      });
      expect(received('/dead')).toHaveLength(3);
      const [listed] = (await disabling.gql(WebhookEndpointsDocument, {}, { org: tenant.slug })).data!.webhookEndpoints;
      expect(listed).toMatchObject({ enabled: false, consecutiveFailures: 3 });
      expect(listed.disabledReason).toContain('3 failed attempts');
      const mails = await disabling.dataSource.query(
        `SELECT to_address, subject FROM public.email_outbox WHERE idempotency_key LIKE 'webhook-disabled:%'`,
      );
      expect(mails).toEqual([
        { to_address: 'olive@hooks.example', subject: 'Webhook endpoint disabled for Hooks Disable' },
      ]);
      // What was pending is given up, not sent to a disabled endpoint.
      await sleep(50);
      expect(await disabling.services.webhooks.sender.deliverDue()).toEqual({ sent: 0, retried: 0, failed: 1 });
      expect(received('/dead')).toHaveLength(3);

      const enabled = await disabling.gql(
        UpdateWebhookEndpointDocument,
        { id: endpoint.id, input: { enabled: true } },
        { org: tenant.slug },
      );
      expect(enabled.data!.updateWebhookEndpoint).toMatchObject({
        enabled: true,
        disabledReason: null,
        consecutiveFailures: 0,
      });
    } finally {
      await disabling.close();
    }
  });

  it('refuses plans without webhooks, unknown event types, and API keys without the scope', async () => {
    const free = await app.createTenant('hooks-free');
    // An endpoint made on the trial, before the organization moved to FREE.
    const { endpoint: downgraded } = await createEndpoint(free.slug, '/downgraded', ['*']);
    await app.dataSource.transaction((em) =>
      app.services.plans.activatePlan(em, free.id, PlanCode.FREE, {
        periodStart: new Date(),
        periodEnd: new Date(Date.now() + 30 * 86_400_000),
      }),
    );
    const input = { url: `${receiver.url}/free`, events: ['ticket.created'], description: '' };
    const refused = await app.gql(CreateWebhookEndpointDocument, { input }, { org: free.slug });
    expect(refused.errors?.[0].extensions).toMatchObject({ code: 'PLAN_UPGRADE_REQUIRED', feature: 'webhooks' });
    await emit(free.id, 'after-downgrade');
    await dispatched(downgraded.id);
    await runJob();
    expect(received('/downgraded')).toHaveLength(0);
    const [stopped] = await app.dataSource.query(
      'SELECT status, last_error FROM public.webhook_deliveries WHERE endpoint_id = $1',
      [downgraded.id],
    );
    expect(stopped).toMatchObject({ status: 'FAILED', last_error: expect.stringContaining('webhooks needs') });
    const unknown = await app.gql(
      CreateWebhookEndpointDocument,
      { input: { ...input, events: ['ticket.exploded'] } },
      { org: tenantA.slug },
    );
    expect(unknown.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'UNKNOWN_EVENT_TYPE' });

    // People need ADMIN; an API key needs webhooks:write (webhooks:read to list).
    const owner = await signUp(app, 'hooks-owner@example.com', 'Hooks Keys');
    const key = async (scopes: string[]) =>
      (
        await app.gql(
          CreateApiKeyDocument,
          { input: { name: scopes.join(' '), scopes } },
          { bearer: owner.token, org: owner.tenant.slug },
        )
      ).data!.createApiKey.secret;
    const asKey = (secret: string) => ({ admin: false, headers: { 'x-api-key': secret }, org: owner.tenant.slug });
    const reader = await key(['webhooks:read']);
    const writer = await key(['webhooks:write']);
    const byReader = await app.gql(CreateWebhookEndpointDocument, { input }, asKey(reader));
    expect(byReader.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', requiredScope: 'webhooks:write' });
    expect((await app.gql(WebhookEndpointsDocument, {}, asKey(reader))).data!.webhookEndpoints).toEqual([]);
    const byWriter = await app.gql(CreateWebhookEndpointDocument, { input }, asKey(writer));
    expect(byWriter.data!.createWebhookEndpoint.endpoint.url).toBe(`${receiver.url}/free`);
  });
});

describe('webhook targets in production (SSRF)', () => {
  const production = loadConfig({
    NODE_ENV: 'production',
    SECRET_KEY: 's'.repeat(40),
    ENCRYPTION_KEY: 'a'.repeat(64),
    DATABASE_URL: 'postgres://db.internal/tenantql',
  });
  const service = new WebhookEndpointService({
    secrets: undefined as never,
    entitlements: { requireFeature: async () => undefined },
    targets: production.webhooks,
  });
  const create = (url: string) =>
    service.create({ query: async () => [] } as never, 'tenant', { url, events: ['*'], description: '' });

  it.each([
    ['https://127.0.0.1:8443/hook', 'PRIVATE_ADDRESS'],
    ['https://localhost/hook', 'PRIVATE_ADDRESS'],
    ['https://[::1]/hook', 'PRIVATE_ADDRESS'],
    ['https://[::ffff:127.0.0.1]/hook', 'PRIVATE_ADDRESS'],
    ['https://169.254.169.254/latest/meta-data', 'PRIVATE_ADDRESS'],
    ['https://10.1.2.3/hook', 'PRIVATE_ADDRESS'],
    ['https://[fd00::1]/hook', 'PRIVATE_ADDRESS'],
    ['https://224.0.0.1/hook', 'PRIVATE_ADDRESS'],
    ['https://0.0.0.0/hook', 'PRIVATE_ADDRESS'],
    ['http://hooks.example.com/hook', 'INSECURE_URL'],
    ['not a url', 'INVALID_URL'],
  ])('refuses %s (%s)', async (url, reason) => {
    await expect(create(url)).rejects.toMatchObject({ code: 'BAD_USER_INPUT', details: { reason } });
  });

  it('connects only to addresses it checked: a name resolving to 127.0.0.1 fails at lookup', async () => {
    const lookup = guardedLookup(production.webhooks);
    const error = await new Promise<Error | null>((resolve) => lookup('localhost', {}, (e) => resolve(e)));
    expect(error?.message).toContain('private or local address (localhost → 127.0.0.1)');
    const allowed = guardedLookup({ allowHttp: true, allowPrivate: true });
    const address = await new Promise<string>((resolve) => allowed('localhost', {}, (_e, a) => resolve(String(a))));
    expect(address).toMatch(/^(127\.0\.0\.1|::1)$/);
  });
});
