import { randomUUID } from 'node:crypto';
import { Between, In, type DataSource, type EntityManager } from 'typeorm';
import { citusVersion, distributeSchema } from '../../core/database/citus';
import { AppError, BadUserInputError, ConflictError, InternalError, NotFoundError } from '../../core/errors/app-error';
import {
  assertTenantSchema,
  isUuid,
  SLUG_MAX_LENGTH,
  SLUG_PATTERN,
  tenantSchemaFor,
} from '../../core/tenancy/tenant-schema';
import type { TenantStatus as TenantStatusValue } from '../../core/tenancy/tenant-scope';
import { dumpTenantSchema } from './tenant-backup';
import { Tenant } from './tenant.entity';
import type { TenantMigrator } from './tenant-migrator';
import type { TenantSpares } from './tenant-spares';

/** Slugs that would be confusing as organization names or collide with routes. */
const RESERVED_SLUGS = new Set([
  'admin',
  'api',
  'app',
  'graphql',
  'health',
  'metrics',
  'public',
  'ready',
  'root',
  'system',
  'www',
]);

export interface TenantServiceOptions {
  databaseUrl: string;
  backupDir: string;
  pgDumpPath: string;
  /**
   * Runs in the provisioning transaction once the tenant's row and tables exist (the plans module starts its trial).
   */
  onProvisioned?: (em: EntityManager, tenantId: string, input: ProvisionInput) => Promise<void>;
  /** Ready-made schemas to rename instead of creating the tables while the caller waits. */
  spares?: Pick<TenantSpares, 'claim'>;
}

export interface ProvisionInput {
  name: string;
  slug: string;
  /** Start on this plan, paid up (platform admin); otherwise the trial. */
  plan?: string;
  /** The identity provider organization the tenant mirrors: both or neither. */
  externalOrganizationId?: string;
  externalProvider?: string;
}

/** The tenant registry and the lifecycle of tenant schemas. Platform-level: works on `public`. */
export class TenantService {
  /** Looked up once per process: a database does not become a Citus coordinator under a running server. */
  private citus?: Promise<boolean>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly migrator: TenantMigrator,
    private readonly options: TenantServiceOptions,
  ) {}

  /**
   * Creates the row, the schema and every tenant table in ONE transaction (or renames a spare schema that has them):
   * on any failure nothing remains (no row, no schema, no table; a spare stays a spare) and a retry starts clean.
   * Pass `manager` to provision inside a caller's transaction (sign-up); its
   * `search_path` is restored afterwards.
   */
  async provision(input: ProvisionInput, manager?: EntityManager): Promise<Tenant> {
    // The GraphQL input validates too; other callers (sign-up, scripts) must not put an odd slug in URLs and headers.
    if (input.slug.length > SLUG_MAX_LENGTH || !SLUG_PATTERN.test(input.slug)) {
      throw new BadUserInputError('slug must be lowercase letters, digits and single hyphens', {
        field: 'slug',
        reason: 'INVALID_SLUG',
      });
    }
    if (RESERVED_SLUGS.has(input.slug))
      throw new ConflictError(`The slug "${input.slug}" is reserved`, { field: 'slug' });
    const id = randomUUID();
    const schema = assertTenantSchema(tenantSchemaFor(id));
    const work = async (em: EntityManager) => {
      // Inserted ACTIVE: until commit nobody sees the row, and a failure removes it with everything else.
      // A taken slug fails here, on the unique constraint, before any schema work.
      await em.insert(Tenant, {
        id,
        slug: input.slug,
        name: input.name.trim(),
        schemaName: schema,
        status: 'ACTIVE',
        plan: input.plan ?? 'FREE',
        externalOrganizationId: input.externalOrganizationId ?? null,
        externalProvider: input.externalOrganizationId ? (input.externalProvider ?? null) : null,
      });
      if (!(await this.options.spares?.claim(em, schema))) {
        await em.query(`CREATE SCHEMA "${schema}"`);
        const [{ previous }]: { previous: string }[] = await em.query(
          `SELECT current_setting('search_path') AS previous, set_config('search_path', $1, true)`,
          [`"${schema}"`],
        );
        await this.migrator.createTables(em.queryRunner!, schema, id);
        await em.query(`SELECT set_config('search_path', $1, true)`, [previous]);
      }
      await this.migrator.recordProvisioned(em.queryRunner!, id);
      // On a Citus coordinator the new schema goes to a worker with its tables (docs/citus.md; untested here).
      this.citus ??= citusVersion(this.dataSource).then(
        (version) => version !== null,
        (error: unknown) => {
          this.citus = undefined; // asked again next time
          throw error;
        },
      );
      if (await this.citus) await distributeSchema(em, schema);
      await this.options.onProvisioned?.(em, id, input);
      return em.findOneByOrFail(Tenant, { id });
    };
    try {
      return manager ? await manager.transaction(work) : await this.dataSource.transaction(work);
    } catch (error) {
      const constraint = (error as { driverError?: { constraint?: string } }).driverError?.constraint;
      if (constraint === 'tenants_slug_key') {
        throw new ConflictError(`The slug "${input.slug}" is already taken`, { field: 'slug' });
      }
      if (constraint === 'tenants_external_organization_key') {
        throw new ConflictError('Another organization already mirrors this external organization', {
          field: 'externalOrganizationId',
          reason: 'EXTERNAL_ORGANIZATION_TAKEN',
        });
      }
      if (error instanceof AppError) throw error;
      throw new InternalError(
        'Tenant provisioning failed; nothing was created. Retry later.',
        { reason: 'PROVISIONING_FAILED' },
        error,
      );
    }
  }

  /** Oldest first; `created`: only those created in that window (read in SQL: at 10,000 tenants, not all of them). */
  list(status?: TenantStatusValue, created?: { after: Date; before: Date }): Promise<Tenant[]> {
    return this.dataSource.getRepository(Tenant).find({
      where: {
        ...(status ? { status } : {}),
        ...(created ? { createdAt: Between(created.after, created.before) } : {}),
      },
      order: { createdAt: 'ASC' },
    });
  }

  async get(id: string, manager: EntityManager = this.dataSource.manager): Promise<Tenant> {
    const tenant = isUuid(id) ? await manager.findOneBy(Tenant, { id }) : null;
    if (!tenant) throw new NotFoundError('Organization', id);
    return tenant;
  }

  /** The tenant mirroring a provider's organization, if any. */
  findExternal(provider: string, organizationId: string, manager = this.dataSource.manager): Promise<Tenant | null> {
    return manager.findOneBy(Tenant, { externalProvider: provider, externalOrganizationId: organizationId });
  }

  async rename(id: string, name: string, manager = this.dataSource.manager): Promise<void> {
    await manager.update(Tenant, { id }, { name: name.trim().slice(0, 200) || name });
  }

  suspend(id: string, reason?: string): Promise<Tenant> {
    return this.transition(id, ['ACTIVE'], 'SUSPENDED', reason ?? null);
  }

  activate(id: string): Promise<Tenant> {
    return this.transition(id, ['SUSPENDED', 'ARCHIVED'], 'ACTIVE', null);
  }

  /** Archived tenants keep their schema and data but serve no requests. `manager`: in the caller's transaction. */
  archive(id: string, reason?: string, manager = this.dataSource.manager): Promise<Tenant> {
    return this.transition(id, ['ACTIVE', 'SUSPENDED'], 'ARCHIVED', reason ?? null, manager);
  }

  /**
   * Drops the schema and the row together. With `backup`, the schema is dumped
   * first and nothing is dropped unless the dump succeeded.
   */
  async delete(id: string, backup: boolean): Promise<{ deleted: boolean; backupPath: string | null }> {
    const tenant = await this.get(id);
    let backupPath: string | null = null;
    if (backup) {
      try {
        backupPath = await dumpTenantSchema(
          this.options.pgDumpPath,
          this.options.databaseUrl,
          tenant.schemaName,
          this.options.backupDir,
        );
      } catch (error) {
        throw new InternalError(
          'Backup with pg_dump failed; the tenant was not deleted',
          { reason: 'BACKUP_FAILED' },
          error,
        );
      }
    }
    await this.dataSource.transaction(async (em) => {
      await em.query(`DROP SCHEMA IF EXISTS "${assertTenantSchema(tenant.schemaName)}" CASCADE`);
      // A concurrent delete of the same tenant waits for this one, then finds nothing: it rolls back.
      const { affected } = await em.delete(Tenant, { id: tenant.id });
      if (!affected) throw new NotFoundError('Organization', id);
    });
    return { deleted: true, backupPath };
  }

  private async transition(
    id: string,
    from: TenantStatusValue[],
    to: TenantStatusValue,
    reason: string | null,
    manager = this.dataSource.manager,
  ): Promise<Tenant> {
    const tenant = await this.get(id, manager);
    // Conditional update: a concurrent transition cannot be overwritten.
    const { affected } = await manager.update(Tenant, { id, status: In(from) }, { status: to, statusReason: reason });
    if (!affected) {
      const current = await this.get(id, manager);
      throw new ConflictError(`Cannot change an organization from ${current.status} to ${to}`, {
        status: current.status,
      });
    }
    return { ...tenant, status: to, statusReason: reason, updatedAt: new Date() };
  }
}
