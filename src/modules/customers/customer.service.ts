import type { EntityManager } from 'typeorm';
import { NotFoundError } from '../../core/errors/app-error';
import { decodeCursor, likePattern, toConnection } from '../../core/graphql/connection';
import { isUuid } from '../../core/tenancy/tenant-schema';
import type { EntitlementService } from '../plans';
import { Customer } from './customer.entity';
import { customerSnapshot, recordCustomerEvent } from './customer.events';
import type { CreateCustomerInput, UpdateCustomerInput } from './customer.inputs';

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
  constructor(private readonly entitlements: Pick<EntitlementService, 'consume' | 'release'>) {}

  async create(em: EntityManager, tenantId: string, input: CreateCustomerInput): Promise<Customer> {
    await this.entitlements.consume(em, tenantId, 'customers');
    const customer = em.create(Customer, {
      name: input.name.trim(),
      email: input.email ?? null,
      phone: input.phone ?? null,
    });
    const saved = await em.save(customer);
    await recordCustomerEvent(em, 'customer.created', saved);
    return saved;
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

  /** Keyset page ordered by (createdAt, id); the count is only run when asked for. */
  async list(em: EntityManager, options: CustomerListOptions) {
    const query = em.createQueryBuilder(Customer, 'c');
    if (options.search?.trim()) {
      query.where('(c.name ILIKE :pattern OR c.email ILIKE :pattern OR c.phone ILIKE :pattern)', {
        pattern: likePattern(options.search.trim()),
      });
    }
    const totalCount = options.withTotalCount ? await query.clone().getCount() : 0;
    if (options.after) {
      const cursor = decodeCursor(options.after);
      query.andWhere('(c.createdAt, c.id) > (:createdAt, :id)', cursor);
    }
    const rows = await query
      .orderBy('c.createdAt', 'ASC')
      .addOrderBy('c.id', 'ASC')
      .limit(options.first + 1)
      .getMany();
    return { ...toConnection(rows, options.first), totalCount };
  }
}
