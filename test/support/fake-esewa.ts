import { createHmac, randomBytes } from 'node:crypto';
import { startFakeHttpServer } from './fake-http-server';

export const FAKE_ESEWA_MERCHANT = 'EPAYTEST';
export const FAKE_ESEWA_SECRET = 'fake-esewa-merchant-secret';

/** What eSewa signs in its success callback, in its order. */
const CALLBACK_SIGNED_FIELDS = 'transaction_code,status,total_amount,transaction_uuid,product_code,signed_field_names';

/** eSewa writes amounts like "3,900.0". */
const esewaAmount = (paisa: number) =>
  (paisa / 100).toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 2 });

export interface FakeEsewa {
  /** ESEWA_* environment pointing the app's client here. */
  env: Record<string, string>;
  /**
   * The payer pays `amount` paisa for the transaction: eSewa records it and redirects
   * to the success URL with this base64 `data` (signed with `secret`, default the merchant's).
   */
  pay(transactionUuid: string, amount: number, options?: { secret?: string }): string;
  /** How many status checks (server-side verifications) were made. */
  statusChecks(): number;
  close(): Promise<void>;
}

/** A local stand-in for eSewa ePay v2: signed callbacks and the transaction status API. */
export async function startFakeEsewa(): Promise<FakeEsewa> {
  const paid = new Map<string, { amount: number; refId: string }>();
  let statusChecks = 0;
  const server = await startFakeHttpServer((req) => {
    if (req.method !== 'GET' || req.path !== '/api/epay/transaction/status/') return undefined;
    statusChecks++;
    const uuid = req.query.get('transaction_uuid') ?? '';
    const amount = Math.round(Number(req.query.get('total_amount')) * 100);
    const payment = paid.get(uuid);
    // eSewa only finds a payment by its product code, uuid and amount together.
    if (!payment || payment.amount !== amount || req.query.get('product_code') !== FAKE_ESEWA_MERCHANT) {
      return {
        body: {
          product_code: req.query.get('product_code'),
          transaction_uuid: uuid,
          total_amount: amount / 100,
          status: 'NOT_FOUND',
          ref_id: null,
        },
      };
    }
    return {
      body: {
        product_code: FAKE_ESEWA_MERCHANT,
        transaction_uuid: uuid,
        total_amount: payment.amount / 100,
        status: 'COMPLETE',
        ref_id: payment.refId,
      },
    };
  });
  return {
    env: {
      ESEWA_BASE_URL: server.url,
      ESEWA_STATUS_URL: server.url,
      ESEWA_MERCHANT_CODE: FAKE_ESEWA_MERCHANT,
      ESEWA_MERCHANT_SECRET: FAKE_ESEWA_SECRET,
    },
    pay: (transactionUuid, amount, options = {}) => {
      const refId = randomBytes(4).toString('hex').toUpperCase();
      paid.set(transactionUuid, { amount, refId });
      const fields: Record<string, string> = {
        transaction_code: refId,
        status: 'COMPLETE',
        total_amount: esewaAmount(amount),
        transaction_uuid: transactionUuid,
        product_code: FAKE_ESEWA_MERCHANT,
        signed_field_names: CALLBACK_SIGNED_FIELDS,
      };
      const message = CALLBACK_SIGNED_FIELDS.split(',')
        .map((name) => `${name}=${fields[name]}`)
        .join(',');
      fields.signature = createHmac('sha256', options.secret ?? FAKE_ESEWA_SECRET)
        .update(message)
        .digest('base64');
      return Buffer.from(JSON.stringify(fields)).toString('base64');
    },
    statusChecks: () => statusChecks,
    close: () => server.close(),
  };
}
