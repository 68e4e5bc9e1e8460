import { randomBytes } from 'node:crypto';
import { startFakeHttpServer } from './fake-http-server';

export const FAKE_KHALTI_SECRET = 'test_secret_key_fake_khalti_0123';

interface KhaltiPayment {
  pidx: string;
  /** Paisa, as initiated. */
  amount: number;
  purchaseOrderId: string;
  status: string;
  /** Paisa, what the payer actually paid (lookup's total_amount). */
  paid: number;
  transactionId: string | null;
}

export interface FakeKhalti {
  /** KHALTI_* environment pointing the app's client here. */
  env: Record<string, string>;
  payments: Map<string, KhaltiPayment>;
  /** The payer completes the payment, by default for the amount initiated. */
  pay(pidx: string, options?: { amount?: number }): void;
  setStatus(pidx: string, status: string): void;
  /** How many lookups (server-side verifications) were made. */
  lookups(): number;
  close(): Promise<void>;
}

/** A local stand-in for Khalti's ePayment API (initiate + lookup), checking the secret key like Khalti does. */
export async function startFakeKhalti(): Promise<FakeKhalti> {
  const payments = new Map<string, KhaltiPayment>();
  let lookups = 0;
  const server = await startFakeHttpServer((req) => {
    if (req.headers.authorization !== `Key ${FAKE_KHALTI_SECRET}`)
      return { status: 401, body: { detail: 'Invalid token.', status_code: 401 } };
    const body = req.body ? JSON.parse(req.body) : {};
    if (req.method === 'POST' && req.path === '/api/v2/epayment/initiate/') {
      if (!Number.isInteger(body.amount) || body.amount < 1000)
        return {
          status: 400,
          body: {
            amount: ['Amount should be greater than Rs. 10, that is 1000 paisa.'],
            error_key: 'validation_error',
          },
        };
      for (const field of ['return_url', 'website_url', 'purchase_order_id', 'purchase_order_name']) {
        if (!body[field])
          return { status: 400, body: { [field]: ['This field is required.'], error_key: 'validation_error' } };
      }
      const pidx = randomBytes(11).toString('hex');
      payments.set(pidx, {
        pidx,
        amount: body.amount,
        purchaseOrderId: body.purchase_order_id,
        status: 'Initiated',
        paid: body.amount,
        transactionId: null,
      });
      return {
        body: {
          pidx,
          payment_url: `${server.url}/pay/?pidx=${pidx}`,
          expires_at: new Date(Date.now() + 1_800_000).toISOString(),
          expires_in: 1800,
        },
      };
    }
    if (req.method === 'POST' && req.path === '/api/v2/epayment/lookup/') {
      lookups++;
      const payment = payments.get(body.pidx);
      if (!payment) return { status: 404, body: { detail: 'Not found.', error_key: 'validation_error' } };
      return {
        body: {
          pidx: payment.pidx,
          total_amount: payment.paid,
          status: payment.status,
          transaction_id: payment.transactionId,
          fee: 0,
          refunded: false,
        },
      };
    }
    return undefined;
  });
  const find = (pidx: string) => {
    const payment = payments.get(pidx);
    if (!payment) throw new Error(`fake Khalti: no payment ${pidx}`);
    return payment;
  };
  return {
    env: { KHALTI_BASE_URL: `${server.url}/api/v2`, KHALTI_SECRET_KEY: FAKE_KHALTI_SECRET },
    payments,
    pay: (pidx, options = {}) => {
      Object.assign(find(pidx), {
        status: 'Completed',
        paid: options.amount ?? find(pidx).amount,
        transactionId: randomBytes(8).toString('hex'),
      });
    },
    setStatus: (pidx, status) => {
      find(pidx).status = status;
    },
    lookups: () => lookups,
    close: () => server.close(),
  };
}
