import bytes from 'bytes';
import type { NextFunction, Request, Response } from 'express';
import type { GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';
import { ErrorCode } from '../errors/error-code';
import { logContext } from '../logging/log-context';
import { requestObservation } from '../observability/request-observation';
import { sendBadRequest, sendJsonError } from './json-error';

type Formatter = (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;

/** Body parser failures (body-parser's `type`), each the caller's: status, reason, message. */
const BODY_ERRORS: Record<string, [number, string, string]> = {
  'entity.too.large': [413, 'PAYLOAD_TOO_LARGE', 'Request body is too large'],
  'entity.parse.failed': [400, 'MALFORMED_JSON', 'Request body is not valid JSON'],
  'encoding.unsupported': [415, 'UNSUPPORTED_ENCODING', 'Content-Encoding must be identity, gzip, deflate or br'],
  'charset.unsupported': [415, 'UNSUPPORTED_CHARSET', 'This charset is not supported'],
  'request.aborted': [400, 'REQUEST_ABORTED', 'The request body ended early'],
  'request.size.invalid': [400, 'MALFORMED_BODY', 'The request body does not match its Content-Length'],
};

interface HttpError extends Error {
  type?: string;
  status?: number;
  code?: string;
}

/** What the caller did wrong, or undefined when the error is ours. */
function callerFault(error: HttpError): [number, string, string] | undefined {
  if (error.type && BODY_ERRORS[error.type]) return BODY_ERRORS[error.type];
  // zlib: the body is not what its Content-Encoding says (a "gzip" body that is not gzip).
  if (error.code?.startsWith('Z_')) return [400, 'MALFORMED_ENCODING', 'The body does not match its Content-Encoding'];
  if (error instanceof URIError) return [400, 'MALFORMED_URL', 'The request path has a malformed percent-encoding'];
  if (error.status && error.status >= 400 && error.status < 500) return [error.status, 'BAD_REQUEST', error.message];
  return undefined;
}

/** Unknown routes: the documented JSON error, never Express's HTML page. */
export function notFoundHandler(req: Request, res: Response): void {
  const extensions = { code: ErrorCode.NOT_FOUND, reason: 'ROUTE_NOT_FOUND' };
  sendJsonError(res, 404, `No route for ${req.method} ${req.path}`, extensions);
}

/**
 * The last handler of the app: any error a route or middleware passed on answers the documented
 * JSON error. The caller's faults are BAD_USER_INPUT with a reason; anything else goes through the
 * one error formatter (logged with the request id, reported, masked in production).
 */
export function finalErrorHandler(formatError: Formatter, logger: Logger) {
  return (error: HttpError, req: Request, res: Response, _next: NextFunction): void => {
    logContext.run(requestObservation(res), () => {
      if (res.headersSent) {
        logger.error({ err: error }, 'error after the response started; connection closed');
        res.destroy();
        return;
      }
      const fault = callerFault(error);
      if (fault) {
        const [status, reason, message] = fault;
        logger.warn({ reason, error: error.message, path: req.path }, 'request refused');
        sendBadRequest(res, reason, message, status);
        return;
      }
      const { message, extensions } = formatError({ message: error.message ?? String(error) }, error);
      sendJsonError(res, 500, message, { code: ErrorCode.INTERNAL_SERVER_ERROR, ...extensions });
    });
  };
}

/**
 * Refuses a request whose Content-Length is over the limit on its headers (413), without reading a
 * byte of the body, and closes the connection so the client stops sending.
 */
export function refuseOversizeBody(limit: string) {
  const maxBytes = bytes.parse(limit) ?? Infinity;
  return (req: Request, res: Response, next: NextFunction): void => {
    const length = Number(req.headers['content-length']);
    if (!(length > maxBytes)) return next();
    res.setHeader('connection', 'close');
    sendBadRequest(res, 'PAYLOAD_TOO_LARGE', `Request body is too large (limit ${limit})`, 413);
  };
}
