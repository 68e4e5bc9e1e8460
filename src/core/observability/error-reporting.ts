import * as Sentry from '@sentry/node';
import type { ErrorEvent } from '@sentry/node';
import type { AppConfig } from '../config/config';
import type { RequestObservation } from './request-observation';

/** Keys whose values never leave the process, at any depth of an event. */
const SECRET_KEY = /pass(word)?|secret|token|authorization|cookie|api[-_]?key|credential|dsn|encryption/i;
const REDACTED = '[redacted]';

function scrub(value: unknown, depth = 0): unknown {
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) ? REDACTED : scrub(v, depth + 1)]),
  );
}

/**
 * `beforeSend`: drops what may hold credentials or personal data (request body,
 * cookies, query string, client address) and redacts secret-looking keys anywhere.
 */
export function scrubEvent(event: ErrorEvent): ErrorEvent {
  const scrubbed = scrub(event) as ErrorEvent;
  if (scrubbed.request) {
    delete scrubbed.request.data;
    delete scrubbed.request.cookies;
    delete scrubbed.request.query_string;
    if (scrubbed.request.url) scrubbed.request.url = scrubbed.request.url.split('?')[0];
  }
  if (scrubbed.user) scrubbed.user = scrubbed.user.id ? { id: scrubbed.user.id } : undefined;
  return scrubbed;
}

/**
 * Starts Sentry when SENTRY_DSN is set; returns whether it did. Error capture only: no tracing, no bodies, variables or
 * cookies.
 */
export function initErrorReporting(config: Pick<AppConfig, 'sentryDsn' | 'env' | 'version'>): boolean {
  if (!config.sentryDsn) return false;
  Sentry.init({
    dsn: config.sentryDsn,
    environment: config.env,
    release: `tenantql@${config.version}`,
    // Collect as little as possible; beforeSend scrubs whatever still gets through.
    dataCollection: {
      userInfo: false,
      cookies: false,
      httpHeaders: {
        request: { allow: ['user-agent', 'content-type', 'x-request-id', 'x-organization-id'] },
        response: false,
      },
      httpBodies: [],
      urlQueryParams: false,
      graphQL: { document: false, variables: false },
      databaseQueryData: false,
      queues: false,
      stackFrameVariables: false,
    },
    beforeSend: scrubEvent,
    // Error capture only: none of the default instrumentation (http, fetch, pino, console, child processes…),
    // which patches process-wide hooks and is there for tracing and breadcrumbs.
    enableRuntimeChannelInjection: false,
    defaultIntegrations: false,
    integrations: [
      Sentry.eventFiltersIntegration(),
      Sentry.dedupeIntegration(),
      Sentry.linkedErrorsIntegration(),
      Sentry.contextLinesIntegration(),
      Sentry.onUncaughtExceptionIntegration(),
      Sentry.onUnhandledRejectionIntegration(),
    ],
  });
  return true;
}

/** Reports an internal (our fault) error with the request's tenant and operation; a no-op without SENTRY_DSN. */
export function reportInternalError(error: unknown, observation?: RequestObservation): void {
  Sentry.captureException(error, {
    tags: {
      request_id: observation?.requestId,
      tenant_id: observation?.tenantId,
      operation: observation?.operationName,
      operation_type: observation?.operationType,
      principal: observation?.principal,
    },
  });
}

/** Sends what is queued (at shutdown, or before a test reads what arrived). */
export function flushErrorReports(timeoutMs = 2000): Promise<boolean> {
  return Sentry.flush(timeoutMs);
}
