import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AsyncLocalStorage } from 'node:async_hooks';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import pino, { type DestinationStream, type Level, type Logger } from 'pino';
import type { Principal } from '../http/request-context';
import { logContext, type LogContext } from '../logging/log-context';
import { metrics } from './metrics';

/**
 * What one request's log line, metrics and error reports say about it. Filled in
 * as the request learns it: the id at once, the principal when authenticated,
 * the tenant when its scope opens, the operation when Apollo has resolved it.
 */
export interface RequestObservation extends LogContext {
  operationType?: string;
  /** `success` or the code of the first error. */
  outcome?: string;
  /** An error of ours (INTERNAL_SERVER_ERROR) was answered, whatever the HTTP status: the request line is an error. */
  internalError?: boolean;
}

const storage = logContext as AsyncLocalStorage<RequestObservation>;

/** The observation of the request being handled, if any. */
export function currentRequestObservation(): RequestObservation | undefined {
  return storage.getStore();
}

export function requestObservation(res: ServerResponse): RequestObservation {
  return (res as Response).locals.observation as RequestObservation;
}

/** A caller-supplied X-Request-Id is kept when it is a sane token, so ids follow a request across services. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** Routes named in metrics; anything else is `other`, so scanners cannot create series. */
const ROUTES = new Set(['/graphql', '/mcp', '/health', '/ready', '/metrics']);
/** Probes and scrapes every few seconds: logged at debug level only. */
const QUIET_ROUTES = new Set(['/health', '/ready', '/metrics']);

const pathOf = (url: string | undefined) => (url ?? '/').split('?')[0];
/** Express rewrites `req.url` inside mounted routers; the original is what the client asked for. */
const requestPath = (req: IncomingMessage) => pathOf((req as Request).originalUrl ?? req.url);

export function describePrincipal(principal: Principal): string {
  if (principal.kind === 'user') return `user:${principal.userId}`;
  if (principal.kind === 'api-key') return `api-key:${principal.apiKeyId}`;
  if (principal.kind === 'platform-admin') return 'admin';
  return principal.kind;
}

/**
 * A logger for the request line only: the line is built from whitelisted fields (never headers, bodies or query
 * strings), so it needs none of the wildcard redaction the app's logger runs on arbitrary objects. Same destination,
 * level and base fields as `logger`.
 */
function requestLineLogger(logger: Logger): Logger {
  const destination = (logger as unknown as Record<symbol, DestinationStream>)[pino.symbols.streamSym];
  return pino({ level: logger.level, base: logger.bindings() }, destination);
}

function levelOf(req: Request, res: ServerResponse, observation: RequestObservation, aborted: boolean): Level {
  const probe = QUIET_ROUTES.has(requestPath(req));
  if (probe && res.statusCode >= 500) return 'warn'; // a state (draining, database down), not a fault of ours
  if (aborted || res.statusCode >= 500 || observation.internalError) return 'error';
  if (res.statusCode >= 400) return 'warn';
  return probe ? 'debug' : 'info';
}

/**
 * Assigns the request id (echoed as X-Request-Id), records HTTP metrics and writes the request's
 * one JSON line when the response is done: id, principal, tenant, operation, outcome, status and
 * duration. Runs the rest of the request in its log context (see `withRequestObservation` for after a body parser).
 */
function identifyMeasureAndLog(lines: Logger): RequestHandler {
  return (req: Request, res: Response, next: NextFunction): void => {
    const incoming = req.get('x-request-id');
    const observation: RequestObservation = {
      requestId: incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID(),
    };
    res.locals.observation = observation;
    res.setHeader('x-request-id', observation.requestId);
    const started = process.hrtime.bigint();
    const done = (aborted: boolean) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const path = requestPath(req);
      const labels = { method: req.method, route: ROUTES.has(path) ? path : 'other', status: String(res.statusCode) };
      metrics.httpRequests.inc(labels);
      metrics.httpRequestDuration.observe(labels, seconds);
      const level = levelOf(req, res, observation, aborted);
      if (!lines.isLevelEnabled(level)) return;
      const { requestId, principal, tenantId, operationName, operationType, outcome } = observation;
      const line = {
        requestId,
        req: { method: req.method, path },
        res: { status: res.statusCode },
        durationMs: Math.round(seconds * 1e6) / 1e3,
        principal,
        tenantId,
        operationName,
        operationType,
        outcome,
        aborted: aborted || undefined,
      };
      lines[level](line, `${req.method} ${path} ${res.statusCode}`);
    };
    res.once('finish', () => done(false));
    // A client that went away before the answer was sent: still one line, as an error.
    res.once('close', () => {
      if (!res.writableFinished) done(true);
    });
    storage.run(observation, next);
  };
}

/** First middleware of the app: request id, HTTP metrics and the request log line. */
export function observeRequests(logger: Logger): RequestHandler[] {
  return [identifyMeasureAndLog(requestLineLogger(logger))];
}

/**
 * Enters the request's log context again after a body parser: the parser calls on from the
 * request stream's callbacks, which do not carry it.
 */
export function withRequestObservation(_req: Request, res: Response, next: NextFunction): void {
  storage.run(requestObservation(res), next);
}
