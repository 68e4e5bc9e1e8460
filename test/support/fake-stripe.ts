import { randomBytes } from 'node:crypto';
import { startFakeHttpServer, type FakeRequest, type FakeResponse } from './fake-http-server';

export interface StripeCall {
  method: string;
  path: string;
  idempotencyKey?: string;
  /** Form fields as sent, flat (`items[0][price]`, `metadata[tenantId]`). */
  params: Record<string, string>;
}

interface FakeCustomer {
  id: string;
  name: string;
  metadata: Record<string, string>;
  defaultPaymentMethod: string | null;
}
interface FakeCard {
  id: string;
  customer: string | null;
  brand: string;
  last4: string;
}
interface FakeSubscription {
  id: string;
  customer: string;
  itemId: string;
  price: string;
  status: string;
  metadata: Record<string, string>;
}

export interface FakeStripe {
  /** STRIPE_* environment pointing the app's real `stripe` client here. */
  env: Record<string, string>;
  /** The calls received (GET and POST/DELETE), oldest first. */
  calls: StripeCall[];
  /** POSTs that created something (customers, setup intents, subscriptions). */
  creates(): StripeCall[];
  customers: Map<string, FakeCustomer>;
  subscriptions: Map<string, FakeSubscription>;
  /** What Stripe.js does when the card form confirms a SetupIntent: a card attached to the customer. */
  attachCard(customerId: string, card?: { brand?: string; last4?: string }): string;
  close(): Promise<void>;
}

export const FAKE_STRIPE_SECRET = 'sk_test_fake_0123456789';
export const FAKE_STRIPE_WEBHOOK_SECRET = 'whsec_test_fake_0123456789abcdef';
export const FAKE_STRIPE_PRICES = {
  STARTER: 'price_starter_test',
  PROFESSIONAL: 'price_professional_test',
  ENTERPRISE: 'price_enterprise_test',
};

const newId = (prefix: string) => `${prefix}_${randomBytes(8).toString('hex')}`;

function formFields(body: string, query: URLSearchParams): Record<string, string> {
  return Object.fromEntries([...query.entries(), ...new URLSearchParams(body).entries()]);
}

/** `metadata[tenantId]=…` fields → `{ tenantId: … }`. */
function nested(params: Record<string, string>, prefix: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(params)) {
    const match = new RegExp(`^${prefix}\\[([^\\]]+)\\]$`).exec(key);
    if (match) out[match[1]] = value;
  }
  return out;
}

const notFound = (what: string): FakeResponse => ({
  status: 404,
  body: { error: { type: 'invalid_request_error', code: 'resource_missing', message: `No such ${what}` } },
});
const list = (data: unknown[], url: string) => ({ object: 'list', data, has_more: false, url });

/**
 * A local stand-in for the few Stripe API endpoints billing calls, answered in Stripe's
 * shapes, with Stripe's idempotency: a POST repeating an Idempotency-Key gets the first
 * answer again and creates nothing. The app's real `stripe` client talks to it over HTTP.
 */
export async function startFakeStripe(): Promise<FakeStripe> {
  const calls: StripeCall[] = [];
  const customers = new Map<string, FakeCustomer>();
  const cards = new Map<string, FakeCard>();
  const subscriptions = new Map<string, FakeSubscription>();
  const replays = new Map<string, FakeResponse>();

  const customerJson = (c: FakeCustomer) => ({
    id: c.id,
    object: 'customer',
    name: c.name,
    metadata: c.metadata,
    invoice_settings: { default_payment_method: c.defaultPaymentMethod },
  });
  const cardJson = (c: FakeCard) => ({
    id: c.id,
    object: 'payment_method',
    type: 'card',
    customer: c.customer,
    card: { brand: c.brand, last4: c.last4, exp_month: 12, exp_year: 2034 },
  });
  const subscriptionJson = (s: FakeSubscription) => ({
    id: s.id,
    object: 'subscription',
    customer: s.customer,
    status: s.status,
    metadata: s.metadata,
    items: list(
      [{ id: s.itemId, object: 'subscription_item', price: { id: s.price, object: 'price' } }],
      `/v1/subscription_items?subscription=${s.id}`,
    ),
  });

  function route(req: FakeRequest, params: Record<string, string>): FakeResponse | undefined {
    const [, v1, resource, id, action] = req.path.split('/');
    if (v1 !== 'v1') return undefined;
    const key = `${req.method} ${resource}${id ? '/:id' : ''}${action ? `/${action}` : ''}`;
    switch (key) {
      case 'POST customers': {
        const customer = {
          id: newId('cus'),
          name: params.name,
          metadata: nested(params, 'metadata'),
          defaultPaymentMethod: null,
        };
        customers.set(customer.id, customer);
        return { body: customerJson(customer) };
      }
      case 'GET customers/:id':
      case 'POST customers/:id': {
        const customer = customers.get(id);
        if (!customer) return notFound('customer');
        if (req.method === 'POST' && 'invoice_settings[default_payment_method]' in params) {
          customer.defaultPaymentMethod = params['invoice_settings[default_payment_method]'] || null;
        }
        return { body: customerJson(customer) };
      }
      case 'POST setup_intents': {
        if (!customers.has(params.customer)) return notFound('customer');
        const intentId = newId('seti');
        return {
          body: {
            id: intentId,
            object: 'setup_intent',
            customer: params.customer,
            status: 'requires_payment_method',
            client_secret: `${intentId}_secret_${randomBytes(6).toString('hex')}`,
          },
        };
      }
      case 'GET payment_methods':
        return {
          body: list(
            [...cards.values()].filter((c) => c.customer === req.query.get('customer')).map(cardJson),
            '/v1/payment_methods',
          ),
        };
      case 'GET payment_methods/:id':
        return cards.has(id) ? { body: cardJson(cards.get(id)!) } : notFound('payment_method');
      case 'POST payment_methods/:id/detach': {
        const card = cards.get(id);
        if (!card?.customer) return notFound('payment_method');
        for (const customer of customers.values())
          if (customer.defaultPaymentMethod === id) customer.defaultPaymentMethod = null;
        card.customer = null;
        return { body: cardJson(card) };
      }
      case 'POST subscriptions': {
        if (!customers.has(params.customer)) return notFound('customer');
        const subscription = {
          id: newId('sub'),
          customer: params.customer,
          itemId: newId('si'),
          price: params['items[0][price]'],
          status: 'active',
          metadata: nested(params, 'metadata'),
        };
        subscriptions.set(subscription.id, subscription);
        return { body: subscriptionJson(subscription) };
      }
      case 'GET subscriptions/:id':
      case 'POST subscriptions/:id':
      case 'DELETE subscriptions/:id': {
        const subscription = subscriptions.get(id);
        if (!subscription) return notFound('subscription');
        if (req.method === 'POST') {
          if (params['items[0][id]'] && params['items[0][id]'] !== subscription.itemId)
            return notFound('subscription_item');
          subscription.price = params['items[0][price]'] ?? subscription.price;
          Object.assign(subscription.metadata, nested(params, 'metadata'));
        }
        if (req.method === 'DELETE') subscription.status = 'canceled';
        return { body: subscriptionJson(subscription) };
      }
      default:
        return undefined;
    }
  }

  const server = await startFakeHttpServer((req) => {
    if (req.headers.authorization !== `Bearer ${FAKE_STRIPE_SECRET}`) {
      return { status: 401, body: { error: { type: 'invalid_request_error', message: 'Invalid API Key provided' } } };
    }
    const params = formFields(req.body, req.query);
    const idempotencyKey = req.headers['idempotency-key'] as string | undefined;
    calls.push({ method: req.method, path: req.path, idempotencyKey, params });
    if (req.method === 'POST' && idempotencyKey) {
      const replayKey = `${req.path} ${idempotencyKey}`;
      const first = replays.get(replayKey);
      if (first) return first;
      const answer = route(req, params);
      if (answer) replays.set(replayKey, answer);
      return answer;
    }
    return route(req, params);
  });

  return {
    env: {
      STRIPE_SECRET_KEY: FAKE_STRIPE_SECRET,
      STRIPE_WEBHOOK_SECRET: FAKE_STRIPE_WEBHOOK_SECRET,
      STRIPE_API_URL: server.url,
      STRIPE_PRICE_STARTER: FAKE_STRIPE_PRICES.STARTER,
      STRIPE_PRICE_PROFESSIONAL: FAKE_STRIPE_PRICES.PROFESSIONAL,
      STRIPE_PRICE_ENTERPRISE: FAKE_STRIPE_PRICES.ENTERPRISE,
    },
    calls,
    creates: () =>
      calls.filter((c) => c.method === 'POST' && /^\/v1\/(customers|setup_intents|subscriptions)$/.test(c.path)),
    customers,
    subscriptions,
    attachCard: (customerId, card = {}) => {
      const id = newId('pm');
      cards.set(id, { id, customer: customerId, brand: card.brand ?? 'visa', last4: card.last4 ?? '4242' });
      return id;
    },
    close: () => server.close(),
  };
}
