import type { DataSource, EntityManager } from 'typeorm';
import type { AppConfig } from '../../core/config/config';
import { setEventActor } from '../../core/events';
import {
  WebhookSignatureError,
  type StripeEvent,
  type StripeGateway,
  type StripeInvoice,
} from '../../integrations/stripe';
import { PlanCode, SubscriptionStatus, type PlanService } from '../plans';
import type { BillingNotifier } from './billing-notifier';
import { recordPaymentEvent } from './payment.events';
import { PaymentProvider } from './payment-transaction.entity';
import { stripeCustomers, type StripeCustomerRecord } from './stripe-customers';
import { malformedEventReason, storableEventId } from './stripe-event-shape';

export interface StripeWebhookDependencies {
  dataSource: DataSource;
  /** Absent when STRIPE_SECRET_KEY is not set. */
  gateway?: StripeGateway;
  prices: AppConfig['stripe']['prices'];
  plans: Pick<PlanService, 'activatePlan' | 'markPastDue' | 'cancelToFree' | 'getSubscription'>;
  notifier: Pick<BillingNotifier, 'paymentFailed'>;
}

/**
 * What became of an event: APPLIED; DUPLICATE (seen before, nothing done); STALE (older
 * than the subscription state already applied: recorded, state unchanged); IGNORED
 * (a type we do not act on, or a customer that is not one of ours); MALFORMED (validly signed but
 * missing fields or of wrong types: recorded and acknowledged, since a redelivery would be the same).
 */
export type WebhookOutcome = 'APPLIED' | 'DUPLICATE' | 'STALE' | 'IGNORED' | 'MALFORMED';

/**
 * Stripe's own default tolerance for the signature's timestamp, applied both ways (a timestamp from the future too).
 */
const SIGNATURE_TOLERANCE_SECONDS = 300;

/** `t=` of a `Stripe-Signature` header, in Unix seconds. */
function signedAt(header: string | undefined): number | undefined {
  const match = /(?:^|,)\s*t=(\d+)/.exec(header ?? '');
  return match ? Number(match[1]) : undefined;
}

const idOf = (value: string | { id: string } | null | undefined) =>
  typeof value === 'string' ? value : (value?.id ?? null);
const fromUnix = (seconds: number) => new Date(seconds * 1000);

/** The subscription line of an invoice that names one of our plans' prices (the latest period if several). */
function planLine(invoice: StripeInvoice, planOfPrice: (priceId: string | null) => PlanCode | undefined) {
  const lines = (invoice.lines?.data ?? [])
    .map((line) => ({ line, plan: planOfPrice(idOf(line.pricing?.price_details?.price)) }))
    .filter((l): l is { line: (typeof l)['line']; plan: PlanCode } => !!l.plan);
  return lines.sort((a, b) => b.line.period.end - a.line.period.end)[0];
}

/**
 * Applies Stripe's webhook events. Each event id is stored in the transaction of its
 * effect (`public.webhook_events`): a redelivery finds it and changes nothing, and two
 * deliveries racing serialise on its primary key. Events of one organization also
 * serialise on its `stripe_customers` row, and an event older than the subscription state
 * already applied (Stripe does not deliver in order) is recorded without effect.
 */
export class StripeWebhookService {
  constructor(private readonly deps: StripeWebhookDependencies) {}

  /** Whether deliveries can be verified at all (STRIPE_WEBHOOK_SECRET and a client). */
  get configured(): boolean {
    return !!this.deps.gateway?.canVerifyWebhooks;
  }

  /**
   * Throws WebhookSignatureError unless the raw body carries Stripe's signature, timestamped within
   * the tolerance of now (the client only checks the past: a signature from the future is refused here).
   */
  verify(rawBody: Buffer, signatureHeader: string | undefined, now = Date.now()): StripeEvent {
    const timestamp = signedAt(signatureHeader);
    if (timestamp !== undefined && timestamp - now / 1000 > SIGNATURE_TOLERANCE_SECONDS) {
      throw new WebhookSignatureError('Timestamp is in the future, outside the tolerance zone');
    }
    return this.deps.gateway!.constructEvent(rawBody, signatureHeader);
  }

  /** Applies a verified event once; `invalidField` names what made a MALFORMED one unusable. */
  async process(event: StripeEvent): Promise<{ outcome: WebhookOutcome; invalidField?: string }> {
    const invalidField = malformedEventReason(event);
    if (invalidField !== undefined) {
      await this.recordMalformed(event);
      return { outcome: 'MALFORMED', invalidField };
    }
    return { outcome: await this.applyOnce(event) };
  }

  private applyOnce(event: StripeEvent): Promise<WebhookOutcome> {
    return this.deps.dataSource.transaction(async (em) => {
      await setEventActor(em, 'system:stripe-webhook');
      const customerId = idOf((event.data.object as { customer?: string | { id: string } | null }).customer);
      const customer = customerId ? await stripeCustomers.ofCustomer(em, customerId) : null;
      const fresh: unknown[] = await em.query(
        `INSERT INTO public.webhook_events (provider, event_id, type, tenant_id, outcome) VALUES ('STRIPE', $1, $2, $3, 'RECEIVED')
         ON CONFLICT (provider, event_id) DO NOTHING RETURNING event_id`,
        [event.id, event.type, customer?.tenantId ?? null],
      );
      if (!fresh.length) return 'DUPLICATE';
      const outcome = customer ? await this.apply(em, customer, event) : 'IGNORED';
      await em.query(`UPDATE public.webhook_events SET outcome = $2 WHERE provider = 'STRIPE' AND event_id = $1`, [
        event.id,
        outcome,
      ]);
      return outcome;
    });
  }

  /**
   * Stored (when its id can be) so an operator can see it, and acknowledged: Stripe would redeliver the same bytes
   * forever.
   */
  private async recordMalformed(event: unknown): Promise<void> {
    const stored = storableEventId(event);
    if (stored) {
      await this.deps.dataSource.query(
        `INSERT INTO public.webhook_events (provider, event_id, type, outcome) VALUES ('STRIPE', $1, $2, 'MALFORMED')
         ON CONFLICT (provider, event_id) DO NOTHING`,
        [stored.id, stored.type],
      );
    }
  }

  private apply(em: EntityManager, customer: StripeCustomerRecord, event: StripeEvent): Promise<WebhookOutcome> {
    switch (event.type) {
      case 'payment_method.attached':
        return this.paymentMethodAdded(em, customer, event.created);
      case 'setup_intent.succeeded':
        return event.data.object.payment_method
          ? this.paymentMethodAdded(em, customer, event.created)
          : Promise.resolve('IGNORED');
      case 'invoice.paid':
        return this.invoicePaid(em, customer, event);
      case 'invoice.payment_failed':
        return this.paymentFailed(em, customer, event);
      case 'customer.subscription.deleted':
        return this.subscriptionDeleted(em, customer, event);
      default:
        return Promise.resolve('IGNORED');
    }
  }

  private async paymentMethodAdded(
    em: EntityManager,
    customer: StripeCustomerRecord,
    created: number,
  ): Promise<WebhookOutcome> {
    await stripeCustomers.markPaymentMethodAdded(em, customer.tenantId, created);
    return 'APPLIED';
  }

  /**
   * The money arrived: the payment is recorded in any case (once per invoice); the plan is
   * activated for the invoiced period unless a newer subscription state was applied already.
   */
  private async invoicePaid(
    em: EntityManager,
    customer: StripeCustomerRecord,
    event: StripeEvent & { type: 'invoice.paid' },
  ): Promise<WebhookOutcome> {
    const invoice = event.data.object;
    const paid = planLine(invoice, (priceId) => this.planOfPrice(priceId));
    if (!paid) return 'IGNORED';
    const subscriptionId = idOf(invoice.parent?.subscription_details?.subscription);
    const period = { start: fromUnix(paid.line.period.start), end: fromUnix(paid.line.period.end) };
    const recorded: { id: string }[] = await em.query(
      `INSERT INTO public.payment_transactions
         (tenant_id, provider, reference, plan, amount_minor, currency, status, verification, completed_at)
       VALUES ($1, $2, $3, $4, $5, $6, 'COMPLETED', $7, $8)
       ON CONFLICT (provider, reference) DO NOTHING RETURNING id`,
      [
        customer.tenantId,
        PaymentProvider.STRIPE,
        invoice.id,
        paid.plan,
        invoice.amount_paid,
        invoice.currency.toUpperCase(),
        {
          eventId: event.id,
          invoice: invoice.id,
          subscription: subscriptionId,
          amountPaid: invoice.amount_paid,
          periodStart: period.start,
          periodEnd: period.end,
        },
        fromUnix(invoice.status_transitions?.paid_at ?? event.created),
      ],
    );
    for (const { id } of recorded) {
      await recordPaymentEvent(em, 'payment.completed', {
        tenantId: customer.tenantId,
        id,
        provider: PaymentProvider.STRIPE,
        reference: invoice.id,
        plan: paid.plan,
        amountMinor: invoice.amount_paid,
        currency: invoice.currency.toUpperCase(),
      });
    }
    if (stripeCustomers.isStale(customer, event.created)) return 'STALE';
    await this.deps.plans.activatePlan(em, customer.tenantId, paid.plan, {
      periodStart: period.start,
      periodEnd: period.end,
      provider: PaymentProvider.STRIPE,
      providerRefs: { customerId: customer.customerId, subscriptionId: subscriptionId ?? undefined },
    });
    await stripeCustomers.recordStateApplied(em, customer.tenantId, event.created, subscriptionId ?? undefined);
    return 'APPLIED';
  }

  /**
   * A renewal failed: PAST_DUE (the plan stays while Stripe retries) and the owners are told.
   * A first payment that fails activated nothing, so only the mail goes out.
   */
  private async paymentFailed(
    em: EntityManager,
    customer: StripeCustomerRecord,
    event: StripeEvent & { type: 'invoice.payment_failed' },
  ): Promise<WebhookOutcome> {
    if (stripeCustomers.isStale(customer, event.created)) return 'STALE';
    const invoice = event.data.object;
    const current = await this.deps.plans.getSubscription(em, customer.tenantId);
    if (current.provider === PaymentProvider.STRIPE && current.status === SubscriptionStatus.ACTIVE) {
      await this.deps.plans.markPastDue(em, customer.tenantId);
      await stripeCustomers.recordStateApplied(em, customer.tenantId, event.created);
    }
    await recordPaymentEvent(em, 'payment.failed', {
      tenantId: customer.tenantId,
      id: invoice.id,
      provider: PaymentProvider.STRIPE,
      reference: invoice.id,
      plan: current.plan,
      amountMinor: invoice.amount_due,
      currency: invoice.currency.toUpperCase(),
      reason: 'invoice.payment_failed',
    });
    await this.deps.notifier.paymentFailed(em, customer.tenantId, {
      id: event.id,
      amountMinor: invoice.amount_due,
      currency: invoice.currency,
    });
    return 'APPLIED';
  }

  /**
   * The subscription ended at Stripe: CANCELED → FREE, data kept. Another (older) subscription ending changes nothing.
   */
  private async subscriptionDeleted(
    em: EntityManager,
    customer: StripeCustomerRecord,
    event: StripeEvent & { type: 'customer.subscription.deleted' },
  ): Promise<WebhookOutcome> {
    const subscription = event.data.object;
    if (customer.subscriptionId && customer.subscriptionId !== subscription.id) return 'IGNORED';
    if (stripeCustomers.isStale(customer, event.created)) return 'STALE';
    await this.deps.plans.cancelToFree(em, customer.tenantId);
    await stripeCustomers.recordStateApplied(em, customer.tenantId, event.created, null);
    return 'APPLIED';
  }

  private planOfPrice(priceId: string | null): PlanCode | undefined {
    if (!priceId) return undefined;
    return (Object.entries(this.deps.prices) as [PlanCode, string | undefined][]).find(
      ([, price]) => price === priceId,
    )?.[0];
  }
}
