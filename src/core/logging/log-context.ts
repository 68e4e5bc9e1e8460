import { AsyncLocalStorage } from 'node:async_hooks';

/** What every log line written inside a request says about it (filled in as the request learns it). */
export interface LogContext {
  requestId: string;
  principal?: string;
  tenantId?: string;
  operationName?: string;
}

/** The request being handled, for the logger's mixin, Apollo's plugins and the error formatter. */
export const logContext = new AsyncLocalStorage<LogContext>();

/** The fields a log line inside a request carries (none outside one). */
export function logContextFields(): Partial<LogContext> {
  const context = logContext.getStore();
  if (!context) return {};
  const { requestId, principal, tenantId, operationName } = context;
  return { requestId, principal, tenantId, operationName };
}
