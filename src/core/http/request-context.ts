import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { OperationScope } from '../tenancy/operation-scope';
import type { ScopedTenant } from '../tenancy/tenant-scope';

/** Who is calling, as established once per request from its headers. */
export type Principal =
  | { kind: 'anonymous' }
  | { kind: 'platform-admin' }
  | { kind: 'user'; userId: string; emailVerified: boolean; sessionFamilyId?: string }
  | { kind: 'api-key'; apiKeyId: string; tenantId: string; scopes: string[] };

export interface RequestContext {
  requestId: string;
  principal: Principal;
  /** Raw `X-Organization-ID` header: a tenant id or slug, validated when used. */
  organizationRef?: string;
  /** Where the request came from: `ip` honours X-Forwarded-For only from proxies TRUST_PROXY names. */
  client: { ip: string; userAgent?: string };
  logger: Logger;
  dataSource: DataSource;
  /** Throws when the principal may not act for the tenant. Runs inside the tenant transaction. */
  authorizeTenant(tenant: ScopedTenant): void | Promise<void>;
  /** The operation's organization scope: opened by the first field whose policy needs it, closed by its plugin. */
  tenantScope: OperationScope;
}
