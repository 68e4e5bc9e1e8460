import { createHmac, randomBytes } from 'node:crypto';

/** Header names of a delivery (docs/webhooks.md). */
export const SIGNATURE_HEADER = 'Tenantql-Signature';
export const EVENT_ID_HEADER = 'Tenantql-Event-Id';

/** A signing secret: shown once, used as it is (the whole string) as the HMAC key. */
export const newSigningSecret = (): string => `whsec_${randomBytes(32).toString('base64url')}`;

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, Stripe's scheme. */
export function signatureHeader(secret: string, body: string, unixSeconds: number): string {
  const digest = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${digest}`;
}
