import { createHmac } from 'node:crypto';
import {
  CurrentSubscriptionDocument,
  InitiatePaymentDocument,
  VerifyPaymentDocument,
} from '../../../test/generated/graphql';
import { eventsOf } from '../../../test/support/domain-events';
import { FAKE_ESEWA_SECRET, startFakeEsewa, type FakeEsewa } from '../../../test/support/fake-esewa';
import { startFakeKhalti, type FakeKhalti } from '../../../test/support/fake-khalti';
import { startTestApp, type TestApp } from '../../../test/support/test-app';

const FRONTEND = 'https://app.example.test';
/** STARTER in NPR paisa (public.plan_prices). */
const STARTER_NPR = 390_000;

describe('Khalti and eSewa payments (real HTTP clients → local gateway stand-ins, real PostgreSQL)', () => {
  let app: TestApp;
  let khalti: FakeKhalti;
  let esewa: FakeEsewa;

  beforeAll(async () => {
    [khalti, esewa] = await Promise.all([startFakeKhalti(), startFakeEsewa()]);
    app = await startTestApp({ ...khalti.env, ...esewa.env, FRONTEND_URL: FRONTEND });
  });
  afterAll(async () => {
    await app.close();
    await Promise.all([khalti.close(), esewa.close()]);
  });

  const subscriptionOf = async (slug: string) =>
    (await app.gql(CurrentSubscriptionDocument, {}, { org: slug })).data!.subscription;
  const initiate = (slug: string, provider: 'KHALTI' | 'ESEWA', idempotencyKey?: string) =>
    app.gql(InitiatePaymentDocument, { input: { provider, plan: 'STARTER', idempotencyKey } }, { org: slug });
  const verify = (slug: string, input: { provider: 'KHALTI' | 'ESEWA'; pidx?: string; data?: string }) =>
    app.gql(VerifyPaymentDocument, { input }, { org: slug });
  /**
   * Activated once: one month starting now. A second activation would have renewed it (a month starting at the end of
   * the first).
   */
  async function expectOneMonthFromNow(slug: string, since: number) {
    const active = await subscriptionOf(slug);
    const start = new Date(active.currentPeriodStart!).getTime();
    expect(start).toBeGreaterThanOrEqual(since - 1000);
    expect(start).toBeLessThanOrEqual(Date.now());
    const days = (new Date(active.currentPeriodEnd!).getTime() - start) / 86_400_000;
    expect(days).toBeGreaterThanOrEqual(28);
    expect(days).toBeLessThanOrEqual(31);
  }
  const statusOfPayment = async (id: string) =>
    (await app.dataSource.query('SELECT status FROM public.payment_transactions WHERE id = $1', [id]))[0].status;

  describe('Khalti', () => {
    it('records a pending NPR payment and returns the payment URL; repeating the attempt returns the same payment', async () => {
      await app.createTenant('khalti-start');
      const first = await initiate('khalti-start', 'KHALTI', 'attempt-0001');
      expect(first.errors).toBeUndefined();
      const redirect = first.data!.initiatePayment;
      expect(redirect).toMatchObject({
        method: 'GET',
        formFields: [],
        transaction: {
          provider: 'KHALTI',
          plan: 'STARTER',
          amountMinor: STARTER_NPR,
          currency: 'NPR',
          status: 'PENDING',
        },
      });
      expect(redirect.url).toBe(`${khalti.env.KHALTI_BASE_URL.replace('/api/v2', '')}/pay/?pidx=${redirect.pidx}`);
      expect(redirect.transaction.reference).toBe(redirect.pidx);
      expect(khalti.payments.get(redirect.pidx!)).toMatchObject({
        amount: STARTER_NPR,
        purchaseOrderId: redirect.transaction.id,
      });

      const again = await Promise.all([1, 2].map(() => initiate('khalti-start', 'KHALTI', 'attempt-0001')));
      for (const repeat of again) expect(repeat.data!.initiatePayment).toEqual(redirect);
      expect([...khalti.payments.values()].filter((p) => p.purchaseOrderId === redirect.transaction.id)).toHaveLength(
        1,
      );

      const reused = await initiate('khalti-start', 'ESEWA', 'attempt-0001');
      expect(reused.errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'IDEMPOTENCY_KEY_REUSED' });
      const free = await app.gql(
        InitiatePaymentDocument,
        { input: { provider: 'KHALTI', plan: 'FREE' } },
        { org: 'khalti-start' },
      );
      expect(free.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'PLAN_NOT_PURCHASABLE' });
    });

    it('activates the plan only once Khalti confirms the full amount', async () => {
      await app.createTenant('khalti-pay');
      const { pidx, transaction } = (await initiate('khalti-pay', 'KHALTI')).data!.initiatePayment;
      const trial = await subscriptionOf('khalti-pay');

      // The payer came back but has not paid: still pending, nothing activated.
      const early = await verify('khalti-pay', { provider: 'KHALTI', pidx: pidx! });
      expect(early.data!.verifyPayment.status).toBe('PENDING');
      expect(await subscriptionOf('khalti-pay')).toEqual(trial);

      // Paid, but less than the plan costs.
      khalti.pay(pidx!, { amount: 1_000 });
      const short = await verify('khalti-pay', { provider: 'KHALTI', pidx: pidx! });
      expect(short.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'AMOUNT_MISMATCH' });
      expect(await subscriptionOf('khalti-pay')).toEqual(trial);
      expect(await statusOfPayment(transaction.id)).toBe('PENDING');

      khalti.pay(pidx!);
      const before = Date.now();
      const verified = await verify('khalti-pay', { provider: 'KHALTI', pidx: pidx! });
      expect(verified.data!.verifyPayment).toMatchObject({
        status: 'COMPLETED',
        amountMinor: STARTER_NPR,
        currency: 'NPR',
      });
      expect(await subscriptionOf('khalti-pay')).toMatchObject({
        plan: 'STARTER',
        status: 'ACTIVE',
        provider: 'KHALTI',
      });
      await expectOneMonthFromNow('khalti-pay', before);
    });

    it('verifying the same payment concurrently activates the plan exactly once', async () => {
      const tenant = await app.createTenant('khalti-race');
      const { pidx, transaction } = (await initiate('khalti-race', 'KHALTI')).data!.initiatePayment;
      khalti.pay(pidx!);
      const lookupsBefore = khalti.lookups();
      const before = Date.now();
      const results = await Promise.all(
        Array.from({ length: 8 }, () => verify('khalti-race', { provider: 'KHALTI', pidx: pidx! })),
      );
      for (const result of results)
        expect(result.data!.verifyPayment).toMatchObject({ id: transaction.id, status: 'COMPLETED' });
      expect(khalti.lookups() - lookupsBefore).toBeGreaterThanOrEqual(1);

      expect(await subscriptionOf('khalti-race')).toMatchObject({ plan: 'STARTER', status: 'ACTIVE' });
      await expectOneMonthFromNow('khalti-race', before);
      // One payment, one plan change: as domain events too, in the verifying transaction.
      const events = (await eventsOf(app.dataSource, tenant.id)).filter((e) =>
        /^(payment|subscription)\./.test(e.type),
      );
      expect(events.map((e) => [e.type, e.actor])).toEqual([
        ['subscription.plan_changed', 'platform_admin'],
        ['payment.completed', 'platform_admin'],
      ]);
      expect(events[1].payload).toMatchObject({ paymentId: transaction.id, provider: 'KHALTI', plan: 'STARTER' });

      // Later verifications answer from the record, without asking Khalti again.
      const lookupsAfter = khalti.lookups();
      expect((await verify('khalti-race', { provider: 'KHALTI', pidx: pidx! })).data!.verifyPayment.status).toBe(
        'COMPLETED',
      );
      expect(khalti.lookups()).toBe(lookupsAfter);
    });

    it('paying early for the same plan extends the month already paid for', async () => {
      await app.createTenant('khalti-renew');
      const pay = async () => {
        const { pidx } = (await initiate('khalti-renew', 'KHALTI')).data!.initiatePayment;
        khalti.pay(pidx!);
        return verify('khalti-renew', { provider: 'KHALTI', pidx: pidx! });
      };
      await pay();
      const first = await subscriptionOf('khalti-renew');
      await pay();
      const renewed = await subscriptionOf('khalti-renew');
      expect(renewed.currentPeriodStart).toBe(first.currentPeriodEnd);
      expect(new Date(renewed.currentPeriodEnd!).getTime()).toBeGreaterThan(
        new Date(first.currentPeriodEnd!).getTime() + 27 * 86_400_000,
      );
    });

    it('records an abandoned payment as FAILED and keeps other organizations out', async () => {
      const tenant = await app.createTenant('khalti-cancel');
      await app.createTenant('khalti-nosy');
      const { pidx } = (await initiate('khalti-cancel', 'KHALTI')).data!.initiatePayment;
      const nosy = await verify('khalti-nosy', { provider: 'KHALTI', pidx: pidx! });
      expect(nosy.errors![0].extensions.code).toBe('NOT_FOUND');
      khalti.setStatus(pidx!, 'User canceled');
      const canceled = await verify('khalti-cancel', { provider: 'KHALTI', pidx: pidx! });
      expect(canceled.data!.verifyPayment).toMatchObject({ status: 'FAILED', failureReason: 'Khalti: User canceled' });
      expect((await subscriptionOf('khalti-cancel')).status).toBe('TRIALING');
      const failed = await eventsOf(app.dataSource, tenant.id, 'payment.');
      expect(failed.map((e) => [e.type, e.payload.reason])).toEqual([['payment.failed', 'Khalti: User canceled']]);
    });
  });

  describe('eSewa', () => {
    it('returns a form signed over total_amount, transaction_uuid and product_code', async () => {
      await app.createTenant('esewa-form');
      const redirect = (await initiate('esewa-form', 'ESEWA')).data!.initiatePayment;
      expect(redirect).toMatchObject({
        method: 'POST',
        url: `${esewa.env.ESEWA_BASE_URL}/api/epay/main/v2/form`,
        pidx: null,
      });
      const fields = Object.fromEntries(redirect.formFields.map((f) => [f.name, f.value]));
      expect(fields).toMatchObject({
        total_amount: '3900',
        transaction_uuid: redirect.transaction.id,
        product_code: 'EPAYTEST',
        success_url: `${FRONTEND}/billing/payment/success`,
        failure_url: `${FRONTEND}/billing/payment/failure`,
        signed_field_names: 'total_amount,transaction_uuid,product_code',
      });
      const expected = createHmac('sha256', FAKE_ESEWA_SECRET)
        .update(`total_amount=3900,transaction_uuid=${redirect.transaction.id},product_code=EPAYTEST`)
        .digest('base64');
      expect(fields.signature).toBe(expected);
    });

    it('rejects a forged or altered callback and an underpayment; the plan stays unchanged', async () => {
      await app.createTenant('esewa-forged');
      const { transaction } = (await initiate('esewa-forged', 'ESEWA')).data!.initiatePayment;
      const trial = await subscriptionOf('esewa-forged');
      const checksBefore = esewa.statusChecks();

      const forged = await verify('esewa-forged', {
        provider: 'ESEWA',
        data: esewa.pay(transaction.id, STARTER_NPR, { secret: 'guessed-secret' }),
      });
      expect(forged.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVALID_SIGNATURE' });

      const genuine = JSON.parse(Buffer.from(esewa.pay(transaction.id, 1_000), 'base64').toString());
      const altered = Buffer.from(JSON.stringify({ ...genuine, total_amount: '3,900.0' })).toString('base64');
      const tampered = await verify('esewa-forged', { provider: 'ESEWA', data: altered });
      expect(tampered.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVALID_SIGNATURE' });
      // Refused on the signature alone: eSewa was not even asked.
      expect(esewa.statusChecks()).toBe(checksBefore);

      // Correctly signed by eSewa, but for Rs 10 instead of Rs 3,900.
      const underpaid = await verify('esewa-forged', { provider: 'ESEWA', data: esewa.pay(transaction.id, 1_000) });
      expect(underpaid.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'AMOUNT_MISMATCH' });
      expect(await subscriptionOf('esewa-forged')).toEqual(trial);
      expect(await statusOfPayment(transaction.id)).toBe('PENDING');
    });

    it('refuses a signed success that eSewa itself does not confirm', async () => {
      await app.createTenant('esewa-unconfirmed');
      const { transaction } = (await initiate('esewa-unconfirmed', 'ESEWA')).data!.initiatePayment;
      // A callback for the full amount, but eSewa recorded a different payment for this uuid.
      const data = esewa.pay(transaction.id, STARTER_NPR);
      esewa.pay(transaction.id, 2_000);
      const result = await verify('esewa-unconfirmed', { provider: 'ESEWA', data });
      expect(result.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'PAYMENT_NOT_CONFIRMED' });
      expect((await subscriptionOf('esewa-unconfirmed')).status).toBe('TRIALING');
    });

    it('activates the plan once after the status check, however often (and concurrently) it is verified', async () => {
      await app.createTenant('esewa-pay');
      const { transaction } = (await initiate('esewa-pay', 'ESEWA')).data!.initiatePayment;
      const data = esewa.pay(transaction.id, STARTER_NPR);
      const before = Date.now();
      const results = await Promise.all(
        Array.from({ length: 6 }, () => verify('esewa-pay', { provider: 'ESEWA', data })),
      );
      for (const result of results)
        expect(result.data!.verifyPayment).toMatchObject({ id: transaction.id, status: 'COMPLETED' });
      expect(await subscriptionOf('esewa-pay')).toMatchObject({ plan: 'STARTER', status: 'ACTIVE', provider: 'ESEWA' });
      await expectOneMonthFromNow('esewa-pay', before);
      const [{ verification }] = await app.dataSource.query(
        'SELECT verification FROM public.payment_transactions WHERE id = $1',
        [transaction.id],
      );
      expect(verification).toMatchObject({ status: 'COMPLETE', transaction_uuid: transaction.id });
    });
  });
});
