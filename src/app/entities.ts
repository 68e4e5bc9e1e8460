import { Customer } from '../modules/customers';
import { Tenant } from '../modules/tenants';

/** Every TypeORM entity: `public` ones declare their schema, tenant ones do not. */
export const entities = [Tenant, Customer];
