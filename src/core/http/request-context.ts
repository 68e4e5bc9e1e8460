import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { ScopedTenant } from '../tenancy/tenant-scope';

/** Who is calling. Accounts and API keys (#3) add their own kinds. */
export type Principal = { kind: 'anonymous' } | { kind: 'platform-admin' };

export interface RequestContext {
  requestId: string;
  principal: Principal;
  /** Raw `X-Organization-ID` header: a tenant id or slug, validated when used. */
  organizationRef?: string;
  logger: Logger;
  dataSource: DataSource;
  /** Throws when the principal may not act for the tenant. */
  authorizeTenant(tenant: ScopedTenant): void | Promise<void>;
}
