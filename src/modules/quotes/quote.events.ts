import type { EntityManager } from 'typeorm';
import { DOMAIN_EVENTS, recordEvent, statusChange, type DomainEventType } from '../../core/events';

/** A quote or a copy of one (contract, invoice): what its events carry (payload v1). */
interface CommercialDocument {
  id: string;
  number: string;
  customerId: string;
  currency: string;
  total: string;
  status: string;
  quoteId?: string;
}

/**
 * One event of a quote, contract or invoice: its ids, number, status and amount, and the status change
 * (`before` → its status now) in the payload and for the audit log.
 */
export function recordDocumentEvent(
  em: EntityManager,
  type: DomainEventType,
  document: CommercialDocument,
  before: string | null,
): Promise<void> {
  const { entityType } = DOMAIN_EVENTS[type];
  const changes = statusChange(before, document.status);
  return recordEvent(em, {
    type,
    entityId: document.id,
    payload: {
      [`${entityType}Id`]: document.id,
      number: document.number,
      customerId: document.customerId,
      ...(document.quoteId ? { quoteId: document.quoteId } : {}),
      status: document.status,
      currency: document.currency,
      total: document.total,
      ...(changes.length ? { previousStatus: before } : {}),
    },
    changes: changes.length ? changes : undefined,
  });
}
