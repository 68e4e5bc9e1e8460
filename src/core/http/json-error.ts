import type { ServerResponse } from 'node:http';
import type { Response } from 'express';
import { ErrorCode } from '../errors/error-code';

export interface ErrorExtensions {
  code: ErrorCode | string;
  reason?: string;
  [key: string]: unknown;
}

/**
 * The one error shape of every route, GraphQL's: `{ errors: [{ message, extensions: { code, reason } }] }`.
 * The code is noted for the request's log line. Plain node responses too (the workers' metrics listener).
 */
export function sendJsonError(
  res: ServerResponse,
  status: number,
  message: string,
  extensions: ErrorExtensions,
  headers: Record<string, string> = {},
): void {
  const observation = (res as Partial<Response>).locals?.observation as { outcome?: string } | undefined;
  if (observation) observation.outcome = String(extensions.code);
  const body = JSON.stringify({ errors: [{ message, extensions }] });
  res.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8' }).end(body);
}

/** A request refused as unusable input (400 unless told otherwise), with its documented reason. */
export function sendBadRequest(
  res: ServerResponse,
  reason: string,
  message: string,
  status = 400,
  details: Record<string, unknown> = {},
): void {
  sendJsonError(res, status, message, { code: ErrorCode.BAD_USER_INPUT, reason, ...details });
}
