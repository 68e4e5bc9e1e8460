import type { DataSource } from 'typeorm';
import type { JobDefinition } from '../core/jobs/job-definition';
import type { QuoteService } from '../modules/quotes';
import type { TenantService } from '../modules/tenants';
import { tenantSweepJob } from './tenant-fan-out';

export const QUOTE_EXPIRY_JOB = 'quotes.expiry';

export interface QuoteExpiryDependencies {
  dataSource: DataSource;
  tenants: Pick<TenantService, 'list'>;
  quotes: Pick<QuoteService, 'expireOverdue'>;
}

/**
 * Stores EXPIRED on DRAFT and SENT quotes whose validUntil has passed in each tenant's time
 * zone (the API already reads them as EXPIRED; this makes the table agree, for reports).
 * A day's work per tenant, but run every 15 minutes: each tenant's midnight falls at another
 * UTC time (Asia/Kathmandu's at 18:15). Repeated runs change nothing more.
 */
export function quoteExpiryJob(deps: QuoteExpiryDependencies): JobDefinition {
  return tenantSweepJob({
    name: QUOTE_EXPIRY_JOB,
    every: '*/15 * * * *',
    deps,
    visit: async (manager) => ({ expired: await deps.quotes.expireOverdue(manager) }),
    message: 'quotes expired',
  });
}
