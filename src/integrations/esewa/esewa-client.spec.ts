import { createHmac } from 'node:crypto';
import { EsewaClient, EsewaSignatureError, paisaOf, rupees } from './esewa-client';

const SECRET = '8gBm/:&EnhH.1/q';
const client = new EsewaClient({
  baseUrl: 'https://rc-epay.esewa.com.np',
  statusUrl: 'https://rc.esewa.com.np',
  merchantCode: 'EPAYTEST',
  merchantSecret: SECRET,
});

/** eSewa's HMAC, computed here from its documented definition rather than with the code under test. */
const hmac = (message: string, secret = SECRET) => createHmac('sha256', secret).update(message).digest('base64');

function callback(fields: Record<string, string>, secret = SECRET): string {
  const signed = 'transaction_code,status,total_amount,transaction_uuid,product_code,signed_field_names';
  const all = { ...fields, signed_field_names: signed };
  const message = signed
    .split(',')
    .map((name) => `${name}=${all[name as keyof typeof all]}`)
    .join(',');
  return Buffer.from(JSON.stringify({ ...all, signature: hmac(message, secret) })).toString('base64');
}

const paid = {
  transaction_code: '000AWEO',
  status: 'COMPLETE',
  total_amount: '3,900.0',
  transaction_uuid: 'a1b2c3',
  product_code: 'EPAYTEST',
};

describe('eSewa client (ePay v2 signatures)', () => {
  it('signs the form over total_amount, transaction_uuid and product_code, as eSewa documents', () => {
    const form = client.paymentForm({
      amount: 10_000,
      transactionUuid: '241028',
      successUrl: 'https://app.test/ok',
      failureUrl: 'https://app.test/ko',
    });
    expect(form.actionUrl).toBe('https://rc-epay.esewa.com.np/api/epay/main/v2/form');
    expect(form.fields).toMatchObject({
      total_amount: '100',
      amount: '100',
      transaction_uuid: '241028',
      product_code: 'EPAYTEST',
      signed_field_names: 'total_amount,transaction_uuid,product_code',
    });
    expect(form.fields.signature).toBe(hmac('total_amount=100,transaction_uuid=241028,product_code=EPAYTEST'));
  });

  it('accepts a callback signed with the merchant secret and reads amounts like "3,900.0" as paisa', () => {
    const decoded = client.decodeCallback(callback(paid));
    expect(decoded).toMatchObject({
      transactionUuid: 'a1b2c3',
      totalAmount: 390_000,
      status: 'COMPLETE',
      transactionCode: '000AWEO',
    });
  });

  it('rejects forged, altered and malformed callbacks', () => {
    expect(() => client.decodeCallback(callback(paid, 'not-the-secret'))).toThrow(EsewaSignatureError);
    const altered = JSON.parse(Buffer.from(callback(paid), 'base64').toString());
    altered.total_amount = '39.0';
    expect(() => client.decodeCallback(Buffer.from(JSON.stringify(altered)).toString('base64'))).toThrow(
      EsewaSignatureError,
    );
    // Signing fewer fields (leaving the amount out of the signature) is not accepted either.
    const partial = {
      transaction_uuid: 'a1b2c3',
      status: 'COMPLETE',
      total_amount: '1.0',
      product_code: 'EPAYTEST',
      signed_field_names: 'transaction_uuid,status',
    };
    const partialSigned = { ...partial, signature: hmac('transaction_uuid=a1b2c3,status=COMPLETE') };
    expect(() => client.decodeCallback(Buffer.from(JSON.stringify(partialSigned)).toString('base64'))).toThrow(
      /does not sign total_amount/,
    );
    expect(() => client.decodeCallback(callback({ ...paid, product_code: 'OTHER' }))).toThrow(/another merchant/);
    expect(() => client.decodeCallback('%%%not-base64')).toThrow(EsewaSignatureError);
  });

  it('converts between paisa and eSewa rupee strings', () => {
    expect(rupees(390_000)).toBe('3900');
    expect(rupees(12_345)).toBe('123.45');
    expect(paisaOf('1,234.5')).toBe(123_450);
    expect(paisaOf('abc')).toBeNaN();
  });
});
