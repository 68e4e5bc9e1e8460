import pino from 'pino';
import {
  ActivateContractDocument,
  AuditLogDocument,
  CreateApiKeyDocument,
  CreateCustomerDocument,
  CreateInvoiceFromQuoteDocument,
  GenerateContractFromQuoteDocument,
  MarkInvoicePaidDocument,
  RemoveMemberDocument,
  RevokeApiKeyDocument,
  UpdateCustomerDocument,
  UpdateMemberRoleDocument,
  UpdateTenantSettingsDocument,
} from '../../../test/generated/graphql';
import { acceptedQuote } from '../../../test/support/accepted-quote';
import { addMember, signUp, type TestAccount } from '../../../test/support/accounts';
import { eventsOf } from '../../../test/support/domain-events';
import { startTestApp, type RequestOptions, type TestApp } from '../../../test/support/test-app';
import { setEventActor } from '../../core/events';
import { auditRetentionJob } from '../../jobs/audit-retention.job';
import { PlanCode } from '../plans';
import { parseActor } from './audit.service';

describe('domain events of every family, and the audit log (through HTTP, real PostgreSQL)', () => {
  let app: TestApp;
  let owner: TestAccount;
  let admin: TestAccount;
  let agent: TestAccount;
  let other: TestAccount;
  let asOwner: RequestOptions;
  const user = (account: TestAccount) => `user:${account.userId}`;

  beforeAll(async () => {
    app = await startTestApp({ AUTH_RATE_LIMIT_PER_HOUR: '1000' });
    owner = await signUp(app, 'olga@audit.test', 'Audit Works');
    admin = await signUp(app, 'adam@audit.test', 'Adam Home');
    agent = await signUp(app, 'agnes@audit.test', 'Agnes Home');
    other = await signUp(app, 'otto@audit.test', 'Other Org');
    await addMember(app, owner, admin, 'ADMIN');
    await addMember(app, owner, agent, 'MEMBER');
    asOwner = { bearer: owner.token, org: owner.tenant.slug };
  });
  afterAll(() => app.close());

  const ok = <T>(res: { data?: T | null; errors?: unknown }): T => {
    expect(res.errors).toBeUndefined();
    return res.data!;
  };
  const log = (options: RequestOptions, variables: Parameters<typeof app.gql<unknown, object>>[1] = {}) =>
    app.gql(AuditLogDocument, variables as never, options);

  it('records each family once, with its actor and the changed fields', async () => {
    const before = (await eventsOf(app.dataSource, owner.tenant.id)).length;
    const { createCustomer } = ok(
      await app.gql(CreateCustomerDocument, { input: { name: 'Ada', email: 'ada@example.test' } }, asOwner),
    );
    ok(await app.gql(UpdateCustomerDocument, { id: createCustomer.id, input: { name: 'Ada L.' } }, asOwner));
    ok(await app.gql(UpdateTenantSettingsDocument, { input: { legalName: 'Audit Works Pvt. Ltd.' } }, asOwner));
    const { createApiKey } = ok(
      await app.gql(CreateApiKeyDocument, { input: { name: 'auditor', scopes: ['audit:read'] } }, asOwner),
    );
    ok(await app.gql(UpdateMemberRoleDocument, { userId: agent.userId, role: 'VIEWER' }, asOwner));
    const quote = await acceptedQuote(app, owner.tenant.slug, {
      customerId: createCustomer.id,
      title: 'Cabling',
      currency: 'NPR',
      validUntil: '2099-12-31',
      lineItems: [{ description: 'Cable', quantity: '3', unitPrice: '10.00', taxRate: '13' }],
    });
    const { createInvoiceFromQuote: invoice } = ok(
      await app.gql(CreateInvoiceFromQuoteDocument, { quoteId: quote.id }, asOwner),
    );
    ok(await app.gql(MarkInvoicePaidDocument, { id: invoice.id }, asOwner));
    const { generateContractFromQuote: contract } = ok(
      await app.gql(GenerateContractFromQuoteDocument, { quoteId: quote.id }, asOwner),
    );
    ok(await app.gql(ActivateContractDocument, { id: contract.id }, asOwner));
    await app.dataSource.transaction(async (em) => {
      await setEventActor(em, 'system:stripe-webhook');
      await app.services.plans.activatePlan(em, owner.tenant.id, PlanCode.ENTERPRISE, {
        periodStart: new Date(),
        periodEnd: new Date(Date.now() + 30 * 86_400_000),
      });
    });

    const events = (await eventsOf(app.dataSource, owner.tenant.id)).slice(before);
    expect(events.map((e) => [e.type, e.actor])).toEqual([
      ['customer.created', user(owner)],
      ['customer.updated', user(owner)],
      ['settings.updated', user(owner)],
      ['api_key.created', user(owner)],
      ['member.role_changed', user(owner)],
      ['quote.created', 'platform_admin'],
      ['quote.sent', 'platform_admin'],
      ['quote.accepted', 'platform_admin'],
      ['invoice.created', user(owner)],
      ['invoice.paid', user(owner)],
      ['contract.activated', user(owner)],
      ['subscription.plan_changed', 'system:stripe-webhook'],
    ]);
    const byType = Object.fromEntries(events.map((e) => [e.type, e]));
    expect(byType['customer.updated'].changes).toEqual([{ field: 'name', before: 'Ada', after: 'Ada L.' }]);
    expect(byType['settings.updated'].changes).toEqual([
      { field: 'legalName', before: null, after: 'Audit Works Pvt. Ltd.' },
    ]);
    expect(byType['api_key.created'].payload).toEqual({
      apiKeyId: createApiKey.apiKey.id,
      name: 'auditor',
      prefix: createApiKey.apiKey.prefix,
      scopes: ['audit:read'],
      expiresAt: null,
    });
    expect(JSON.stringify(byType['api_key.created'])).not.toContain(createApiKey.secret);
    expect(byType['member.role_changed']).toMatchObject({
      entityType: 'member',
      entityId: agent.userId,
      changes: [{ field: 'role', before: 'MEMBER', after: 'VIEWER' }],
    });
    expect(byType['quote.accepted']).toMatchObject({
      payload: { quoteId: quote.id, status: 'ACCEPTED', previousStatus: 'SENT', currency: 'NPR' },
      changes: [{ field: 'status', before: 'SENT', after: 'ACCEPTED' }],
    });
    expect(byType['invoice.paid'].changes).toEqual([{ field: 'status', before: 'DRAFT', after: 'PAID' }]);
    expect(byType['contract.activated']).toMatchObject({
      entityId: contract.id,
      payload: { contractId: contract.id, quoteId: quote.id, status: 'ACTIVE', previousStatus: 'DRAFT' },
    });
    expect(byType['subscription.plan_changed'].changes).toContainEqual({
      field: 'plan',
      before: 'PROFESSIONAL',
      after: 'ENTERPRISE',
    });
  });

  it('member joined (sign-up, invitation) and removed are recorded; the joining user is the actor', async () => {
    const joined = (await eventsOf(app.dataSource, owner.tenant.id, 'member.joined')).map((e) => [e.entityId, e.actor]);
    expect(joined).toEqual([
      [owner.userId, user(owner)], // signing up made the organization and its OWNER
      [admin.userId, user(admin)],
      [agent.userId, user(agent)],
    ]);
    ok(await app.gql(RemoveMemberDocument, { userId: agent.userId }, asOwner));
    const [removed] = await eventsOf(app.dataSource, owner.tenant.id, 'member.removed');
    expect(removed).toMatchObject({ actor: user(owner), changes: [{ field: 'role', before: 'VIEWER', after: null }] });
  });

  it('answers who, what, when and the changes to ADMINs, filtered and paged, newest first', async () => {
    const asAdmin = { bearer: admin.token, org: owner.tenant.slug };
    const page = ok(await log(asAdmin, { filter: { entityType: 'member' }, first: 2 })).auditLog;
    expect(page.edges.map((e) => e.node.type)).toEqual(['member.removed', 'member.role_changed']);
    expect(page.edges[1].node).toMatchObject({
      entityId: agent.userId,
      actor: { kind: 'USER', id: owner.userId, label: owner.email },
      changes: [{ field: 'role', before: 'MEMBER', after: 'VIEWER' }],
    });
    expect(page.pageInfo.hasNextPage).toBe(true);
    const next = ok(await log(asAdmin, { filter: { entityType: 'member' }, after: page.pageInfo.endCursor })).auditLog;
    expect(next.edges.map((e) => [e.node.type, e.node.actor.label])).toEqual([
      ['member.joined', agent.email],
      ['member.joined', admin.email],
      ['member.joined', owner.email],
    ]);
    expect(next.pageInfo.hasNextPage).toBe(false);

    const byActor = ok(await log(asAdmin, { filter: { actor: 'system:stripe-webhook' } })).auditLog;
    expect(byActor.edges.map((e) => [e.node.type, e.node.actor.kind, e.node.actor.id])).toEqual([
      ['subscription.plan_changed', 'SYSTEM', 'stripe-webhook'],
    ]);
    const future = ok(await log(asAdmin, { filter: { from: new Date(Date.now() + 60_000).toISOString() } })).auditLog;
    expect(future.edges).toEqual([]);
    const badRange = await log(asAdmin, { filter: { from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' } });
    expect(badRange.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVALID_RANGE' });
    const badCursor = await log(asAdmin, { after: 'bm9wZQ' });
    expect(badCursor.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVALID_CURSOR' });
  });

  it('is for ADMIN and up, API keys with audit:read, and only ever the caller organization', async () => {
    const viewer = await signUp(app, 'vera@audit.test', 'Vera Home');
    await addMember(app, owner, viewer, 'VIEWER');
    const refused = await log({ bearer: viewer.token, org: owner.tenant.slug });
    expect(refused.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'INSUFFICIENT_ROLE' });

    const key = async (name: string, scopes: string[]) => {
      const { createApiKey } = ok(await app.gql(CreateApiKeyDocument, { input: { name, scopes } }, asOwner));
      return {
        ...createApiKey,
        as: { admin: false, org: owner.tenant.slug, headers: { 'x-api-key': createApiKey.secret } },
      };
    };
    const auditor = await key('auditor-2', ['audit:read']);
    const writer = await key('writer', ['customers:write']);
    const noScope = await log(writer.as);
    expect(noScope.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'MISSING_SCOPE' });

    // What a key does is audited under its own name.
    const { createCustomer } = ok(await app.gql(CreateCustomerDocument, { input: { name: 'By key' } }, writer.as));
    ok(await app.gql(RevokeApiKeyDocument, { id: writer.apiKey.id }, asOwner));
    const seen = ok(await log(auditor.as, { filter: { entityId: createCustomer.id } })).auditLog.edges;
    expect(seen.map((e) => [e.node.type, e.node.actor])).toEqual([
      ['customer.created', { kind: 'API_KEY', id: writer.apiKey.id, label: 'writer' }],
    ]);
    const revoked = ok(await log(auditor.as, { filter: { entityId: writer.apiKey.id } })).auditLog.edges;
    expect(revoked.map((e) => e.node.type)).toEqual(['api_key.revoked', 'api_key.created']);

    // Another organization's owner sees none of these entries, whatever filter it sends.
    const foreign = ok(
      await log({ bearer: other.token, org: other.tenant.slug }, { filter: { entityId: createCustomer.id } }),
    ).auditLog;
    expect(foreign.edges).toEqual([]);
  });

  it('is append-only: changes are refused; the retention job prunes old entries only', async () => {
    await expect(app.dataSource.query(`UPDATE public.domain_events SET actor = 'someone'`)).rejects.toThrow(
      /append-only/,
    );
    await expect(app.dataSource.query('DELETE FROM public.domain_events')).rejects.toThrow(/append-only/);
    await expect(app.dataSource.query('TRUNCATE public.domain_events')).rejects.toThrow(/append-only/);
    await app.dataSource.query(
      `INSERT INTO public.domain_events (tenant_id, type, entity_type, entity_id, occurred_at)
       VALUES ($1, 'customer.deleted', 'customer', 'old-1', now() - interval '40 days'),
              ($1, 'customer.deleted', 'customer', 'old-2', now() - interval '31 days')`,
      [owner.tenant.id],
    );
    const count = async () => (await eventsOf(app.dataSource, owner.tenant.id)).length;
    const before = await count();
    const job = auditRetentionJob({ ...app.services, config: { auditRetentionDays: 30 } });
    await job.run({}, { logger: pino({ level: 'silent' }), touch: async () => undefined });
    expect(await count()).toBe(before - 2);
    const left = await app.dataSource.query(`SELECT 1 FROM public.domain_events WHERE entity_id LIKE 'old-%'`);
    expect(left).toEqual([]);
  });
});

describe('audit actors', () => {
  it('parses every recorded actor form into a kind and an id', () => {
    expect(
      ['user:u1', 'api_key:k1', 'platform_admin', 'system:quotes.expiry', 'channel:email', 'anonymous', 'system'].map(
        (raw) => {
          const { kind, id } = parseActor(raw);
          return [kind, id];
        },
      ),
    ).toEqual([
      ['USER', 'u1'],
      ['API_KEY', 'k1'],
      ['PLATFORM_ADMIN', null],
      ['SYSTEM', 'quotes.expiry'],
      ['CHANNEL', 'email'],
      ['ANONYMOUS', null],
      ['SYSTEM', null],
    ]);
  });
});
