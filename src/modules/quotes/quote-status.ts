import { registerEnumType } from 'type-graphql';

/**
 * DRAFT → SENT → ACCEPTED / REJECTED. A DRAFT or SENT quote is EXPIRED once `validUntil` has passed:
 * read from the date at once, and stored by the daily quote-expiry job.
 */
export enum QuoteStatus {
  DRAFT = 'DRAFT',
  SENT = 'SENT',
  ACCEPTED = 'ACCEPTED',
  REJECTED = 'REJECTED',
  EXPIRED = 'EXPIRED',
}

registerEnumType(QuoteStatus, { name: 'QuoteStatus' });

/** Statuses that still wait for the customer's answer, and so can expire. */
export const OPEN_STATUSES = [QuoteStatus.DRAFT, QuoteStatus.SENT] as const;

/** `today` and `validUntil` are ISO dates (YYYY-MM-DD) in the tenant's time zone; the last valid day is included. */
export function effectiveStatus(stored: QuoteStatus, validUntil: string, today: string): QuoteStatus {
  return (OPEN_STATUSES as readonly QuoteStatus[]).includes(stored) && validUntil < today
    ? QuoteStatus.EXPIRED
    : stored;
}
