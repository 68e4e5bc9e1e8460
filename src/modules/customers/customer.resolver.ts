import { canRead, canWrite, Policy } from '../../core/authorization';
import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, ID, Info, Mutation, Query, Resolver } from 'type-graphql';
import type { EntityManager } from 'typeorm';
import { selectsField } from '../../core/graphql/selection';
import type { ScopedTenant } from '../../core/tenancy/tenant-scope';
import { CurrentTenant, TenantManager } from '../../core/tenancy/tenant-request';
import { Customer } from './customer.entity';
import { CreateCustomerInput, CustomerConnection, CustomersArgs, UpdateCustomerInput } from './customer.inputs';
import { CustomerService } from './customer.service';

@Resolver(() => Customer)
export class CustomerResolver {
  constructor(private readonly customerService: CustomerService) {}

  @Policy(canRead('customers'))
  @Query(() => Customer)
  customer(@TenantManager() em: EntityManager, @Arg('id', () => ID) id: string): Promise<Customer> {
    return this.customerService.get(em, id);
  }

  @Policy(canRead('customers'))
  @Query(() => CustomerConnection)
  customers(
    @TenantManager() em: EntityManager,
    @Args() args: CustomersArgs,
    @Info() info: GraphQLResolveInfo,
  ): Promise<CustomerConnection> {
    return this.customerService.list(em, { ...args, withTotalCount: selectsField(info, 'totalCount') });
  }

  @Policy(canWrite('customers'))
  @Mutation(() => Customer, { description: "LIMIT_EXCEEDED when the plan's customers limit is reached" })
  createCustomer(
    @TenantManager() em: EntityManager,
    @CurrentTenant() tenant: ScopedTenant,
    @Arg('input') input: CreateCustomerInput,
  ): Promise<Customer> {
    return this.customerService.create(em, tenant.id, input);
  }

  @Policy(canWrite('customers'))
  @Mutation(() => Customer)
  updateCustomer(
    @TenantManager() em: EntityManager,
    @Arg('id', () => ID) id: string,
    @Arg('input') input: UpdateCustomerInput,
  ): Promise<Customer> {
    return this.customerService.update(em, id, input);
  }

  @Policy(canWrite('customers'))
  @Mutation(() => Customer, {
    description: 'Deletes the customer and returns it as it was; frees a slot of the plan limit',
  })
  deleteCustomer(
    @TenantManager() em: EntityManager,
    @CurrentTenant() tenant: ScopedTenant,
    @Arg('id', () => ID) id: string,
  ): Promise<Customer> {
    return this.customerService.delete(em, tenant.id, id);
  }
}
