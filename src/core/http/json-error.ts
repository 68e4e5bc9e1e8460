import type { Response } from 'express';
import { ErrorCode } from '../errors/error-code';
import { requestObservation } from '../observability/request-observation';

export interface ErrorExtensions {
  code: ErrorCode | string;
  reason?: string;
  [key: string]: unknown;
}

/**
 * The one error shape of every route, GraphQL's: `{ errors: [{ message, extensions: { code, reason } }] }`.
 * The code is noted for the request's log line.
 */
export function sendJsonError(res: Response, status: number, message: string, extensions: ErrorExtensions): void {
  const observation = requestObservation(res);
  if (observation) observation.outcome = String(extensions.code);
  res.status(status).json({ errors: [{ message, extensions }] });
}

/** A request refused as unusable input (400 unless told otherwise), with its documented reason. */
export function sendBadRequest(res: Response, reason: string, message: string, status = 400, details: Record<string, unknown> = {}): void {
  sendJsonError(res, status, message, { code: ErrorCode.BAD_USER_INPUT, reason, ...details });
}
