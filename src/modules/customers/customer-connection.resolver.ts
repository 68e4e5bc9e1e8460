import type { GraphQLResolveInfo } from 'graphql';
import { Args, FieldResolver, Info, Resolver, Root, type ClassType } from 'type-graphql';
import type { EntityManager } from 'typeorm';
import { canRead, Policy } from '../../core/authorization';
import type { PaginationArgs } from '../../core/graphql/connection';
import { pagedRelation } from '../../core/graphql/relations';
import { selectsField } from '../../core/graphql/selection';
import type { OperationScope } from '../../core/tenancy/operation-scope';
import { OperationTenant } from '../../core/tenancy/tenant-request';
import { Customer } from './customer.entity';

/** One query for the pages of many customers (a service's `pagesForCustomers`). */
export type CustomerPages<A, C> = (
  manager: EntityManager,
  customerIds: string[],
  options: A & { withTotalCount: boolean },
) => Promise<C[]>;

/**
 * A connection field on Customer (Customer.tickets, …) contributed by the module that owns the
 * related data, so customers imports none of them (no module cycle). Arguments are the root list's
 * (validated alike: `first` 1–100, INVALID_CURSOR), the policy is the related resource's read rule,
 * and the pages of every customer in the result come from one batched call.
 */
export function CustomerConnectionResolver<A extends PaginationArgs, C extends object>(field: {
  name: string;
  resource: string;
  connection: ClassType<C>;
  args: ClassType<A>;
}) {
  @Resolver(() => Customer)
  class CustomerConnectionFieldResolver {
    private readonly pages;

    constructor(pagesFor: CustomerPages<A, C>) {
      this.pages = pagedRelation(pagesFor);
    }

    @Policy(canRead(field.resource))
    @FieldResolver(() => field.connection, {
      name: field.name,
      nullable: true,
      description: `The customer's ${field.name}, oldest first; arguments as the root ${field.name} list`,
    })
    // Named as the field: type-graphql pairs a field resolver with its field by method name.
    [field.name](
      @Root() customer: Customer,
      @Args(() => field.args) args: A,
      @Info() info: GraphQLResolveInfo,
      @OperationTenant() scope: OperationScope,
    ): Promise<C> {
      return scope.load(this.pages, {
        parentId: customer.id,
        args: { ...args, withTotalCount: selectsField(info, 'totalCount') },
      });
    }
  }
  return CustomerConnectionFieldResolver;
}
