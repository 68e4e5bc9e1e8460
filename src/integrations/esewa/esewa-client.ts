import { createHmac, timingSafeEqual } from 'node:crypto';
import { gatewayRequest } from '../gateway-http';

export interface EsewaClientOptions {
  /** Host of the ePay v2 form, e.g. https://epay.esewa.com.np (sandbox: https://rc-epay.esewa.com.np). */
  baseUrl: string;
  /** Host of the status-check API (sandbox: https://rc.esewa.com.np). */
  statusUrl: string;
  merchantCode: string;
  merchantSecret: string;
}

/** What the browser posts to eSewa: the form's address and its fields, signature included. */
export interface EsewaPaymentForm {
  actionUrl: string;
  fields: Record<string, string>;
}

/** The payment eSewa reports back (base64 JSON in `?data=` of the success URL), signature verified. */
export interface EsewaCallback {
  transactionUuid: string;
  /** Paisa. */
  totalAmount: number;
  status: string;
  productCode: string;
  transactionCode: string | null;
  raw: Record<string, string>;
}

export interface EsewaStatus {
  status: 'COMPLETE' | 'PENDING' | 'FULL_REFUND' | 'PARTIAL_REFUND' | 'AMBIGUOUS' | 'NOT_FOUND' | 'CANCELED' | string;
  /** Paisa. */
  totalAmount: number;
  refId: string | null;
  raw: Record<string, unknown>;
}

/** The callback did not carry a valid signature of ours (forged or altered). */
export class EsewaSignatureError extends Error {}

const FORM_SIGNED_FIELDS = 'total_amount,transaction_uuid,product_code';

/** eSewa takes rupees as decimal strings ("1,500.0" in callbacks); we count paisa. */
export function rupees(paisa: number): string {
  return paisa % 100 === 0 ? String(paisa / 100) : (paisa / 100).toFixed(2);
}

export function paisaOf(amount: string | number): number {
  const value = Number(String(amount).replace(/,/g, ''));
  if (!Number.isFinite(value)) return Number.NaN;
  return Math.round(value * 100);
}

/** HMAC-SHA256 (base64) over `name=value` pairs of the signed field names, in their order, joined by commas. */
export function esewaSignature(fields: Record<string, string>, signedFieldNames: string, secret: string): string {
  const message = signedFieldNames
    .split(',')
    .map((name) => `${name}=${fields[name] ?? ''}`)
    .join(',');
  return createHmac('sha256', secret).update(message).digest('base64');
}

function sameSignature(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** eSewa ePay v2: a signed form the payer submits, a signed callback, and the status-check API. */
export class EsewaClient {
  constructor(private readonly options: EsewaClientOptions) {}

  paymentForm(request: {
    amount: number;
    transactionUuid: string;
    successUrl: string;
    failureUrl: string;
  }): EsewaPaymentForm {
    const fields: Record<string, string> = {
      amount: rupees(request.amount),
      tax_amount: '0',
      product_service_charge: '0',
      product_delivery_charge: '0',
      total_amount: rupees(request.amount),
      transaction_uuid: request.transactionUuid,
      product_code: this.options.merchantCode,
      success_url: request.successUrl,
      failure_url: request.failureUrl,
      signed_field_names: FORM_SIGNED_FIELDS,
    };
    fields.signature = esewaSignature(fields, FORM_SIGNED_FIELDS, this.options.merchantSecret);
    return { actionUrl: `${this.options.baseUrl}/api/epay/main/v2/form`, fields };
  }

  /**
   * Decodes the `data` eSewa appends to the success URL and checks its signature over
   * the fields it names (they must include the ones we rely on), in constant time.
   */
  decodeCallback(data: string): EsewaCallback {
    let raw: Record<string, string>;
    try {
      raw = JSON.parse(Buffer.from(data, 'base64').toString('utf8'));
    } catch {
      throw new EsewaSignatureError('The eSewa response is not base64 JSON');
    }
    const signed = typeof raw?.signed_field_names === 'string' ? raw.signed_field_names : '';
    const names = signed.split(',');
    for (const required of ['transaction_uuid', 'total_amount', 'status', 'product_code']) {
      if (!names.includes(required)) throw new EsewaSignatureError(`The eSewa response does not sign ${required}`);
    }
    const expected = esewaSignature(raw, signed, this.options.merchantSecret);
    if (typeof raw.signature !== 'string' || !sameSignature(expected, raw.signature)) {
      throw new EsewaSignatureError('The eSewa response signature does not verify');
    }
    if (raw.product_code !== this.options.merchantCode)
      throw new EsewaSignatureError('The eSewa response is for another merchant');
    return {
      transactionUuid: raw.transaction_uuid,
      totalAmount: paisaOf(raw.total_amount),
      status: raw.status,
      productCode: raw.product_code,
      transactionCode: raw.transaction_code ?? null,
      raw,
    };
  }

  /** Asks eSewa itself what became of the payment (the callback alone passed through the payer's browser). */
  async status(request: { transactionUuid: string; totalAmount: number }): Promise<EsewaStatus> {
    const query = new URLSearchParams({
      product_code: this.options.merchantCode,
      total_amount: rupees(request.totalAmount),
      transaction_uuid: request.transactionUuid,
    });
    const body = await gatewayRequest<Record<string, unknown>>(
      'eSewa',
      `${this.options.statusUrl}/api/epay/transaction/status/?${query}`,
      { method: 'GET' },
    );
    return {
      status: String(body.status ?? ''),
      totalAmount: paisaOf(body.total_amount as string | number),
      refId: (body.ref_id as string | null | undefined) ?? null,
      raw: body,
    };
  }
}
