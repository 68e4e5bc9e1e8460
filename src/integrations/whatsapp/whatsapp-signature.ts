import { createHmac, timingSafeEqual } from 'node:crypto';

/** `X-Hub-Signature-256` as Meta sends it: `sha256=<hex HMAC-SHA256(raw body, app secret)>`. */
function whatsAppSignature(rawBody: Buffer, appSecret: string): string {
  return `sha256=${createHmac('sha256', appSecret).update(rawBody).digest('hex')}`;
}

/**
 * True when `header` signs exactly these bytes with this app secret. The comparison is
 * constant-time on equal-length buffers; a header of another length cannot match anyway.
 */
export function hasValidSignature(rawBody: Buffer, header: string | undefined, appSecret: string): boolean {
  if (!header) return false;
  const expected = Buffer.from(whatsAppSignature(rawBody, appSecret));
  const given = Buffer.from(header.trim().toLowerCase());
  return given.length === expected.length && timingSafeEqual(given, expected);
}
