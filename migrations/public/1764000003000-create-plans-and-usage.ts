import type { MigrationInterface, QueryRunner } from 'typeorm';
import { seedPlanCatalog } from '../../src/modules/plans/plan-defaults';

/**
 * Plans, what each allows, each organization's subscription, and usage counters:
 * one counter row per tenant, metric and period (a calendar month, or one fixed
 * period for counts of things that exist), so no job ever resets a counter.
 * Seeds the default catalogue and gives every existing organization a subscription
 * on its current plan and counters that match what it already has.
 */
export class CreatePlansAndUsage1764000003000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE public.plans (
        code varchar(20) PRIMARY KEY CHECK (code IN ('FREE', 'STARTER', 'PROFESSIONAL', 'ENTERPRISE')),
        name varchar(100) NOT NULL,
        monthly_price_minor integer NOT NULL CHECK (monthly_price_minor >= 0),
        currency char(3) NOT NULL,
        rank smallint NOT NULL,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now(),
        CONSTRAINT plans_rank_key UNIQUE (rank)
      )`);
    // limit_value NULL = unlimited.
    await q.query(`
      CREATE TABLE public.plan_limits (
        plan varchar(20) NOT NULL REFERENCES public.plans (code) ON DELETE CASCADE,
        metric varchar(50) NOT NULL,
        limit_value integer CHECK (limit_value >= 0),
        PRIMARY KEY (plan, metric)
      )`);
    await q.query(`
      CREATE TABLE public.plan_features (
        plan varchar(20) NOT NULL REFERENCES public.plans (code) ON DELETE CASCADE,
        feature varchar(50) NOT NULL,
        enabled boolean NOT NULL,
        PRIMARY KEY (plan, feature)
      )`);
    await seedPlanCatalog(q);
    await q.query(
      'ALTER TABLE public.tenants ADD CONSTRAINT tenants_plan_fkey FOREIGN KEY (plan) REFERENCES public.plans (code)',
    );

    await q.query(`
      CREATE TABLE public.subscriptions (
        tenant_id uuid PRIMARY KEY REFERENCES public.tenants (id) ON DELETE CASCADE,
        plan varchar(20) NOT NULL REFERENCES public.plans (code),
        status varchar(10) NOT NULL CHECK (status IN ('TRIALING', 'ACTIVE', 'PAST_DUE', 'CANCELED')),
        trial_ends_at timestamptz(3),
        current_period_start timestamptz(3),
        current_period_end timestamptz(3),
        provider varchar(20),
        provider_customer_id varchar(255),
        provider_subscription_id varchar(255),
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now(),
        CHECK (status <> 'TRIALING' OR trial_ends_at IS NOT NULL)
      )`);
    // The trials job looks for trials ending soon; webhooks find the tenant by the provider's ids.
    await q.query(
      `CREATE INDEX subscriptions_trial_ends_idx ON public.subscriptions (trial_ends_at) WHERE status = 'TRIALING'`,
    );
    await q.query(
      'CREATE INDEX subscriptions_provider_customer_idx ON public.subscriptions (provider, provider_customer_id) WHERE provider_customer_id IS NOT NULL',
    );
    await q.query(
      'CREATE INDEX subscriptions_provider_subscription_idx ON public.subscriptions (provider, provider_subscription_id) WHERE provider_subscription_id IS NOT NULL',
    );
    await q.query(
      `INSERT INTO public.subscriptions (tenant_id, plan, status, current_period_start) SELECT id, plan, 'ACTIVE', now() FROM public.tenants`,
    );

    await q.query(`
      CREATE TABLE public.usage_counters (
        tenant_id uuid NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
        metric varchar(50) NOT NULL,
        period_start date NOT NULL,
        used bigint NOT NULL CHECK (used >= 0),
        PRIMARY KEY (tenant_id, metric, period_start)
      )`);
    // Counts of what exists already (fixed period 1970-01-01): invited members, and each tenant's customers.
    await q.query(`
      INSERT INTO public.usage_counters (tenant_id, metric, period_start, used)
      SELECT m.tenant_id, 'team_members', DATE '1970-01-01', count(*)
        FROM public.memberships m
       WHERE EXISTS (SELECT 1 FROM public.invitations i WHERE i.tenant_id = m.tenant_id AND i.accepted_by = m.user_id)
       GROUP BY m.tenant_id`);
    await q.query(`
      DO $$
      DECLARE t record;
      BEGIN
        FOR t IN SELECT id, schema_name FROM public.tenants LOOP
          IF to_regclass(format('%I.customers', t.schema_name)) IS NOT NULL THEN
            EXECUTE format(
              'INSERT INTO public.usage_counters (tenant_id, metric, period_start, used) SELECT $1, %L, DATE %L, count(*) FROM %I.customers',
              'customers', '1970-01-01', t.schema_name) USING t.id;
          END IF;
        END LOOP;
      END $$`);

    // rate-limiter-flexible's RateLimiterPostgres store for request rate limits (when REDIS_URL is not set).
    await q.query(`
      CREATE TABLE public.rate_limits (
        key varchar(255) PRIMARY KEY,
        points integer NOT NULL DEFAULT 0,
        expire bigint
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE public.rate_limits');
    await q.query('DROP TABLE public.usage_counters');
    await q.query('DROP TABLE public.subscriptions');
    await q.query('ALTER TABLE public.tenants DROP CONSTRAINT tenants_plan_fkey');
    await q.query('DROP TABLE public.plan_features');
    await q.query('DROP TABLE public.plan_limits');
    await q.query('DROP TABLE public.plans');
  }
}
