import type { EntityManager } from 'typeorm';
import { recordEvent } from '../../core/events';

/** What a payment's events carry (payload v1): the provider's reference, the plan and the amount, never card data. */
export interface PaymentFacts {
  tenantId: string;
  /** Our payment_transactions id where there is one; else the provider's reference. */
  id: string;
  provider: string;
  reference: string | null;
  plan: string | null;
  amountMinor: number;
  currency: string;
  reason?: string | null;
}

export function recordPaymentEvent(
  em: EntityManager,
  type: 'payment.completed' | 'payment.failed',
  payment: PaymentFacts,
): Promise<void> {
  const { tenantId, id, provider, reference, plan, amountMinor, currency, reason } = payment;
  return recordEvent(em, {
    type,
    entityId: id,
    tenantId,
    payload: {
      paymentId: id,
      provider,
      reference,
      plan,
      amountMinor,
      currency,
      ...(type === 'payment.failed' ? { reason: reason ?? null } : {}),
    },
  });
}
