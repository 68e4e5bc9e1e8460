import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';
import {
  ChangePlanDocument,
  CreateSetupIntentDocument,
  CurrentSubscriptionDocument,
  DetachPaymentMethodDocument,
  OnboardingStatusDocument,
  PaymentMethodsDocument,
  PaymentTransactionsDocument,
  SetDefaultPaymentMethodDocument,
} from '../../../test/generated/graphql';
import { addMember, signUp } from '../../../test/support/accounts';
import {
  FAKE_STRIPE_PRICES,
  FAKE_STRIPE_WEBHOOK_SECRET,
  startFakeStripe,
  type FakeStripe,
} from '../../../test/support/fake-stripe';
import { startTestApp, type TestApp } from '../../../test/support/test-app';

const DAY = 86_400;
const nowSeconds = () => Math.floor(Date.now() / 1000);
const signer = new Stripe('sk_test_signer').webhooks;

interface BillingTenant {
  id: string;
  slug: string;
  customerId: string;
}

describe('Stripe billing and webhooks (real stripe client → local Stripe stand-in, real PostgreSQL)', () => {
  let app: TestApp;
  let stripe: FakeStripe;

  beforeAll(async () => {
    stripe = await startFakeStripe();
    app = await startTestApp(stripe.env);
  });
  afterAll(async () => {
    await app.close();
    await stripe.close();
  });

  /** An organization with a Stripe customer (created by its first SetupIntent), optionally with a default card. */
  async function billingTenant(
    slug: string,
    options: { card?: boolean; owned?: boolean } = {},
  ): Promise<BillingTenant> {
    const tenant = options.owned
      ? (await signUp(app, `owner@${slug}.example`, slug)).tenant
      : await app.createTenant(slug);
    const intent = await app.gql(CreateSetupIntentDocument, {}, { org: tenant.slug });
    expect(intent.errors).toBeUndefined();
    const [{ customer_id: customerId }] = await app.dataSource.query(
      'SELECT customer_id FROM public.stripe_customers WHERE tenant_id = $1',
      [tenant.id],
    );
    if (options.card) {
      const card = stripe.attachCard(customerId);
      expect(
        (await app.gql(SetDefaultPaymentMethodDocument, { id: card }, { org: tenant.slug })).errors,
      ).toBeUndefined();
    }
    return { id: tenant.id, slug: tenant.slug, customerId };
  }

  const subscriptionOf = async (tenant: { slug: string }) =>
    (await app.gql(CurrentSubscriptionDocument, {}, { org: tenant.slug })).data!.subscription;

  function event(type: string, object: object, created = nowSeconds()) {
    return {
      id: `evt_${randomBytes(8).toString('hex')}`,
      object: 'event',
      api_version: '2026-10-28.endive',
      created,
      livemode: false,
      pending_webhooks: 1,
      type,
      data: { object },
    };
  }

  function invoice(
    tenant: BillingTenant,
    options: { price?: string; start?: number; amount?: number; subscription?: string | null } = {},
  ) {
    const start = options.start ?? nowSeconds();
    const amount = options.amount ?? 2_900;
    return {
      id: `in_${randomBytes(8).toString('hex')}`,
      object: 'invoice',
      customer: tenant.customerId,
      currency: 'usd',
      amount_due: amount,
      amount_paid: amount,
      status: 'paid',
      status_transitions: { paid_at: start },
      parent: {
        type: 'subscription_details',
        subscription_details: { subscription: options.subscription ?? null, metadata: {} },
      },
      lines: {
        object: 'list',
        has_more: false,
        data: [
          {
            id: `il_${randomBytes(6).toString('hex')}`,
            object: 'line_item',
            amount,
            currency: 'usd',
            period: { start, end: start + 30 * DAY },
            pricing: {
              type: 'price_details',
              price_details: { price: options.price ?? FAKE_STRIPE_PRICES.STARTER, product: 'prod_test' },
            },
          },
        ],
      },
    };
  }

  /** POSTs the event to the running app, signed as Stripe signs it (or with `secret`, or with `signature` as given). */
  async function deliver(payload: object | string, options: { secret?: string; signature?: string | null } = {}) {
    const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
    const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
    const signature =
      options.signature === undefined
        ? signer.generateTestHeaderString({ payload: body, secret: options.secret ?? FAKE_STRIPE_WEBHOOK_SECRET })
        : options.signature;
    if (signature !== null) headers['stripe-signature'] = signature;
    const response = await fetch(`${app.url}/webhooks/stripe`, { method: 'POST', headers, body });
    return { status: response.status, body: (await response.json()) as { outcome?: string; errors?: unknown[] } };
  }

  const countRows = async (sql: string, params: unknown[]) =>
    (await app.dataSource.query(`SELECT count(*)::int AS n FROM ${sql}`, params))[0].n as number;

  it('creates one Stripe customer per organization, with an idempotency key on every create, and manages its cards', async () => {
    const tenant = await app.createTenant('cards');
    // Two first requests racing: both ask Stripe with the tenant's key, Stripe (the stand-in) answers both with one
    // customer.
    const intents = await Promise.all([1, 2].map(() => app.gql(CreateSetupIntentDocument, {}, { org: 'cards' })));
    for (const intent of intents) expect(intent.data!.createSetupIntent.clientSecret).toMatch(/^seti_\w+_secret_\w+$/);
    const customerCreates = stripe
      .creates()
      .filter((c) => c.path === '/v1/customers' && c.params['metadata[tenantId]'] === tenant.id);
    expect(customerCreates.length).toBeGreaterThanOrEqual(1);
    expect(new Set(customerCreates.map((c) => c.idempotencyKey))).toEqual(new Set([`customer:${tenant.id}`]));
    expect([...stripe.customers.values()].filter((c) => c.metadata.tenantId === tenant.id)).toHaveLength(1);
    const intentKeys = stripe
      .creates()
      .filter((c) => c.path === '/v1/setup_intents')
      .map((c) => c.idempotencyKey);
    expect(intentKeys.filter((k) => k?.startsWith(`setup-intent:${tenant.id}:`))).toHaveLength(2);
    expect(new Set(intentKeys).size).toBe(intentKeys.length);

    const [{ customer_id: customerId }] = await app.dataSource.query(
      'SELECT customer_id FROM public.stripe_customers WHERE tenant_id = $1',
      [tenant.id],
    );
    const visa = stripe.attachCard(customerId, { last4: '4242' });
    const mastercard = stripe.attachCard(customerId, { brand: 'mastercard', last4: '4444' });
    const listed = await app.gql(PaymentMethodsDocument, {}, { org: 'cards' });
    expect(listed.data!.paymentMethods.map((m) => [m.last4, m.isDefault])).toEqual([
      ['4242', false],
      ['4444', false],
    ]);

    const made = await app.gql(SetDefaultPaymentMethodDocument, { id: mastercard }, { org: 'cards' });
    expect(made.data!.setDefaultPaymentMethod).toEqual({ id: mastercard, last4: '4444', isDefault: true });
    expect(
      (await app.gql(PaymentMethodsDocument, {}, { org: 'cards' })).data!.paymentMethods.find((m) => m.isDefault)!.id,
    ).toBe(mastercard);

    await app.gql(DetachPaymentMethodDocument, { id: visa }, { org: 'cards' });
    expect((await app.gql(PaymentMethodsDocument, {}, { org: 'cards' })).data!.paymentMethods.map((m) => m.id)).toEqual(
      [mastercard],
    );

    // Another organization's card is not this one's to use or remove.
    const other = await billingTenant('other-cards');
    const foreign = stripe.attachCard(other.customerId);
    const refusals = [
      await app.gql(SetDefaultPaymentMethodDocument, { id: foreign }, { org: 'cards' }),
      await app.gql(DetachPaymentMethodDocument, { id: foreign }, { org: 'cards' }),
    ];
    for (const refused of refusals) expect(refused.errors![0].extensions.code).toBe('NOT_FOUND');
  });

  it('subscribes with the default card and activates the plan only when Stripe reports the invoice paid', async () => {
    const tenant = await billingTenant('subscriber');
    const noCard = await app.gql(ChangePlanDocument, { plan: 'STARTER' }, { org: tenant.slug });
    expect(noCard.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'PAYMENT_METHOD_REQUIRED' });
    stripe.attachCard(tenant.customerId);
    await app.gql(
      SetDefaultPaymentMethodDocument,
      { id: [...(await app.gql(PaymentMethodsDocument, {}, { org: tenant.slug })).data!.paymentMethods][0].id },
      { org: tenant.slug },
    );

    const changed = await app.gql(ChangePlanDocument, { plan: 'STARTER' }, { org: tenant.slug });
    expect(changed.errors).toBeUndefined();
    const subscriptionId = changed.data!.changePlan.stripeSubscriptionId!;
    const create = stripe
      .creates()
      .find((c) => c.path === '/v1/subscriptions' && c.params.customer === tenant.customerId)!;
    expect(create.idempotencyKey).toMatch(new RegExp(`^subscription:${tenant.id}:`));
    expect(create.params['items[0][price]']).toBe(FAKE_STRIPE_PRICES.STARTER);
    // Nothing is paid yet: the trial continues.
    expect(changed.data!.changePlan.subscription).toEqual({ plan: 'PROFESSIONAL', status: 'TRIALING' });

    const start = nowSeconds();
    const paid = await deliver(event('invoice.paid', invoice(tenant, { start, subscription: subscriptionId })));
    expect(paid).toEqual({ status: 200, body: { received: true, outcome: 'APPLIED' } });
    expect(await subscriptionOf(tenant)).toMatchObject({
      plan: 'STARTER',
      status: 'ACTIVE',
      provider: 'STRIPE',
      currentPeriodStart: new Date(start * 1000).toISOString(),
      currentPeriodEnd: new Date((start + 30 * DAY) * 1000).toISOString(),
    });
    const payments = (await app.gql(PaymentTransactionsDocument, {}, { org: tenant.slug })).data!.paymentTransactions;
    expect(payments).toEqual([
      expect.objectContaining({
        provider: 'STRIPE',
        plan: 'STARTER',
        amountMinor: 2_900,
        currency: 'USD',
        status: 'COMPLETED',
      }),
    ]);

    // An upgrade swaps the price of the same subscription (no second subscription).
    const upgraded = await app.gql(ChangePlanDocument, { plan: 'PROFESSIONAL' }, { org: tenant.slug });
    expect(upgraded.data!.changePlan.stripeSubscriptionId).toBe(subscriptionId);
    expect(stripe.subscriptions.get(subscriptionId)!.price).toBe(FAKE_STRIPE_PRICES.PROFESSIONAL);
    expect([...stripe.subscriptions.values()].filter((s) => s.customer === tenant.customerId)).toHaveLength(1);
    expect(
      stripe.calls.find((c) => c.method === 'POST' && c.path === `/v1/subscriptions/${subscriptionId}`)!.idempotencyKey,
    ).toMatch(new RegExp(`^subscription-update:${tenant.id}:`));

    // FREE cancels at Stripe; the plan follows Stripe's confirmation.
    await app.gql(ChangePlanDocument, { plan: 'FREE' }, { org: tenant.slug });
    expect(stripe.subscriptions.get(subscriptionId)!.status).toBe('canceled');
    expect((await subscriptionOf(tenant)).plan).toBe('STARTER');
    const deleted = await deliver(
      event('customer.subscription.deleted', {
        id: subscriptionId,
        object: 'subscription',
        customer: tenant.customerId,
        status: 'canceled',
      }),
    );
    expect(deleted.body.outcome).toBe('APPLIED');
    expect(await subscriptionOf(tenant)).toMatchObject({ plan: 'FREE', status: 'CANCELED' });
  });

  it('two concurrent plan changes create one Stripe subscription', async () => {
    const tenant = await billingTenant('double-click', { card: true });
    const results = await Promise.all(
      [1, 2, 3].map(() => app.gql(ChangePlanDocument, { plan: 'STARTER' }, { org: tenant.slug })),
    );
    for (const result of results) expect(result.errors).toBeUndefined();
    expect(new Set(results.map((r) => r.data!.changePlan.stripeSubscriptionId)).size).toBe(1);
    expect([...stripe.subscriptions.values()].filter((s) => s.customer === tenant.customerId)).toHaveLength(1);
  });

  it('answers a bad signature with 400 and changes nothing', async () => {
    const tenant = await billingTenant('forged', { card: true });
    const before = await subscriptionOf(tenant);
    const forged = event('invoice.paid', invoice(tenant));
    const body = JSON.stringify(forged);
    const valid = signer.generateTestHeaderString({ payload: body, secret: FAKE_STRIPE_WEBHOOK_SECRET });
    const attempts = [
      await deliver(forged, { secret: 'whsec_someone_else' }),
      await deliver(forged, { signature: null }),
      await deliver(forged, { signature: 't=1,v1=deadbeef' }),
      // A valid signature of other bytes: the body was altered after signing.
      await deliver(body.replace('"amount_paid":2900', '"amount_paid":1'), { signature: valid }),
      // A valid signature from long ago (replay): outside Stripe's tolerance.
      await deliver(forged, {
        signature: signer.generateTestHeaderString({
          payload: body,
          secret: FAKE_STRIPE_WEBHOOK_SECRET,
          timestamp: nowSeconds() - 3600,
        }),
      }),
      // …and one from an hour ahead: the tolerance holds both ways.
      await deliver(forged, {
        signature: signer.generateTestHeaderString({
          payload: body,
          secret: FAKE_STRIPE_WEBHOOK_SECRET,
          timestamp: nowSeconds() + 3600,
        }),
      }),
    ];
    for (const attempt of attempts)
      expect(attempt).toEqual({
        status: 400,
        body: {
          errors: [
            { message: 'Invalid signature', extensions: { code: 'BAD_USER_INPUT', reason: 'INVALID_SIGNATURE' } },
          ],
        },
      });
    expect(await subscriptionOf(tenant)).toEqual(before);
    expect(await countRows('public.webhook_events WHERE event_id = $1', [forged.id])).toBe(0);
    expect(await countRows('public.payment_transactions WHERE tenant_id = $1', [tenant.id])).toBe(0);
  });

  it('records and acknowledges a validly signed event that lacks fields or has wrong types (never 500, no redelivery)', async () => {
    const tenant = await billingTenant('malformed', { card: true });
    const before = await subscriptionOf(tenant);
    const { lines: _lines, ...withoutLines } = invoice(tenant);
    const broken = [
      event('invoice.paid', { ...invoice(tenant), currency: 42 }),
      event('invoice.paid', { ...withoutLines, lines: { data: [{ period: 'soon' }] } }),
      event('invoice.payment_failed', { customer: tenant.customerId }),
      { ...event('invoice.paid', invoice(tenant)), created: 'yesterday' },
      { ...event('invoice.paid', invoice(tenant)), created: 1e15 },
    ];
    for (const malformed of broken)
      expect(await deliver(malformed)).toEqual({ status: 200, body: { received: true, outcome: 'MALFORMED' } });
    expect(await deliver({ type: 'invoice.paid' })).toEqual({
      status: 200,
      body: { received: true, outcome: 'MALFORMED' },
    });
    expect(
      await countRows(`public.webhook_events WHERE outcome = 'MALFORMED' AND event_id = ANY($1)`, [
        broken.map((e) => e.id),
      ]),
    ).toBe(broken.length);
    expect(await subscriptionOf(tenant)).toEqual(before);
  });

  it('applies an event delivered three times once (also when the deliveries race)', async () => {
    const tenant = await billingTenant('redelivered', { card: true, owned: true });
    const paid = event('invoice.paid', invoice(tenant));
    const outcomes = [];
    for (let i = 0; i < 3; i++) outcomes.push((await deliver(paid)).body.outcome);
    expect(outcomes).toEqual(['APPLIED', 'DUPLICATE', 'DUPLICATE']);
    expect(await countRows('public.payment_transactions WHERE tenant_id = $1', [tenant.id])).toBe(1);
    expect(await countRows('public.webhook_events WHERE event_id = $1', [paid.id])).toBe(1);

    const failed = event('invoice.payment_failed', { ...invoice(tenant), status: 'open', amount_paid: 0 });
    const raced = await Promise.all([1, 2, 3].map(() => deliver(failed)));
    expect(raced.map((r) => r.body.outcome).sort()).toEqual(['APPLIED', 'DUPLICATE', 'DUPLICATE']);
    expect(
      await countRows(`public.email_outbox WHERE idempotency_key LIKE $1`, [`payment-failed:${failed.id}:%`]),
    ).toBe(1);
  });

  it('a failed renewal makes the subscription PAST_DUE and mails the owners; the next paid invoice restores it', async () => {
    const tenant = await billingTenant('renewal', { card: true, owned: true });
    const start = nowSeconds() - 40 * DAY;
    await deliver(event('invoice.paid', invoice(tenant, { start }), start));
    const failed = event(
      'invoice.payment_failed',
      { ...invoice(tenant, { start: start + 30 * DAY }), status: 'open', amount_paid: 0 },
      start + 30 * DAY,
    );
    expect((await deliver(failed)).body.outcome).toBe('APPLIED');
    expect(await subscriptionOf(tenant)).toMatchObject({ plan: 'STARTER', status: 'PAST_DUE' });
    const [mail] = await app.dataSource.query(
      `SELECT to_address, subject, text FROM public.email_outbox WHERE idempotency_key LIKE $1`,
      [`payment-failed:${failed.id}:%`],
    );
    expect(mail).toMatchObject({
      to_address: 'owner@renewal.example',
      subject: 'Payment failed for renewal on tenantql',
    });
    expect(mail.text).toContain('USD 29.00');

    await deliver(event('invoice.paid', invoice(tenant, { start: start + 30 * DAY }), start + 31 * DAY));
    expect(await subscriptionOf(tenant)).toMatchObject({ plan: 'STARTER', status: 'ACTIVE' });
  });

  it('ignores an older state that arrives after a newer one (deleted, then a late invoice.paid)', async () => {
    const tenant = await billingTenant('reordered', { card: true });
    const { data } = await app.gql(ChangePlanDocument, { plan: 'STARTER' }, { org: tenant.slug });
    const subscriptionId = data!.changePlan.stripeSubscriptionId!;
    const t = nowSeconds();
    const paid = event('invoice.paid', invoice(tenant, { start: t - 10, subscription: subscriptionId }), t - 10);
    const deleted = event(
      'customer.subscription.deleted',
      { id: subscriptionId, object: 'subscription', customer: tenant.customerId, status: 'canceled' },
      t,
    );

    expect((await deliver(deleted)).body.outcome).toBe('APPLIED');
    expect((await deliver(paid)).body.outcome).toBe('STALE');
    expect(await subscriptionOf(tenant)).toMatchObject({ plan: 'FREE', status: 'CANCELED' });
    // The money did arrive: the payment is on record even though the plan stays ended.
    expect(
      await countRows(`public.payment_transactions WHERE tenant_id = $1 AND status = 'COMPLETED'`, [tenant.id]),
    ).toBe(1);

    // Same for a failure older than the payment that followed it.
    const renewed = await billingTenant('reordered-failure', { card: true });
    await deliver(event('invoice.paid', invoice(renewed), t));
    expect(
      (await deliver(event('invoice.payment_failed', { ...invoice(renewed), amount_paid: 0 }, t - 60))).body.outcome,
    ).toBe('STALE');
    expect((await subscriptionOf(renewed)).status).toBe('ACTIVE');
  });

  it('completes the onboarding step when a card is attached, and ignores customers that are not ours', async () => {
    const tenant = await billingTenant('onboarded');
    const stepOf = async () =>
      (await app.gql(OnboardingStatusDocument, {}, { org: tenant.slug })).data!.onboardingStatus.steps.find(
        (s) => s.key === 'add-payment-method',
      )!;
    expect(await stepOf()).toMatchObject({ completed: false, manual: false });
    const attached = event('payment_method.attached', {
      id: 'pm_test_attached',
      object: 'payment_method',
      type: 'card',
      customer: tenant.customerId,
    });
    expect((await deliver(attached)).body.outcome).toBe('APPLIED');
    expect(await stepOf()).toMatchObject({
      completed: true,
      completedAt: new Date(attached.created * 1000).toISOString(),
    });

    const stranger = await deliver(event('invoice.paid', { ...invoice({ ...tenant, customerId: 'cus_not_ours' }) }));
    expect(stranger).toEqual({ status: 200, body: { received: true, outcome: 'IGNORED' } });
  });

  it('is for owners and admins only', async () => {
    const owner = await signUp(app, 'owner@billing-roles.example', 'Billing Roles');
    const member = await signUp(app, 'member@billing-roles.example', 'Members Own Co');
    await addMember(app, owner, member, 'MEMBER');
    const asMember = { bearer: member.token, org: owner.tenant.slug };
    const refusals = [
      await app.gql(CreateSetupIntentDocument, {}, asMember),
      await app.gql(PaymentMethodsDocument, {}, asMember),
      await app.gql(PaymentTransactionsDocument, {}, asMember),
      await app.gql(ChangePlanDocument, { plan: 'STARTER' }, asMember),
    ];
    for (const refused of refusals)
      expect(refused.errors![0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'INSUFFICIENT_ROLE' });
    const asOwner = await app.gql(CreateSetupIntentDocument, {}, { bearer: owner.token, org: owner.tenant.slug });
    expect(asOwner.errors).toBeUndefined();
  });
});
