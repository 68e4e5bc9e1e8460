import { canRead, canWrite, Policy } from '../../core/authorization';
import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Ctx, ID, Info, Mutation, Query, Resolver } from 'type-graphql';
import type { EntityManager } from 'typeorm';
import { selectsField } from '../../core/graphql/selection';
import { actorLabel } from '../../core/http/actor-label';
import type { RequestContext } from '../../core/http/request-context';
import type { ScopedTenant } from '../../core/tenancy/tenant-scope';
import { CurrentTenant, TenantManager } from '../../core/tenancy/tenant-request';
import { Quote } from '../quotes';
import { Contract } from './contract.entity';
import { ContractConnection, ContractsArgs, ContractTermsInput } from './contract.inputs';
import type { ContractService } from './contract.service';

@Resolver(() => Contract)
export class ContractResolver {
  constructor(private readonly contractService: ContractService) {}

  @Policy(canRead('contracts'))
  @Query(() => Contract)
  contract(@TenantManager() em: EntityManager, @Arg('id', () => ID) id: string): Promise<Contract> {
    return this.contractService.get(em, id);
  }

  @Policy(canRead('contracts'))
  @Query(() => ContractConnection)
  contracts(
    @TenantManager() em: EntityManager,
    @Args() args: ContractsArgs,
    @Info() info: GraphQLResolveInfo,
  ): Promise<ContractConnection> {
    return this.contractService.list(em, { ...args, withTotalCount: selectsField(info, 'totalCount') });
  }

  @Policy(canWrite('contracts'))
  @Mutation(() => Contract, {
    description:
      "A DRAFT contract with a copy of the quote's lines; CONFLICT unless the quote is ACCEPTED and has no contract yet",
  })
  generateContractFromQuote(
    @TenantManager() em: EntityManager,
    @Arg('quoteId', () => ID) quoteId: string,
    @Arg('terms', () => ContractTermsInput, { nullable: true }) terms: ContractTermsInput | null,
  ): Promise<Contract> {
    return this.contractService.generateFromQuote(em, quoteId, terms ?? undefined);
  }

  @Policy(canWrite('contracts'))
  @Mutation(() => Contract, { description: 'DRAFT → ACTIVE; CONFLICT otherwise' })
  activateContract(@TenantManager() em: EntityManager, @Arg('id', () => ID) id: string): Promise<Contract> {
    return this.contractService.activate(em, id);
  }

  @Policy(canWrite('contracts'))
  @Mutation(() => Contract, { description: 'DRAFT or ACTIVE → TERMINATED; CONFLICT otherwise' })
  terminateContract(
    @TenantManager() em: EntityManager,
    @Arg('id', () => ID) id: string,
    @Arg('reason') reason: string,
  ): Promise<Contract> {
    return this.contractService.terminate(em, id, reason);
  }

  @Policy(canWrite('contracts'))
  @Mutation(() => Quote, {
    description: "Renewal: a new DRAFT quote with the contract's lines and prices; once per ACTIVE or EXPIRED contract",
  })
  generateQuoteFromContract(
    @TenantManager() em: EntityManager,
    @CurrentTenant() tenant: ScopedTenant,
    @Ctx() ctx: RequestContext,
    @Arg('contractId', () => ID) contractId: string,
  ): Promise<Quote> {
    return this.contractService.renew(em, { tenantId: tenant.id, author: actorLabel(ctx.principal) }, contractId);
  }
}
