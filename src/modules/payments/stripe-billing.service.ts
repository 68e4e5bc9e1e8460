import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { AppConfig } from '../../core/config/config';
import { BadUserInputError, InternalError, NotFoundError } from '../../core/errors/app-error';
import type { ScopedTenant } from '../../core/tenancy/tenant-scope';
import type { CardSummary, StripeGateway } from '../../integrations/stripe';
import { PlanCode, type PlanService } from '../plans';
import { PaymentMethod, PlanChangePayload } from './payments.inputs';
import { stripeCustomers, type StripeCustomerRecord } from './stripe-customers';

export interface StripeBillingDependencies {
  /** Absent when STRIPE_SECRET_KEY is not set. */
  gateway?: StripeGateway;
  prices: AppConfig['stripe']['prices'];
  plans: Pick<PlanService, 'getSubscription' | 'cancelToFree'>;
}

/** Stripe subscription states in which it no longer bills: a plan change starts a new one. */
const ENDED = new Set(['canceled', 'incomplete_expired']);

const toPaymentMethod = (card: CardSummary, isDefault: boolean) =>
  Object.assign(new PaymentMethod(), { ...card, isDefault });

/**
 * Card billing with Stripe for the organization in scope: its customer (created the
 * first time it is needed), saved cards, and the subscription behind its plan. A paid
 * plan becomes active only when Stripe reports its invoice paid (webhook), never here.
 * Every create call carries an idempotency key; the customer row is locked during a plan
 * change, so two concurrent changes cannot create two subscriptions.
 */
export class StripeBillingService {
  constructor(private readonly deps: StripeBillingDependencies) {}

  async createSetupIntent(
    em: EntityManager,
    tenant: ScopedTenant,
  ): Promise<{ setupIntentId: string; clientSecret: string }> {
    const customer = await this.customer(em, tenant);
    const intent = await this.gateway().createSetupIntent(
      customer.customerId,
      `setup-intent:${tenant.id}:${randomUUID()}`,
    );
    return { setupIntentId: intent.id, clientSecret: intent.clientSecret };
  }

  async paymentMethods(em: EntityManager, tenant: ScopedTenant): Promise<PaymentMethod[]> {
    const customer = await stripeCustomers.ofTenant(em, tenant.id);
    if (!customer) return [];
    const gateway = this.gateway();
    const [cards, defaultId] = await Promise.all([
      gateway.listCards(customer.customerId),
      gateway.defaultPaymentMethod(customer.customerId),
    ]);
    return cards.map((card) => toPaymentMethod(card, card.id === defaultId));
  }

  async setDefaultPaymentMethod(
    em: EntityManager,
    tenant: ScopedTenant,
    paymentMethodId: string,
  ): Promise<PaymentMethod> {
    const { customer, card } = await this.ownCard(em, tenant, paymentMethodId);
    await this.gateway().setDefaultPaymentMethod(customer.customerId, card.id);
    return toPaymentMethod(card, true);
  }

  async detachPaymentMethod(em: EntityManager, tenant: ScopedTenant, paymentMethodId: string): Promise<PaymentMethod> {
    const { card } = await this.ownCard(em, tenant, paymentMethodId);
    await this.gateway().detachCard(card.id);
    return toPaymentMethod(card, false);
  }

  /**
   * Creates the Stripe subscription for a paid plan, or swaps the price of the current
   * one (Stripe prorates and invoices at once). FREE cancels it; the plan follows when
   * Stripe confirms (`customer.subscription.deleted`). Without a Stripe subscription,
   * FREE applies at once.
   */
  async changePlan(em: EntityManager, tenant: ScopedTenant, plan: PlanCode): Promise<PlanChangePayload> {
    if (plan === PlanCode.FREE) {
      const customer = await stripeCustomers.ofTenant(em, tenant.id, { lock: true });
      if (customer?.subscriptionId) {
        await this.gateway().cancelSubscription(customer.subscriptionId);
        return this.payload(em, tenant, plan, { id: customer.subscriptionId, status: 'canceled' });
      }
      await this.deps.plans.cancelToFree(em, tenant.id);
      return this.payload(em, tenant, plan, null);
    }
    const priceId = this.deps.prices[plan];
    if (!priceId)
      throw new InternalError(`No Stripe price is configured for ${plan}`, { reason: 'STRIPE_PRICE_NOT_CONFIGURED' });
    const gateway = this.gateway();
    const customer = await this.customer(em, tenant, { lock: true });
    if (!(await gateway.defaultPaymentMethod(customer.customerId))) {
      throw new BadUserInputError('Add a payment method (and make it the default) before choosing a paid plan', {
        reason: 'PAYMENT_METHOD_REQUIRED',
      });
    }
    const metadata = { tenantId: tenant.id, plan };
    const current = customer.subscriptionId ? await gateway.getSubscription(customer.subscriptionId) : undefined;
    if (current && !ENDED.has(current.status)) {
      const changed =
        current.priceId === priceId
          ? current
          : await gateway.changeSubscriptionPrice(
              current,
              priceId,
              metadata,
              `subscription-update:${tenant.id}:${randomUUID()}`,
            );
      return this.payload(em, tenant, plan, changed);
    }
    const created = await gateway.createSubscription(
      { customerId: customer.customerId, priceId, metadata },
      `subscription:${tenant.id}:${randomUUID()}`,
    );
    await stripeCustomers.setSubscription(em, tenant.id, created.id);
    return this.payload(em, tenant, plan, created);
  }

  private async payload(
    em: EntityManager,
    tenant: ScopedTenant,
    plan: PlanCode,
    stripe: { id: string; status: string } | null,
  ): Promise<PlanChangePayload> {
    return Object.assign(new PlanChangePayload(), {
      requestedPlan: plan,
      stripeSubscriptionId: stripe?.id ?? null,
      stripeStatus: stripe?.status ?? null,
      subscription: await this.deps.plans.getSubscription(em, tenant.id),
    });
  }

  /** The organization's Stripe customer, created the first time (one per tenant: the idempotency key is the tenant). */
  private async customer(
    em: EntityManager,
    tenant: ScopedTenant,
    options: { lock?: boolean } = {},
  ): Promise<StripeCustomerRecord> {
    const existing = await stripeCustomers.ofTenant(em, tenant.id, options);
    if (existing) return existing;
    const [{ name }]: { name: string }[] = await em.query('SELECT name FROM public.tenants WHERE id = $1', [tenant.id]);
    const customerId = await this.gateway().createCustomer(
      { name, metadata: { tenantId: tenant.id, slug: tenant.slug } },
      `customer:${tenant.id}`,
    );
    await stripeCustomers.record(em, tenant.id, customerId);
    return (await stripeCustomers.ofTenant(em, tenant.id, options))!;
  }

  /** A card attached to this organization's customer; anything else (another tenant's card) is NOT_FOUND. */
  private async ownCard(em: EntityManager, tenant: ScopedTenant, paymentMethodId: string) {
    const customer = await stripeCustomers.ofTenant(em, tenant.id);
    const card =
      customer && /^pm_[A-Za-z0-9_]+$/.test(paymentMethodId) ? await this.gateway().findCard(paymentMethodId) : null;
    if (!customer || !card || card.customerId !== customer.customerId)
      throw new NotFoundError('Payment method', paymentMethodId);
    return { customer, card };
  }

  private gateway(): StripeGateway {
    if (!this.deps.gateway)
      throw new InternalError('Card payments are not configured', { reason: 'STRIPE_NOT_CONFIGURED' });
    return this.deps.gateway;
  }
}
