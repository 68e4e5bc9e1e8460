import { CustomerConnectionResolver } from '../customers';
import { ContractConnection, ContractsArgs } from './contract.inputs';

/** Customer.contracts (ContractService.pagesForCustomers). */
export const CustomerContractsResolver = CustomerConnectionResolver({
  name: 'contracts',
  resource: 'contracts',
  connection: ContractConnection,
  args: ContractsArgs,
});
