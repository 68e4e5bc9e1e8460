import { FieldResolver, Resolver, Root, type ClassType } from 'type-graphql';
import { canRead, Policy } from '../../core/authorization';
import type { BatchLoad, OperationScope } from '../../core/tenancy/operation-scope';
import { OperationTenant } from '../../core/tenancy/tenant-request';
import { Customer, customerById } from '../customers';
import { Quote } from './quote.entity';
import type { QuoteCopy } from './quote-copy';

/**
 * `customer` and `quote` of a document copied from a quote (Contract, Invoice), batched; each with
 * the related resource's read rule, so a key without it gets null and FORBIDDEN at that path.
 */
export function QuoteCopyRelationsResolver<T extends QuoteCopy>(copyType: ClassType<T>) {
  @Resolver(() => copyType)
  class QuoteCopyRelations {
    constructor(private readonly quoteById: BatchLoad<string, Quote | null>) {}

    @Policy(canRead('customers'))
    @FieldResolver(() => Customer, { nullable: true, description: 'FORBIDDEN (and null) without customers:read' })
    customer(@Root() copy: T, @OperationTenant() scope: OperationScope): Promise<Customer | null> {
      return scope.load(customerById, copy.customerId);
    }

    @Policy(canRead('quotes'))
    @FieldResolver(() => Quote, {
      nullable: true,
      description: 'The accepted quote it was made from; FORBIDDEN (and null) without quotes:read',
    })
    quote(@Root() copy: T, @OperationTenant() scope: OperationScope): Promise<Quote | null> {
      return scope.load(this.quoteById, copy.quoteId);
    }
  }
  return QuoteCopyRelations;
}
