import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { eventInsert, eventRecorded } from '../../core/events';
import { NotFoundError } from '../../core/errors/app-error';
import { likePattern, readKeysetPage, toConnection } from '../../core/graphql/connection';
import { isUuid } from '../../core/tenancy/tenant-schema';
import { COUNTED_WRITE_FIRST_PARAM, type EntitlementService } from '../plans';
import { Customer } from './customer.entity';
import { customerEvent, customerSnapshot, recordCustomerEvent } from './customer.events';
import type { CreateCustomerInput, UpdateCustomerInput } from './customer.inputs';

/** Every column, as the entity's properties. */
export const CUSTOMER_COLUMNS = 'id, name, email, phone, created_at AS "createdAt", updated_at AS "updatedAt"';

export interface CustomerListOptions {
  first: number;
  after?: string;
  search?: string;
  withTotalCount?: boolean;
}

/**
 * Customers of one tenant. Every method takes the tenant-scoped manager of the caller's transaction.
 * How many may exist is the plan's `customers` limit: taken on create, given back on delete, in
 * the same transaction (a create that fails takes nothing).
 */
export class CustomerService {
  constructor(private readonly entitlements: Pick<EntitlementService, 'consumeWith' | 'release'>) {}

  /**
   * The limit check, the row and its `customer.created` event are ONE statement (a hot mutation): the
   * customer and the event are inserted from the counter row, so past the limit neither is.
   */
  async create(em: EntityManager, tenantId: string, input: CreateCustomerInput): Promise<Customer> {
    // The id is ours, so the event's payload is known before the statement.
    const values = {
      id: randomUUID(),
      name: input.name.trim(),
      email: input.email ?? null,
      phone: input.phone ?? null,
    };
    const event = customerEvent('customer.created', values);
    const insertEvent = eventInsert(event, COUNTED_WRITE_FIRST_PARAM + 4, 'created');
    const $ = (i: number) => `$${COUNTED_WRITE_FIRST_PARAM + i}`;
    const { row } = await this.entitlements.consumeWith<Customer>(em, tenantId, 'customers', {
      ctes:
        `created AS (INSERT INTO customers (id, name, email, phone) ` +
        `SELECT ${$(0)}::uuid, ${$(1)}::varchar, ${$(2)}::varchar, ${$(3)}::varchar FROM counted ` +
        `RETURNING ${CUSTOMER_COLUMNS}), event AS (${insertEvent.sql})`,
      params: [values.id, values.name, values.email, values.phone, ...insertEvent.params],
      from: 'created',
    });
    await eventRecorded(em, event);
    const { id, name, email, phone, createdAt, updatedAt } = row;
    return Object.assign(new Customer(), { id, name, email, phone, createdAt, updatedAt });
  }

  async update(em: EntityManager, id: string, input: UpdateCustomerInput): Promise<Customer> {
    const customer = await this.get(em, id);
    const before = customerSnapshot(customer);
    if (input.name !== undefined) customer.name = input.name.trim();
    if (input.email !== undefined) customer.email = input.email;
    if (input.phone !== undefined) customer.phone = input.phone;
    const saved = await em.save(customer);
    await recordCustomerEvent(em, 'customer.updated', saved, before);
    return saved;
  }

  async delete(em: EntityManager, tenantId: string, id: string): Promise<Customer> {
    const customer = await this.get(em, id);
    // A concurrent delete of the same customer waits for this one, then finds nothing to delete.
    const { affected } = await em.delete(Customer, { id });
    if (!affected) throw new NotFoundError('Customer', id);
    await this.entitlements.release(em, tenantId, 'customers');
    await recordCustomerEvent(em, 'customer.deleted', customer);
    return customer;
  }

  async get(em: EntityManager, id: string): Promise<Customer> {
    const customer = isUuid(id) ? await em.findOneBy(Customer, { id }) : null;
    if (!customer) throw new NotFoundError('Customer', id);
    return customer;
  }

  /** Keyset page ordered by (createdAt, id), in plain SQL (a hot path); the count is only run when asked for. */
  async list(em: EntityManager, options: CustomerListOptions) {
    const search = options.search?.trim();
    const filter = search
      ? { where: 'name ILIKE $1 OR email ILIKE $1 OR phone ILIKE $1', params: [likePattern(search)] }
      : {};
    const totalCount = options.withTotalCount
      ? Number(
          (
            await em.query(
              `SELECT count(*) AS n FROM customers${search ? ` WHERE ${filter.where}` : ''}`,
              filter.params,
            )
          )[0].n,
        )
      : 0;
    const rows = await readKeysetPage(em, Customer, 'customers', CUSTOMER_COLUMNS, { ...options, ...filter });
    return { ...toConnection(rows, options.first), totalCount };
  }
}
