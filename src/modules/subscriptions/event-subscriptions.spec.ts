import { randomUUID } from 'node:crypto';
import {
  CreateApiKeyDocument,
  LogoutAllSessionsDocument,
  QuoteEventsDocument,
  RemoveMemberDocument,
  RevokeApiKeyDocument,
  TicketEventsDocument,
} from '../../../test/generated/graphql';
import { addMember, signUp, type TestAccount } from '../../../test/support/accounts';
import { connectSubscriber, until, type TestSubscriber } from '../../../test/support/subscription-client';
import { startTestApp, TEST_ADMIN_SECRET, type TestApp } from '../../../test/support/test-app';
import { recordEvent, type DomainEventType } from '../../core/events/domain-event';
import { runInSchema } from '../../core/tenancy/tenant-scope';
import { signAccessToken } from '../auth/access-token';

/**
 * GraphQL subscriptions through the package's real client: delivery to the caller's organization only,
 * across two app instances on one database, resume after a drop, credentials that end, refusals.
 */
describe('GraphQL subscriptions over graphql-ws', () => {
  let app: TestApp;
  let other: TestApp; // a second API instance on the same database
  let alice: TestAccount;
  let bob: TestAccount;
  const subscribers: TestSubscriber[] = [];
  const connect = (target: TestApp, params: Record<string, string>, options?: { lazy: boolean }) => {
    const subscriber = connectSubscriber(target, params, options);
    subscribers.push(subscriber);
    return subscriber;
  };
  const asUser = (account: TestAccount, org = account.tenant.slug) => ({
    authorization: `Bearer ${account.token}`,
    'x-organization-id': org,
  });
  /** Subscribers registered on an instance's event feed (graphql-ws does not acknowledge a subscribe). */
  const listening = (target: TestApp, count: number) => until(() => target.services.eventFeed.subscriberCount >= count);

  /** A committed ticket event of `tenantId` (what TicketService records with the change). */
  const ticketEvent = async (tenantId: string, type: DomainEventType = 'ticket.created', ticketId = randomUUID()) => {
    const payload = {
      ticketId,
      number: 7,
      subject: 'Printer on fire',
      status: 'NEW',
      priority: 'HIGH',
      channel: 'API',
    };
    // In the organization's schema, as services record it (the automation hook reads the tenant's rules).
    const [tenant] = await app.dataSource.query('SELECT schema_name FROM public.tenants WHERE id = $1', [tenantId]);
    await runInSchema(app.dataSource, tenant.schema_name, (em) =>
      recordEvent(em, { type, entityId: ticketId, payload, tenantId }),
    );
    const [row] = await app.dataSource.query('SELECT max(id)::text AS id FROM public.domain_events');
    return { id: row.id as string, ticketId };
  };

  beforeAll(async () => {
    app = await startTestApp({ SUBSCRIPTION_REPLAY_MAX_EVENTS: '5' });
    other = await startTestApp({ SUBSCRIPTION_REPLAY_MAX_EVENTS: '5' }, { sharedDatabaseOf: app });
    alice = await signUp(app, 'alice@subs.test', 'Alice Helpdesk');
    bob = await signUp(app, 'bob@subs.test', 'Bob Helpdesk');
  });
  afterEach(async () => {
    await Promise.all(subscribers.splice(0).map((s) => s.close()));
    // The server lets go of them a little later: the next test counts only its own.
    await until(() => app.services.eventFeed.subscriberCount + other.services.eventFeed.subscriberCount === 0);
  });
  afterAll(async () => {
    await other?.close();
    await app?.close();
  });

  it("delivers an organization's event to its subscriber within 1 s, never to another organization's", async () => {
    const mine = connect(app, asUser(alice)).subscribe(TicketEventsDocument);
    const theirs = connect(app, asUser(bob)).subscribe(TicketEventsDocument);
    await listening(app, 2);
    const committedAt = Date.now();
    const { id, ticketId } = await ticketEvent(alice.tenant.id);
    const [{ ticketEvents: event }] = await mine.next(1, 1000);
    expect(Date.now() - committedAt).toBeLessThan(1000);
    expect(event).toMatchObject({
      id,
      type: 'TICKET_CREATED',
      version: 1,
      ticketId,
      number: 7,
      subject: 'Printer on fire',
      status: 'NEW',
      priority: 'HIGH',
      channel: 'API',
      actor: { kind: 'SYSTEM', id: null },
      changedFields: [],
      message: null,
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(theirs.received).toEqual([]);
    expect(theirs.errors).toEqual([]);
  });

  it('filters by type and ticket', async () => {
    const target = randomUUID();
    const filter = { types: ['TICKET_UPDATED' as const], ticketId: target };
    const filtered = connect(app, asUser(alice)).subscribe(TicketEventsDocument, { filter });
    await listening(app, 1);
    await ticketEvent(alice.tenant.id, 'ticket.updated'); // another ticket
    await ticketEvent(alice.tenant.id, 'ticket.created', target); // another type
    const { id } = await ticketEvent(alice.tenant.id, 'ticket.updated', target);
    const [{ ticketEvents }] = await filtered.next(1);
    expect(ticketEvents).toMatchObject({ id, type: 'TICKET_UPDATED', ticketId: target });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(filtered.received).toHaveLength(1);
  });

  it('a subscriber on one instance sees an event caused through the other instance', async () => {
    const onOther = connect(other, asUser(alice)).subscribe(TicketEventsDocument);
    await listening(other, 1);
    await recordEvent(app.dataSource.manager, {
      type: 'quote.created',
      entityId: randomUUID(),
      tenantId: alice.tenant.id,
    }); // not a ticket event: not delivered
    const { id } = await ticketEvent(alice.tenant.id);
    const [{ ticketEvents }] = await onOther.next(1);
    expect(ticketEvents.id).toBe(id);
  });

  it('resumes after a drop with the missed events, then live ones; too far behind is REPLAY_WINDOW_EXCEEDED', async () => {
    const first = connect(app, asUser(alice)).subscribe(TicketEventsDocument);
    await listening(app, 1);
    const seen = await ticketEvent(alice.tenant.id);
    await first.next(1);
    await subscribers.pop()!.close(); // the client drops
    const missed = [await ticketEvent(alice.tenant.id), await ticketEvent(alice.tenant.id, 'ticket.message_added')];
    const resumed = connect(app, asUser(alice)).subscribe(TicketEventsDocument, { after: seen.id });
    const replayed = await resumed.next(2);
    expect(replayed.map((r) => r.ticketEvents.id)).toEqual(missed.map((m) => m.id));
    await listening(app, 1);
    const live = await ticketEvent(alice.tenant.id);
    expect((await resumed.next(3))[2].ticketEvents.id).toBe(live.id);

    for (let i = 0; i < 5; i++) await ticketEvent(alice.tenant.id); // more than the window's 5 since `seen`
    const late = connect(app, asUser(alice)).subscribe(TicketEventsDocument, { after: seen.id });
    await late.ended;
    expect(late.errors[0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'REPLAY_WINDOW_EXCEEDED' });
    const elsewhere = connect(app, asUser(bob)).subscribe(TicketEventsDocument, { after: live.id });
    await elsewhere.ended; // another organization's event id is no resume point
    expect(elsewhere.errors[0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'REPLAY_WINDOW_EXCEEDED' });
  });

  it('a revoked API key ends its subscription within 5 s (UNAUTHENTICATED, then close 4401)', async () => {
    const created = await app.gql(
      CreateApiKeyDocument,
      { input: { name: 'wallboard', scopes: ['tickets:read'] } },
      { bearer: alice.token, org: alice.tenant.slug },
    );
    const { secret, apiKey } = created.data!.createApiKey;
    // Not lazy: the client keeps its socket after its last subscription ended, so the server's close is seen.
    const subscriber = connect(app, { authorization: `Bearer ${secret}` }, { lazy: false });
    const subscription = subscriber.subscribe(TicketEventsDocument);
    await listening(app, 1);
    const { id } = await ticketEvent(alice.tenant.id);
    expect((await subscription.next(1))[0].ticketEvents.id).toBe(id);
    await app.gql(RevokeApiKeyDocument, { id: apiKey.id }, { bearer: alice.token, org: alice.tenant.slug });
    const revokedAt = Date.now();
    await subscription.ended;
    expect(Date.now() - revokedAt).toBeLessThan(5000);
    expect(subscription.errors[0].extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'API_KEY_REVOKED' });
    await until(() => subscriber.closes.length > 0);
    expect(subscriber.closes[0]).toMatchObject({ code: 4401, reason: expect.stringMatching(/^API_KEY_REVOKED/) });
  });

  it('an ended session ends its subscriptions within 5 s', async () => {
    const subscription = connect(app, asUser(alice)).subscribe(TicketEventsDocument);
    await listening(app, 1);
    await app.gql(LogoutAllSessionsDocument, {}, { bearer: alice.token });
    const endedAt = Date.now();
    await subscription.ended;
    expect(Date.now() - endedAt).toBeLessThan(5000);
    expect(subscription.errors[0].extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'SESSION_ENDED' });
    alice = await signUp(app, `alice+${Date.now()}@subs.test`, 'Alice Again');
  });

  it('an access token that expires ends its subscription within 5 s of its expiry', async () => {
    const sessionId = JSON.parse(Buffer.from(alice.token.split('.')[1], 'base64url').toString()).sid;
    const { token, expiresAt } = await signAccessToken(
      { ...app.config.jwt, expirationHours: 2 / 3600 },
      { userId: alice.userId, sessionId, emailVerified: true },
    );
    const subscription = connect(app, { authorization: `Bearer ${token}`, 'x-organization-id': alice.tenant.slug });
    const sub = subscription.subscribe(TicketEventsDocument);
    await sub.ended;
    expect(Date.now() - expiresAt.getTime()).toBeLessThan(5000);
    expect(sub.errors[0].extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'ACCESS_TOKEN_EXPIRED' });
  });

  it('a member removed from the organization stops receiving its events (FORBIDDEN, then close 4403)', async () => {
    const carol = await signUp(app, 'carol@subs.test', 'Carol Elsewhere');
    await addMember(app, alice, carol, 'VIEWER');
    const subscriber = connect(app, asUser(carol, alice.tenant.slug), { lazy: false });
    const subscription = subscriber.subscribe(TicketEventsDocument);
    await listening(app, 1);
    const { id } = await ticketEvent(alice.tenant.id);
    expect((await subscription.next(1))[0].ticketEvents.id).toBe(id);
    await app.gql(RemoveMemberDocument, { userId: carol.userId }, { bearer: alice.token, org: alice.tenant.slug });
    const removedAt = Date.now();
    await subscription.ended;
    expect(Date.now() - removedAt).toBeLessThan(7000);
    expect(subscription.errors[0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'NOT_A_MEMBER' });
    await until(() => subscriber.closes.length > 0);
    expect(subscriber.closes[0]).toMatchObject({ code: 4403 });
  });

  it('refuses bad or missing credentials at connection time with 4401', async () => {
    const refused: Record<string, string>[] = [
      { authorization: 'Bearer not-a-token' },
      {},
      { 'x-admin-secret': 'wrong' },
    ];
    for (const params of refused) {
      const subscription = connect(app, params).subscribe(TicketEventsDocument);
      await subscription.ended;
      expect(subscription.closed).toMatchObject({ code: 4401 });
      expect(subscription.received).toEqual([]);
    }
  });

  it('authorizes each subscription with the policies of the queries', async () => {
    const notMine = connect(app, asUser(bob, alice.tenant.slug)).subscribe(TicketEventsDocument);
    await notMine.ended;
    expect(notMine.errors[0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'NOT_A_MEMBER' });

    const created = await app.gql(
      CreateApiKeyDocument,
      { input: { name: 'tickets only', scopes: ['tickets:read'] } },
      { bearer: alice.token, org: alice.tenant.slug },
    );
    const keyed = connect(app, { 'x-api-key': created.data!.createApiKey.secret });
    const quotes = keyed.subscribe(QuoteEventsDocument);
    await quotes.ended;
    expect(quotes.errors[0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'MISSING_SCOPE' });

    const admin = connect(app, { 'x-admin-secret': TEST_ADMIN_SECRET });
    const noOrganization = admin.subscribe(TicketEventsDocument);
    await noOrganization.ended;
    expect(noOrganization.errors[0].extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      reason: 'ORGANIZATION_REQUIRED',
    });
  });

  it('serves only subscriptions over WebSocket', async () => {
    const query = connect(app, asUser(alice)).subscribe(CreateApiKeyDocument, {
      input: { name: 'over ws', scopes: ['tickets:read'] },
    });
    await query.ended;
    expect(query.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'NOT_A_SUBSCRIPTION' });
    const [{ count }] = await app.dataSource.query(
      "SELECT count(*)::int AS count FROM public.api_keys WHERE name = 'over ws'",
    );
    expect(count).toBe(0);
  });
});
