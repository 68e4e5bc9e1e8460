import { FieldResolver, Resolver, Root } from 'type-graphql';
import { canRead, Policy } from '../../core/authorization';
import { defineBatchLoad, type BatchLoad, type OperationScope } from '../../core/tenancy/operation-scope';
import { OperationTenant } from '../../core/tenancy/tenant-request';
import { Quote, QuoteCopyRelationsResolver } from '../quotes';
import { Contract } from './contract.entity';
import type { ContractService } from './contract.service';

/** Contract.customer and Contract.quote. */
export const ContractRelationsResolver = QuoteCopyRelationsResolver(Contract);

/** Quote.contract: the contracts module extends Quote (quotes does not know contracts: no import cycle). */
@Resolver(() => Quote)
export class QuoteContractResolver {
  private readonly newestOf: BatchLoad<string, Contract | null>;

  constructor(contracts: ContractService) {
    this.newestOf = defineBatchLoad(({ manager }, quoteIds) => contracts.forQuotes(manager, quoteIds));
  }

  @Policy(canRead('contracts'))
  @FieldResolver(() => Contract, {
    nullable: true,
    description: 'The newest contract made from the quote; null for none',
  })
  contract(@Root() quote: Quote, @OperationTenant() scope: OperationScope): Promise<Contract | null> {
    return scope.load(this.newestOf, quote.id);
  }
}
