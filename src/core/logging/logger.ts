import pino, { type Logger } from 'pino';

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

export function createLogger(level: string, base: Record<string, unknown> = {}): Logger {
  return pino({ level, base: { service: 'tenantql', ...base }, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } });
}
