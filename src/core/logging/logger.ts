import pino, { type DestinationStream, type Logger } from 'pino';
import { logContextFields } from './log-context';

/** Paths never written to logs, whatever logs them. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers["x-admin-secret"]',
  'req.headers.cookie',
  'password',
  'secret',
  'token',
  '*.password',
  '*.secret',
  '*.token',
  '*.accessToken',
  '*.refreshToken',
  '*.apiKey',
  '*.newPassword',
  '*.currentPassword',
  '*.passwordHash',
  '*.encryptionKey',
  '*.previousEncryptionKeys',
  '*.appSecret',
  '*.headers.authorization',
  '*.headers.cookie',
  '*.headers["x-api-key"]',
  '*.headers["x-admin-secret"]',
  'res.headers["set-cookie"]',
];

/** Every line written inside a request carries its request id, principal, tenant and operation (see log-context). */
export function createLogger(level: string, base: Record<string, unknown> = {}, to?: DestinationStream): Logger {
  const redact = { paths: REDACTED_PATHS, censor: '[redacted]' };
  const options = { level, base: { service: 'tenantql', ...base }, redact, mixin: logContextFields };
  return to ? pino(options, to) : pino(options);
}
