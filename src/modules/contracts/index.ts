export { Contract, ContractLineItem } from './contract.entity';
export { ContractStatus } from './contract-status';
export { ContractService } from './contract.service';
export { ContractResolver } from './contract.resolver';
export { ContractRelationsResolver, QuoteContractResolver } from './quote-contract.resolver';
export { CustomerContractsResolver } from './customer-contracts.resolver';
