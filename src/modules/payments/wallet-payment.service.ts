import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { rawWrite } from '../../core/database/raw-write';
import { BadUserInputError, ConflictError, InternalError, NotFoundError } from '../../core/errors/app-error';
import type { ScopedTenant } from '../../core/tenancy/tenant-scope';
import { EsewaSignatureError, type EsewaClient } from '../../integrations/esewa';
import { GatewayRequestError, type KhaltiClient } from '../../integrations/khalti';
import { PlanCode, SubscriptionStatus, type PlanService } from '../plans';
import {
  PaymentProvider,
  PaymentStatus,
  PaymentTransaction,
  type PaymentRedirectData,
} from './payment-transaction.entity';
import { recordPaymentEvent } from './payment.events';
import { PaymentRedirect, type InitiatePaymentInput, type VerifyPaymentInput } from './payments.inputs';

export interface WalletPaymentDependencies {
  /** Absent when KHALTI_SECRET_KEY is not set. */
  khalti?: KhaltiClient;
  /** Absent when ESEWA_MERCHANT_SECRET is not set. */
  esewa?: EsewaClient;
  plans: Pick<PlanService, 'activatePlan' | 'getSubscription'>;
  urls: { success: string; failure: string; website: string };
  now: () => Date;
}

/** The currency Khalti and eSewa charge in. */
const CURRENCY = 'NPR';

/** What the gateway said, reduced to what we do next. */
type Verdict =
  | { kind: 'paid'; verification: Record<string, unknown> }
  | { kind: 'pending' }
  | { kind: 'failed'; reason: string; verification: Record<string, unknown> };

const GATEWAY_NAMES: Record<PaymentProvider, string> = { STRIPE: 'Stripe', KHALTI: 'Khalti', ESEWA: 'eSewa' };

const amountMismatch = () =>
  new BadUserInputError('The amount paid does not match the price of the plan; the plan is unchanged', {
    reason: 'AMOUNT_MISMATCH',
  });

function gatewayFailure(provider: PaymentProvider, error: unknown): never {
  if (error instanceof GatewayRequestError) {
    throw new InternalError(
      `${GATEWAY_NAMES[provider]} could not be reached or refused the request; try again`,
      { reason: 'PAYMENT_GATEWAY_ERROR' },
      error,
    );
  }
  throw error;
}

function configured<T>(client: T | undefined, provider: PaymentProvider): T {
  // The caller asked for a provider this server does not offer: their request to change, not our fault.
  if (!client)
    throw new BadUserInputError(`${GATEWAY_NAMES[provider]} payments are not available on this server`, {
      reason: 'PROVIDER_NOT_CONFIGURED',
    });
  return client;
}

function addMonth(date: Date): Date {
  const next = new Date(date);
  next.setUTCMonth(next.getUTCMonth() + 1);
  return next;
}

/**
 * One month of a plan paid through a Nepali wallet (Khalti, eSewa). `initiatePayment`
 * records a PENDING transaction and returns where to send the payer; `verifyPayment` asks
 * the gateway itself (server-side, with our secret) whether the money arrived and for how
 * much, then completes the transaction and activates the plan in ONE transaction, through
 * a conditional update (`WHERE status = 'PENDING'`): a second or concurrent verification
 * waits for the first on the row lock, finds it completed and activates nothing.
 */
export class WalletPaymentService {
  constructor(private readonly deps: WalletPaymentDependencies) {}

  async initiatePayment(
    em: EntityManager,
    tenant: ScopedTenant,
    input: InitiatePaymentInput,
  ): Promise<PaymentRedirect> {
    if (input.provider !== PaymentProvider.KHALTI && input.provider !== PaymentProvider.ESEWA) {
      throw new BadUserInputError('initiatePayment takes KHALTI or ESEWA; cards are paid through changePlan', {
        reason: 'UNSUPPORTED_PROVIDER',
      });
    }
    const [price]: { monthly_price_minor: number }[] = await em.query(
      'SELECT monthly_price_minor FROM public.plan_prices WHERE plan = $1 AND currency = $2',
      [input.plan, CURRENCY],
    );
    if (input.plan === PlanCode.FREE || !price)
      throw new BadUserInputError(`The ${input.plan} plan cannot be bought in ${CURRENCY}`, {
        reason: 'PLAN_NOT_PURCHASABLE',
      });
    // Refuse before recording anything when the gateway is not configured.
    if (input.provider === PaymentProvider.KHALTI) this.khalti();
    else this.esewa();

    // Claim the attempt first: a repeated (or concurrent) attempt waits here for the first to commit and gets its
    // answer.
    const idempotencyKey = input.idempotencyKey ?? randomUUID();
    const [claimed]: { id: string }[] = await em.query(
      `INSERT INTO public.payment_transactions (tenant_id, provider, idempotency_key, plan, amount_minor, currency)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (tenant_id, idempotency_key) DO NOTHING RETURNING id`,
      [tenant.id, input.provider, idempotencyKey, input.plan, price.monthly_price_minor, CURRENCY],
    );
    if (!claimed) return this.replay(em, tenant, input, idempotencyKey);

    const transaction = await em.findOneByOrFail(PaymentTransaction, { id: claimed.id });
    const { reference, redirect } = await this.startAtGateway(transaction).catch((error) =>
      gatewayFailure(transaction.provider, error),
    );
    await em.update(PaymentTransaction, { id: transaction.id }, { reference, redirect });
    return this.toRedirect(Object.assign(transaction, { reference, redirect }));
  }

  async verifyPayment(em: EntityManager, tenant: ScopedTenant, input: VerifyPaymentInput): Promise<PaymentTransaction> {
    switch (input.provider) {
      case PaymentProvider.KHALTI: {
        if (!input.pidx)
          throw new BadUserInputError('Khalti payments are verified by their pidx', { reason: 'PIDX_REQUIRED' });
        const transaction = await this.pending(em, tenant, PaymentProvider.KHALTI, input.pidx);
        if (transaction.status !== PaymentStatus.PENDING) return transaction;
        return this.settle(
          em,
          transaction,
          await this.khaltiVerdict(transaction).catch((error) => gatewayFailure(PaymentProvider.KHALTI, error)),
        );
      }
      case PaymentProvider.ESEWA: {
        if (!input.data)
          throw new BadUserInputError('eSewa payments are verified by the data of their success URL', {
            reason: 'DATA_REQUIRED',
          });
        let callback;
        try {
          callback = this.esewa().decodeCallback(input.data);
        } catch (error) {
          if (error instanceof EsewaSignatureError)
            throw new BadUserInputError('The payment response is not signed by eSewa', { reason: 'INVALID_SIGNATURE' });
          throw error;
        }
        const transaction = await this.pending(em, tenant, PaymentProvider.ESEWA, callback.transactionUuid);
        if (transaction.status !== PaymentStatus.PENDING) return transaction;
        if (callback.totalAmount !== transaction.amountMinor) throw amountMismatch();
        return this.settle(
          em,
          transaction,
          await this.esewaVerdict(transaction).catch((error) => gatewayFailure(PaymentProvider.ESEWA, error)),
        );
      }
      default:
        throw new BadUserInputError('verifyPayment takes KHALTI or ESEWA; Stripe payments arrive by webhook', {
          reason: 'UNSUPPORTED_PROVIDER',
        });
    }
  }

  /** Newest first. */
  list(em: EntityManager, tenantId: string, first: number): Promise<PaymentTransaction[]> {
    return em.find(PaymentTransaction, { where: { tenantId }, order: { createdAt: 'DESC' }, take: first });
  }

  private async startAtGateway(
    transaction: PaymentTransaction,
  ): Promise<{ reference: string; redirect: PaymentRedirectData }> {
    if (transaction.provider === PaymentProvider.KHALTI) {
      const initiation = await this.khalti().initiate({
        amount: transaction.amountMinor,
        purchaseOrderId: transaction.id,
        purchaseOrderName: `${transaction.plan} plan, 1 month`,
        returnUrl: this.deps.urls.success,
        websiteUrl: this.deps.urls.website,
      });
      return {
        reference: initiation.pidx,
        redirect: { method: 'GET', url: initiation.paymentUrl, pidx: initiation.pidx, fields: [] },
      };
    }
    const form = this.esewa().paymentForm({
      amount: transaction.amountMinor,
      transactionUuid: transaction.id,
      successUrl: this.deps.urls.success,
      failureUrl: this.deps.urls.failure,
    });
    return {
      reference: transaction.id,
      redirect: {
        method: 'POST',
        url: form.actionUrl,
        fields: Object.entries(form.fields).map(([name, value]) => ({ name, value })),
      },
    };
  }

  private async khaltiVerdict(transaction: PaymentTransaction): Promise<Verdict> {
    const lookup = await this.khalti().lookup(transaction.reference!);
    switch (lookup.status) {
      case 'Completed':
        if (lookup.totalAmount !== transaction.amountMinor) throw amountMismatch();
        return { kind: 'paid', verification: lookup.raw };
      case 'Expired':
      case 'User canceled':
      case 'Refunded':
        return { kind: 'failed', reason: `Khalti: ${lookup.status}`, verification: lookup.raw };
      default:
        return { kind: 'pending' };
    }
  }

  /** Asked with the amount we expect: eSewa finds the payment only by product code, uuid and amount together. */
  private async esewaVerdict(transaction: PaymentTransaction): Promise<Verdict> {
    const status = await this.esewa().status({
      transactionUuid: transaction.reference!,
      totalAmount: transaction.amountMinor,
    });
    switch (status.status) {
      case 'COMPLETE':
        if (status.totalAmount !== transaction.amountMinor) throw amountMismatch();
        return { kind: 'paid', verification: status.raw };
      case 'PENDING':
      case 'AMBIGUOUS':
        return { kind: 'pending' };
      case 'CANCELED':
      case 'FULL_REFUND':
        return { kind: 'failed', reason: `eSewa: ${status.status}`, verification: status.raw };
      default:
        // The signed callback said COMPLETE, eSewa itself does not know the payment: refuse, change nothing.
        throw new BadUserInputError('eSewa does not confirm this payment; the plan is unchanged', {
          reason: 'PAYMENT_NOT_CONFIRMED',
          status: status.status,
        });
    }
  }

  /** The one place a wallet payment changes state; the conditional update makes activation happen exactly once. */
  private async settle(
    em: EntityManager,
    transaction: PaymentTransaction,
    verdict: Verdict,
  ): Promise<PaymentTransaction> {
    if (verdict.kind === 'pending') return transaction;
    const completed = verdict.kind === 'paid';
    const { affected } = await rawWrite(
      em,
      `UPDATE public.payment_transactions
          SET status = $2, verification = $3, failure_reason = $4,
              completed_at = CASE WHEN $5::boolean THEN now() END, updated_at = now()
        WHERE id = $1 AND status = 'PENDING'`,
      [
        transaction.id,
        completed ? PaymentStatus.COMPLETED : PaymentStatus.FAILED,
        verdict.verification,
        completed ? null : verdict.reason,
        completed,
      ],
    );
    if (affected && completed) await this.activate(em, transaction);
    if (affected)
      await recordPaymentEvent(em, completed ? 'payment.completed' : 'payment.failed', {
        ...transaction,
        reason: completed ? null : verdict.reason,
      });
    return em.findOneByOrFail(PaymentTransaction, { id: transaction.id });
  }

  /** One month from now, or from the end of the month already paid for when renewing the same plan early. */
  private async activate(em: EntityManager, transaction: PaymentTransaction): Promise<void> {
    const now = this.deps.now();
    const current = await this.deps.plans.getSubscription(em, transaction.tenantId);
    const renewing =
      current.status === SubscriptionStatus.ACTIVE &&
      current.plan === transaction.plan &&
      current.currentPeriodEnd &&
      current.currentPeriodEnd > now;
    const periodStart = renewing ? current.currentPeriodEnd! : now;
    await this.deps.plans.activatePlan(em, transaction.tenantId, transaction.plan, {
      periodStart,
      periodEnd: addMonth(periodStart),
      provider: transaction.provider,
    });
  }

  private async pending(
    em: EntityManager,
    tenant: ScopedTenant,
    provider: PaymentProvider,
    reference: string,
  ): Promise<PaymentTransaction> {
    const transaction = await em.findOneBy(PaymentTransaction, { tenantId: tenant.id, provider, reference });
    if (!transaction) throw new NotFoundError('Payment', reference);
    return transaction;
  }

  private async replay(
    em: EntityManager,
    tenant: ScopedTenant,
    input: InitiatePaymentInput,
    idempotencyKey: string,
  ): Promise<PaymentRedirect> {
    const existing = await em.findOneByOrFail(PaymentTransaction, { tenantId: tenant.id, idempotencyKey });
    if (existing.provider !== input.provider || existing.plan !== input.plan) {
      throw new ConflictError('This idempotency key belongs to another payment', { reason: 'IDEMPOTENCY_KEY_REUSED' });
    }
    return this.toRedirect(existing);
  }

  private toRedirect(transaction: PaymentTransaction): PaymentRedirect {
    const redirect = transaction.redirect!;
    return Object.assign(new PaymentRedirect(), {
      transaction,
      method: redirect.method,
      url: redirect.url,
      pidx: redirect.pidx ?? null,
      formFields: redirect.fields,
    });
  }

  private khalti(): KhaltiClient {
    return configured(this.deps.khalti, PaymentProvider.KHALTI);
  }

  private esewa(): EsewaClient {
    return configured(this.deps.esewa, PaymentProvider.ESEWA);
  }
}
