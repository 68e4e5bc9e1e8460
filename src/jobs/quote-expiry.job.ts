import type { JobDefinition } from '../core/jobs/job-definition';
import { QUOTE_EXPIRY_JOB, type QuoteService } from '../modules/quotes';
import { tenantSweepJob, type SweepDependencies } from './tenant-fan-out';

export { QUOTE_EXPIRY_JOB };

export interface QuoteExpiryDependencies extends SweepDependencies {
  quotes: Pick<QuoteService, 'expireOverdue' | 'nextExpiryAt'>;
}

/**
 * Stores EXPIRED on DRAFT and SENT quotes whose validUntil has passed in each tenant's time zone (the API already
 * reads them as EXPIRED; this makes the table agree, for reports). Run every 15 minutes, as each tenant's midnight
 * falls at another UTC time (Asia/Kathmandu's at 18:15), but only in the tenants whose next expiry has come (marked
 * when a quote gets its validUntil). Repeated runs change nothing more.
 */
export function quoteExpiryJob(deps: QuoteExpiryDependencies): JobDefinition {
  return tenantSweepJob({
    name: QUOTE_EXPIRY_JOB,
    every: '*/15 * * * *',
    deps,
    visit: async (manager) => ({
      counts: { expired: await deps.quotes.expireOverdue(manager) },
      nextDueAt: await deps.quotes.nextExpiryAt(manager),
    }),
    message: 'quotes expired',
  });
}
