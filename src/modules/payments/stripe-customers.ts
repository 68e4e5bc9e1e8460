import type { EntityManager } from 'typeorm';

/** An organization's Stripe customer and what billing tracks about it (`public.stripe_customers`). */
export interface StripeCustomerRecord {
  tenantId: string;
  customerId: string;
  /** The subscription changePlan manages; null when there is none (or it ended). */
  subscriptionId: string | null;
  paymentMethodAddedAt: Date | null;
  /** event.created of the latest subscription state applied from a webhook. */
  stateEventAt: Date | null;
}

interface Row {
  tenant_id: string;
  customer_id: string;
  subscription_id: string | null;
  payment_method_added_at: Date | null;
  state_event_at: Date | null;
}

const toRecord = (row: Row | undefined): StripeCustomerRecord | null =>
  row
    ? {
        tenantId: row.tenant_id,
        customerId: row.customer_id,
        subscriptionId: row.subscription_id,
        paymentMethodAddedAt: row.payment_method_added_at,
        stateEventAt: row.state_event_at,
      }
    : null;

const COLUMNS = 'tenant_id, customer_id, subscription_id, payment_method_added_at, state_event_at';
/** Stripe's timestamps are Unix seconds. */
const fromUnix = (seconds: number) => new Date(seconds * 1000);

/**
 * Reads and writes of `public.stripe_customers`, in the caller's transaction. `lock`
 * takes the row for the rest of that transaction, which serialises plan changes and
 * webhook events of one organization.
 */
export const stripeCustomers = {
  async ofTenant(
    em: EntityManager,
    tenantId: string,
    options: { lock?: boolean } = {},
  ): Promise<StripeCustomerRecord | null> {
    const [row]: Row[] = await em.query(
      `SELECT ${COLUMNS} FROM public.stripe_customers WHERE tenant_id = $1${options.lock ? ' FOR UPDATE' : ''}`,
      [tenantId],
    );
    return toRecord(row);
  },

  async ofCustomer(em: EntityManager, customerId: string): Promise<StripeCustomerRecord | null> {
    const [row]: Row[] = await em.query(
      `SELECT ${COLUMNS} FROM public.stripe_customers WHERE customer_id = $1 FOR UPDATE`,
      [customerId],
    );
    return toRecord(row);
  },

  /** Keeps the first customer recorded (two first requests racing create the same one: same idempotency key). */
  async record(em: EntityManager, tenantId: string, customerId: string): Promise<void> {
    await em.query(
      'INSERT INTO public.stripe_customers (tenant_id, customer_id) VALUES ($1, $2) ON CONFLICT (tenant_id) DO NOTHING',
      [tenantId, customerId],
    );
  },

  async setSubscription(em: EntityManager, tenantId: string, subscriptionId: string | null): Promise<void> {
    await em.query('UPDATE public.stripe_customers SET subscription_id = $2, updated_at = now() WHERE tenant_id = $1', [
      tenantId,
      subscriptionId,
    ]);
  },

  /** The first time only: it completes the onboarding step. */
  async markPaymentMethodAdded(em: EntityManager, tenantId: string, at: number): Promise<void> {
    await em.query(
      'UPDATE public.stripe_customers SET payment_method_added_at = coalesce(payment_method_added_at, $2), updated_at = now() WHERE tenant_id = $1',
      [tenantId, fromUnix(at)],
    );
  },

  /**
   * A subscription state from an event created at `at` was applied (the subscription it concerns, when known, becomes
   * current).
   */
  async recordStateApplied(
    em: EntityManager,
    tenantId: string,
    at: number,
    subscriptionId?: string | null,
  ): Promise<void> {
    await em.query(
      `UPDATE public.stripe_customers
          SET state_event_at = $2, subscription_id = CASE WHEN $3::boolean THEN $4 ELSE subscription_id END, updated_at = now()
        WHERE tenant_id = $1`,
      [tenantId, fromUnix(at), subscriptionId !== undefined, subscriptionId ?? null],
    );
  },

  /** Whether an event created at `at` is older than the subscription state already applied. */
  isStale(record: StripeCustomerRecord, at: number): boolean {
    return !!record.stateEventAt && fromUnix(at) < record.stateEventAt;
  },
};
