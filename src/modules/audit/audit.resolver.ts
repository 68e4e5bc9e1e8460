import { Args, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import type { EntityManager } from 'typeorm';
import { canRead, hasRole, MemberRole, Policy, type AccessRule } from '../../core/authorization';
import type { OperationScope } from '../../core/tenancy/operation-scope';
import { CurrentTenant, OperationTenant, TenantManager } from '../../core/tenancy/tenant-request';
import type { ScopedTenant } from '../../core/tenancy/tenant-scope';
import { actorLabel } from './audit-actor.loader';
import type { AuditService } from './audit.service';
import { AuditActor, AuditEntryConnection, AuditLogArgs } from './audit.types';

const readAudit = canRead('audit');
const admins = hasRole(MemberRole.ADMIN);

/** People from ADMIN up; API keys with the `audit:read` scope (not any reader: the log names people and changes). */
const auditReaders: AccessRule = {
  name: 'audit:read|ADMIN',
  needsOrganization: true,
  apiKeyScopes: readAudit.apiKeyScopes,
  decide: (principal, role) => (principal.kind === 'api-key' ? readAudit : admins).decide(principal, role),
};

@Resolver()
export class AuditLogResolver {
  constructor(private readonly audit: AuditService) {}

  @Policy(auditReaders)
  @Query(() => AuditEntryConnection, {
    description: "The organization's audit log, newest first: who did what, when, to which record (ADMIN+, audit:read)",
  })
  auditLog(
    @TenantManager() em: EntityManager,
    @CurrentTenant() tenant: ScopedTenant,
    @Args() args: AuditLogArgs,
  ): Promise<AuditEntryConnection> {
    return this.audit.list(em, tenant.id, args);
  }
}

@Resolver(() => AuditActor)
export class AuditActorResolver {
  @FieldResolver(() => String, {
    nullable: true,
    description: "The user's email or the API key's name, when known",
  })
  label(@Root() actor: AuditActor, @OperationTenant() scope: OperationScope): Promise<string | null> {
    return actor.id ? scope.load(actorLabel, actor) : Promise.resolve(null);
  }
}
