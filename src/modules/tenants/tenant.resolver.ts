import { anyOf, inOrganization, platformAdmin, Policy, signedIn } from '../../core/authorization';
import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { ForbiddenError } from '../../core/errors/app-error';
import type { Principal, RequestContext } from '../../core/http/request-context';
import type { ScopedTenant } from '../../core/tenancy/tenant-scope';
import { CurrentTenant, TenantManager } from '../../core/tenancy/tenant-request';
import type { EntityManager } from 'typeorm';
import { Tenant, TenantStatus } from './tenant.entity';
import { CreateTenantInput, DeleteTenantResult } from './tenant.inputs';
import { TenantService, type ProvisionInput } from './tenant.service';

/**
 * Provisions an organization for a signed-in user, who becomes its OWNER. Supplied
 * by the accounts module (it checks the verified email and writes the membership):
 * this module knows nothing of users.
 */
export type UserTenantCreator = (user: Extract<Principal, { kind: 'user' }>, input: ProvisionInput) => Promise<Tenant>;

/** A platform admin's provisioning with its first OWNER (`ownerEmail`), supplied by the identity module. */
export type AdminTenantCreator = (input: CreateTenantInput) => Promise<Tenant>;

const ADMIN_ONLY_FIELDS = ['externalOrganizationId', 'plan', 'ownerEmail'] as const;

@Resolver(() => Tenant)
export class TenantResolver {
  constructor(
    private readonly tenantService: TenantService,
    private readonly createForUser?: UserTenantCreator,
    private readonly createForAdmin?: AdminTenantCreator,
  ) {}

  @Policy(inOrganization)
  @Query(() => Tenant, { description: 'The organization named by X-Organization-ID' })
  tenant(@CurrentTenant() current: ScopedTenant, @TenantManager() manager: EntityManager): Promise<Tenant> {
    return this.tenantService.get(current.id, manager);
  }

  @Policy(platformAdmin)
  @Query(() => [Tenant], { description: 'Platform admin: every organization' })
  tenants(@Arg('status', () => TenantStatus, { nullable: true }) status?: TenantStatus): Promise<Tenant[]> {
    return this.tenantService.list(status);
  }

  @Policy(anyOf(signedIn, platformAdmin))
  @Mutation(() => Tenant, {
    description:
      'Create and provision an organization: platform admin, or a signed-in user with a verified email (who becomes its OWNER)',
  })
  createTenant(@Arg('input') input: CreateTenantInput, @Ctx() { principal }: RequestContext): Promise<Tenant> {
    if (principal.kind === 'platform-admin')
      return this.createForAdmin ? this.createForAdmin(input) : this.tenantService.provision(input);
    const adminField = ADMIN_ONLY_FIELDS.find((field) => input[field] !== undefined && input[field] !== null);
    if (adminField) {
      throw new ForbiddenError(`Only platform administrators set ${adminField}`, {
        reason: 'PLATFORM_ADMIN_REQUIRED',
        field: adminField,
      });
    }
    if (principal.kind === 'user' && this.createForUser) return this.createForUser(principal, input);
    throw new ForbiddenError('Organizations are created by platform administrators and signed-in users', {
      reason: 'USER_REQUIRED',
    });
  }

  @Policy(platformAdmin)
  @Mutation(() => Tenant, { description: 'Platform admin: stop serving an organization (data kept)' })
  suspendTenant(
    @Arg('id', () => ID) id: string,
    @Arg('reason', () => String, { nullable: true }) reason?: string,
  ): Promise<Tenant> {
    return this.tenantService.suspend(id, reason);
  }

  @Policy(platformAdmin)
  @Mutation(() => Tenant, { description: 'Platform admin: serve a suspended or archived organization again' })
  activateTenant(@Arg('id', () => ID) id: string): Promise<Tenant> {
    return this.tenantService.activate(id);
  }

  @Policy(platformAdmin)
  @Mutation(() => Tenant, { description: 'Platform admin: archive an organization (schema kept, no requests served)' })
  archiveTenant(
    @Arg('id', () => ID) id: string,
    @Arg('reason', () => String, { nullable: true }) reason?: string,
  ): Promise<Tenant> {
    return this.tenantService.archive(id, reason);
  }

  @Policy(platformAdmin)
  @Mutation(() => DeleteTenantResult, {
    description: 'Platform admin: drop the schema and the organization; optional pg_dump backup first',
  })
  deleteTenant(
    @Arg('id', () => ID) id: string,
    @Arg('backup', { defaultValue: false }) backup: boolean,
  ): Promise<DeleteTenantResult> {
    return this.tenantService.delete(id, backup);
  }
}
