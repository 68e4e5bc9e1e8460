import express, { type RequestHandler } from 'express';
import { withRequestObservation } from '../observability/request-observation';
import { refuseIllFormedRawJson } from './well-formed-text';

/**
 * The body of a signed webhook: the exact bytes (the signature covers them), any content type,
 * in the request's log context, with NUL and ill-formed Unicode refused like everywhere else.
 */
export const rawJsonBody = (limit: string): RequestHandler[] => [
  express.raw({ type: () => true, limit }),
  withRequestObservation,
  refuseIllFormedRawJson,
];
