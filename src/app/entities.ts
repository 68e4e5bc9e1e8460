import { Customer } from '../modules/customers';
import { Tenant } from '../modules/tenants';
import { Membership, User } from '../modules/users';

/** Every TypeORM entity: `public` ones declare their schema, tenant ones do not. */
export const entities = [Tenant, Customer, User, Membership];
