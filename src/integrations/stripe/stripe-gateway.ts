import Stripe from 'stripe';

export type StripeEvent = Stripe.Event;
export type StripeInvoice = Stripe.Invoice;
export type StripeSubscription = Stripe.Subscription;

export interface StripeGatewayOptions {
  secretKey: string;
  /** Another API host (tests point the real client at a local stand-in); default: api.stripe.com. */
  apiUrl?: string;
  webhookSecret?: string;
}

/** A saved card as the billing screens show it. */
export interface CardSummary {
  id: string;
  brand: string;
  last4: string;
  expMonth: number;
  expYear: number;
}

export interface SubscriptionSummary {
  id: string;
  status: Stripe.Subscription.Status;
  /** The one item of a single-price subscription (what a plan change swaps). */
  itemId?: string;
  priceId?: string;
}

/** The signature did not verify (or the body is not an event): the sender gets 400. */
export class WebhookSignatureError extends Error {}

function hostOptions(apiUrl: string | undefined): Pick<Stripe.StripeConfig, 'host' | 'port' | 'protocol'> {
  if (!apiUrl) return {};
  const url = new URL(apiUrl);
  return {
    host: url.hostname,
    port: url.port || (url.protocol === 'http:' ? 80 : 443),
    protocol: url.protocol === 'http:' ? 'http' : 'https',
  };
}

const idOf = (value: string | { id: string } | null | undefined) => (typeof value === 'string' ? value : value?.id);

function toCard(method: Stripe.PaymentMethod): CardSummary {
  return {
    id: method.id,
    brand: method.card?.brand ?? method.type,
    last4: method.card?.last4 ?? '',
    expMonth: method.card?.exp_month ?? 0,
    expYear: method.card?.exp_year ?? 0,
  };
}

function toSubscription(subscription: Stripe.Subscription): SubscriptionSummary {
  const item = subscription.items?.data[0];
  return { id: subscription.id, status: subscription.status, itemId: item?.id, priceId: idOf(item?.price) };
}

/**
 * The few Stripe calls billing makes, on the official `stripe` client. Every create
 * call carries the caller's idempotency key, so a retried request (by us or by the
 * client's own network retries) never creates a second object. No tenant logic here.
 */
export class StripeGateway {
  private readonly stripe: Stripe;

  constructor(private readonly options: StripeGatewayOptions) {
    this.stripe = new Stripe(options.secretKey, {
      ...hostOptions(options.apiUrl),
      maxNetworkRetries: 2,
      timeout: 20_000,
    });
  }

  async createCustomer(
    params: { name: string; email?: string; metadata: Record<string, string> },
    idempotencyKey: string,
  ): Promise<string> {
    const customer = await this.stripe.customers.create(params, { idempotencyKey });
    return customer.id;
  }

  /** The customer's invoice default payment method, or null (also for a customer deleted at Stripe). */
  async defaultPaymentMethod(customerId: string): Promise<string | null> {
    const customer = await this.stripe.customers.retrieve(customerId);
    if (customer.deleted) return null;
    return idOf(customer.invoice_settings?.default_payment_method) ?? null;
  }

  async setDefaultPaymentMethod(customerId: string, paymentMethodId: string): Promise<void> {
    await this.stripe.customers.update(customerId, { invoice_settings: { default_payment_method: paymentMethodId } });
  }

  /** A SetupIntent saves a card for later (off-session) charges without charging it now. */
  async createSetupIntent(customerId: string, idempotencyKey: string): Promise<{ id: string; clientSecret: string }> {
    const intent = await this.stripe.setupIntents.create(
      { customer: customerId, usage: 'off_session' },
      { idempotencyKey },
    );
    return { id: intent.id, clientSecret: intent.client_secret! };
  }

  async listCards(customerId: string): Promise<CardSummary[]> {
    const page = await this.stripe.paymentMethods.list({ customer: customerId, type: 'card', limit: 100 });
    return page.data.map(toCard);
  }

  /** The card and the customer it is attached to (null when detached or unknown). */
  async findCard(paymentMethodId: string): Promise<(CardSummary & { customerId: string | null }) | null> {
    try {
      const method = await this.stripe.paymentMethods.retrieve(paymentMethodId);
      return { ...toCard(method), customerId: idOf(method.customer) ?? null };
    } catch (error) {
      if (error instanceof Stripe.errors.StripeInvalidRequestError && error.statusCode === 404) return null;
      throw error;
    }
  }

  async detachCard(paymentMethodId: string): Promise<void> {
    await this.stripe.paymentMethods.detach(paymentMethodId);
  }

  async createSubscription(
    params: { customerId: string; priceId: string; metadata: Record<string, string> },
    idempotencyKey: string,
  ): Promise<SubscriptionSummary> {
    const subscription = await this.stripe.subscriptions.create(
      {
        customer: params.customerId,
        items: [{ price: params.priceId }],
        metadata: params.metadata,
        payment_behavior: 'allow_incomplete',
      },
      { idempotencyKey },
    );
    return toSubscription(subscription);
  }

  async getSubscription(subscriptionId: string): Promise<SubscriptionSummary> {
    return toSubscription(await this.stripe.subscriptions.retrieve(subscriptionId));
  }

  /** Swaps the price of the subscription's item; Stripe prorates and invoices the difference. */
  async changeSubscriptionPrice(
    subscription: SubscriptionSummary,
    priceId: string,
    metadata: Record<string, string>,
    idempotencyKey: string,
  ): Promise<SubscriptionSummary> {
    const updated = await this.stripe.subscriptions.update(
      subscription.id,
      {
        items: [{ id: subscription.itemId, price: priceId }],
        metadata,
        proration_behavior: 'always_invoice',
        payment_behavior: 'allow_incomplete',
      },
      { idempotencyKey },
    );
    return toSubscription(updated);
  }

  /** Ends the subscription now; `customer.subscription.deleted` follows as a webhook. */
  async cancelSubscription(subscriptionId: string): Promise<void> {
    await this.stripe.subscriptions.cancel(subscriptionId);
  }

  get canVerifyWebhooks(): boolean {
    return !!this.options.webhookSecret;
  }

  /** Verifies `Stripe-Signature` over the raw bytes (and its timestamp's age) and parses the event. */
  constructEvent(rawBody: Buffer, signatureHeader: string | undefined): StripeEvent {
    if (!this.options.webhookSecret) throw new Error('STRIPE_WEBHOOK_SECRET is not set');
    if (!signatureHeader) throw new WebhookSignatureError('Missing Stripe-Signature header');
    try {
      return this.stripe.webhooks.constructEvent(rawBody, signatureHeader, this.options.webhookSecret);
    } catch (error) {
      throw new WebhookSignatureError(error instanceof Error ? error.message : 'Invalid signature');
    }
  }
}
