import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AsyncLocalStorage } from 'node:async_hooks';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
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
const isProbe = (req: IncomingMessage) => QUIET_ROUTES.has(requestPath(req));

export function describePrincipal(principal: Principal): string {
  if (principal.kind === 'user') return `user:${principal.userId}`;
  if (principal.kind === 'api-key') return `api-key:${principal.apiKeyId}`;
  if (principal.kind === 'platform-admin') return 'admin';
  return principal.kind;
}

/**
 * Assigns the request id (echoed as X-Request-Id), records HTTP metrics when the response is done
 * and runs the rest of the request in its log context (see `withRequestObservation` for after a body parser).
 */
function identifyAndMeasure(req: Request, res: Response, next: NextFunction): void {
  const incoming = req.get('x-request-id');
  const observation: RequestObservation = {
    requestId: incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID(),
  };
  res.locals.observation = observation;
  res.setHeader('x-request-id', observation.requestId);
  const started = process.hrtime.bigint();
  res.once('finish', () => {
    const path = requestPath(req);
    const labels = { method: req.method, route: ROUTES.has(path) ? path : 'other', status: String(res.statusCode) };
    metrics.httpRequests.inc(labels);
    metrics.httpRequestDuration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
  });
  storage.run(observation, next);
}

/**
 * One JSON line per request: id, principal, tenant, operation, status, duration. Headers and query strings are not
 * logged.
 */
function requestLogger(logger: Logger): RequestHandler {
  const withObservation = (res: ServerResponse, fields: object) => {
    const { requestId, ...observed } = requestObservation(res);
    return { requestId, ...fields, ...observed };
  };
  return pinoHttp({
    logger,
    genReqId: (_req: IncomingMessage, res: ServerResponse) => requestObservation(res).requestId,
    customAttributeKeys: { responseTime: 'durationMs' },
    serializers: {
      req: (req: { method: string; url: string }) => ({ method: req.method, path: pathOf(req.url) }),
      res: (res: { statusCode: number }) => ({ status: res.statusCode }),
    },
    customSuccessObject: (_req, res, fields) => withObservation(res, fields),
    // A probe answering 503 reports a state (draining, database down), not a fault of ours: no stack trace.
    customErrorObject: (req, res, _error, fields) =>
      withObservation(res, isProbe(req) ? { ...fields, err: undefined } : fields),
    customLogLevel: (req, res, error) => {
      if (isProbe(req) && !error && res.statusCode >= 500) return 'warn';
      if (error || res.statusCode >= 500 || requestObservation(res).internalError) return 'error';
      if (res.statusCode >= 400) return 'warn';
      return isProbe(req) ? 'debug' : 'info';
    },
    customSuccessMessage: (req, res) => `${req.method} ${requestPath(req)} ${res.statusCode}`,
    customErrorMessage: (req, res) => `${req.method} ${requestPath(req)} ${res.statusCode}`,
  });
}

/** First middleware of the app: request id, HTTP metrics and the request log line. */
export function observeRequests(logger: Logger): RequestHandler[] {
  return [identifyAndMeasure, requestLogger(logger)];
}

/**
 * Enters the request's log context again after a body parser: the parser calls on from the
 * request stream's callbacks, which do not carry it.
 */
export function withRequestObservation(_req: Request, res: Response, next: NextFunction): void {
  storage.run(requestObservation(res), next);
}
