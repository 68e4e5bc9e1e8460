import { ApiKey } from '../modules/api-keys';
import { Customer } from '../modules/customers';
import { Invitation } from '../modules/memberships';
import { PaymentTransaction } from '../modules/payments';
import { Subscription } from '../modules/plans';
import { TenantSettings } from '../modules/settings';
import { Tenant } from '../modules/tenants';
import { Membership, User } from '../modules/users';

/** Every TypeORM entity: `public` ones declare their schema, tenant ones do not. */
export const entities = [Tenant, Customer, User, Membership, Invitation, ApiKey, TenantSettings, Subscription, PaymentTransaction];
