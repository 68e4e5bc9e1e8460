import type { DataSource, EntityManager } from 'typeorm';
import { BadUserInputError, ConflictError, InternalError } from '../../core/errors/app-error';
import type { ScopedTenant } from '../../core/tenancy/tenant-scope';
import { slugCandidates } from '../auth';
import type { MembershipService } from '../memberships';
import type { CreateTenantInput, Tenant, TenantService } from '../tenants';
import type { MemberRole } from '../users';

const SLUG_RETRIES = 5;

export interface ExternalTenantsDependencies {
  dataSource: DataSource;
  tenants: TenantService;
  memberships: Pick<MembershipService, 'addFirstOwner' | 'setProviderRole'>;
  /** Issuer of the primary provider (OIDC_ISSUER_URL): the one `externalOrganizationId` and Clerk webhooks name. */
  primaryProvider?: string;
}

/** A provider's organization as its token claims or webhooks describe it. */
export interface ExternalOrganization {
  id: string;
  name?: string;
  slug?: string;
}

const scopeOf = (tenant: Tenant): ScopedTenant => ({
  id: tenant.id,
  slug: tenant.slug,
  status: tenant.status,
  schema: tenant.schemaName,
});

/**
 * Tenants that mirror identity-provider organizations: provisioning by a platform admin (with its first
 * OWNER), on first use or from a webhook, and the memberships the provider announced before the tenant or
 * the user existed (`public.external_memberships`), applied as soon as both do.
 */
export class ExternalTenants {
  constructor(private readonly deps: ExternalTenantsDependencies) {}

  get primaryProvider(): string | undefined {
    return this.deps.primaryProvider;
  }

  /** `createTenant` by a platform admin: the tenant, its plan and its first OWNER in one transaction. */
  createForAdmin(input: CreateTenantInput): Promise<Tenant> {
    const externalProvider = this.deps.primaryProvider;
    if (input.externalOrganizationId && !externalProvider) {
      throw new BadUserInputError('externalOrganizationId needs an identity provider (OIDC_ISSUER_URL)', {
        field: 'externalOrganizationId',
        reason: 'OIDC_NOT_CONFIGURED',
      });
    }
    return this.deps.dataSource.transaction(async (em) => {
      const tenant = await this.deps.tenants.provision({ ...input, externalProvider }, em);
      if (input.ownerEmail) await this.deps.memberships.addFirstOwner(em, scopeOf(tenant), input.ownerEmail);
      if (input.externalOrganizationId) await this.applyAnnounced(em, externalProvider!, { organization: tenant });
      return tenant;
    });
  }

  /**
   * The tenant of a provider organization, provisioned now if it has none (slug from the organization's, with a
   * suffix when taken). Two first uses at once: the second waits on the unique index, then finds the first's.
   */
  async provisionOrganization(
    em: EntityManager,
    provider: string,
    organization: ExternalOrganization,
  ): Promise<Tenant> {
    const existing = await this.deps.tenants.findExternal(provider, organization.id, em);
    if (existing) return existing;
    const name = organization.name?.trim() || organization.slug || organization.id;
    for (const slug of slugCandidates(organization.slug ?? name, SLUG_RETRIES)) {
      try {
        const input = { name, slug, externalOrganizationId: organization.id, externalProvider: provider };
        const tenant = await this.deps.tenants.provision(input, em);
        await this.applyAnnounced(em, provider, { organization: tenant });
        return tenant;
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
        if (error.details.field === 'externalOrganizationId') {
          const raced = await this.deps.tenants.findExternal(provider, organization.id, em);
          if (raced) return raced;
        }
      }
    }
    throw new InternalError('No free organization slug found; retry', { reason: 'PROVISIONING_FAILED' });
  }

  /**
   * Records an organization event of the provider when it is newer than the last one recorded and the organization
   * was not deleted (a deletion is final); false: the event is stale and must change nothing.
   */
  async recordOrganizationEvent(
    em: EntityManager,
    provider: string,
    organizationId: string,
    at: Date,
    deleted: boolean,
  ): Promise<boolean> {
    const recorded: unknown[] = await em.query(
      `INSERT INTO public.external_organizations AS x (provider, organization_id, deleted_at, event_at)
       VALUES ($1, $2, CASE WHEN $4 THEN $3::timestamptz END, $3)
       ON CONFLICT (provider, organization_id) DO UPDATE
         SET deleted_at = EXCLUDED.deleted_at, event_at = EXCLUDED.event_at
       WHERE x.deleted_at IS NULL AND x.event_at <= EXCLUDED.event_at
       RETURNING 1`,
      [provider, organizationId, at, deleted],
    );
    return recorded.length > 0;
  }

  /** Whether the provider's webhooks said this organization was deleted. */
  async wasDeleted(em: EntityManager, provider: string, organizationId: string): Promise<boolean> {
    const rows: unknown[] = await em.query(
      `SELECT 1 FROM public.external_organizations
        WHERE provider = $1 AND organization_id = $2 AND deleted_at IS NOT NULL`,
      [provider, organizationId],
    );
    return rows.length > 0;
  }

  /** Memberships the provider announced (and did not remove) whose user and tenant now both exist. */
  async applyAnnounced(
    em: EntityManager,
    provider: string,
    which: { organization: Tenant } | { subject: string },
  ): Promise<void> {
    const [column, value] =
      'subject' in which
        ? ['x.subject', which.subject]
        : ['x.organization_id', which.organization.externalOrganizationId];
    const rows: { tenant_id: string; user_id: string; role: MemberRole }[] = await em.query(
      `SELECT t.id AS tenant_id, i.user_id, x.role FROM public.external_memberships x
         JOIN public.tenants t ON t.external_provider = x.provider AND t.external_organization_id = x.organization_id
         JOIN public.external_identities i ON i.provider = x.provider AND i.subject = x.subject
        WHERE x.provider = $1 AND ${column} = $2 AND x.removed_at IS NULL AND x.role IS NOT NULL`,
      [provider, value],
    );
    for (const row of rows) await this.deps.memberships.setProviderRole(em, row.tenant_id, row.user_id, row.role);
  }
}
