import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Payments: every attempt to pay for a plan (Stripe invoices, Khalti and eSewa
 * payments), the Stripe customer of each organization, the webhook events already
 * applied (stored in the transaction of their effect, so a redelivery changes
 * nothing), and plan prices in the currencies the local wallets charge in.
 */
export class CreatePayments1764000003100 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    // Khalti and eSewa charge in NPR; `public.plans` keeps the catalogue price (USD, what Stripe charges).
    await q.query(`
      CREATE TABLE public.plan_prices (
        plan varchar(20) NOT NULL REFERENCES public.plans (code) ON DELETE CASCADE,
        currency char(3) NOT NULL,
        monthly_price_minor integer NOT NULL CHECK (monthly_price_minor > 0),
        PRIMARY KEY (plan, currency)
      )`);
    await q.query(`
      INSERT INTO public.plan_prices (plan, currency, monthly_price_minor)
      VALUES ('STARTER', 'NPR', 390000), ('PROFESSIONAL', 'NPR', 1300000), ('ENTERPRISE', 'NPR', 4000000)
      ON CONFLICT DO NOTHING`);

    await q.query(`
      CREATE TABLE public.payment_transactions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
        provider varchar(10) NOT NULL CHECK (provider IN ('STRIPE', 'KHALTI', 'ESEWA')),
        reference varchar(255),
        idempotency_key varchar(255),
        plan varchar(20) NOT NULL REFERENCES public.plans (code),
        amount_minor bigint NOT NULL CHECK (amount_minor >= 0),
        currency char(3) NOT NULL,
        status varchar(10) NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'COMPLETED', 'FAILED')),
        redirect jsonb,
        verification jsonb,
        failure_reason varchar(200),
        completed_at timestamptz(3),
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now(),
        CONSTRAINT payment_transactions_reference_key UNIQUE (provider, reference),
        CONSTRAINT payment_transactions_attempt_key UNIQUE (tenant_id, idempotency_key)
      )`);
    await q.query(
      'CREATE INDEX payment_transactions_tenant_idx ON public.payment_transactions (tenant_id, created_at DESC)',
    );

    await q.query(`
      CREATE TABLE public.stripe_customers (
        tenant_id uuid PRIMARY KEY REFERENCES public.tenants (id) ON DELETE CASCADE,
        customer_id varchar(255) NOT NULL,
        subscription_id varchar(255),
        payment_method_added_at timestamptz(3),
        -- event.created of the latest subscription state applied: an older event arriving late changes nothing.
        state_event_at timestamptz(3),
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now(),
        CONSTRAINT stripe_customers_customer_key UNIQUE (customer_id)
      )`);

    await q.query(`
      CREATE TABLE public.webhook_events (
        provider varchar(20) NOT NULL,
        event_id varchar(255) NOT NULL,
        type varchar(100) NOT NULL,
        tenant_id uuid REFERENCES public.tenants (id) ON DELETE SET NULL,
        outcome varchar(20) NOT NULL,
        received_at timestamptz(3) NOT NULL DEFAULT now(),
        PRIMARY KEY (provider, event_id)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE public.webhook_events');
    await q.query('DROP TABLE public.stripe_customers');
    await q.query('DROP TABLE public.payment_transactions');
    await q.query('DROP TABLE public.plan_prices');
  }
}
