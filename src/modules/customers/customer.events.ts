import type { EntityManager } from 'typeorm';
import { fieldChanges, recordEvent, type NewDomainEvent } from '../../core/events';
import type { Customer } from './customer.entity';

const FIELDS = ['name', 'email', 'phone'] as const;

export type CustomerSnapshot = Pick<Customer, (typeof FIELDS)[number]>;

export const customerSnapshot = ({ name, email, phone }: CustomerSnapshot): CustomerSnapshot => ({
  name,
  email,
  phone,
});

/** `customer.created` / `customer.deleted` carry the customer (payload v1); `customer.updated` also what changed. */
export async function recordCustomerEvent(
  em: EntityManager,
  type: 'customer.created' | 'customer.updated' | 'customer.deleted',
  customer: Customer,
  before?: CustomerSnapshot,
): Promise<void> {
  const changes = before ? fieldChanges(before, customerSnapshot(customer), FIELDS) : undefined;
  if (changes && !changes.length) return;
  await recordEvent(em, customerEvent(type, customer, changes));
}

/** The event about `customer`: its snapshot, and what changed when given. */
export function customerEvent(
  type: 'customer.created' | 'customer.updated' | 'customer.deleted',
  customer: Pick<Customer, 'id' | 'name' | 'email' | 'phone'>,
  changes?: ReturnType<typeof fieldChanges>,
): NewDomainEvent {
  return {
    type,
    entityId: customer.id,
    payload: { customerId: customer.id, ...customerSnapshot(customer), ...(changes ? { changes } : {}) },
    changes,
  };
}
