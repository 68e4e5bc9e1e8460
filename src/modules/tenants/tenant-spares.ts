import { randomBytes } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { rawWrite } from '../../core/database/raw-write';
import { quoteIdentifier } from '../../core/tenancy/tenant-schema';
import type { TenantMigrator } from './tenant-migrator';

/** Not `tenant_…`: nothing that looks for tenants' schemas takes a spare for one (or for an orphan). */
const SPARE_PREFIX = 'spare_';

export interface SpareRefill {
  /** Spares of another schema version (from before a deploy), dropped. */
  dropped: number;
  created: number;
  ready: number;
}

/**
 * Spare tenant schemas with every tenant table, created ahead by a job so that createTenant does not: at 10,000
 * tenants creating a schema's ~115 files is most of what provisioning costs (docs/scale.md). createTenant takes
 * the oldest spare of the code's schema version and renames it; object ids stay, so the catalog is the one the
 * migrations make (tenant-provisioning.spec.ts compares). With none ready it creates the tables itself, as before.
 */
export class TenantSpares {
  constructor(
    private readonly dataSource: DataSource,
    private readonly migrator: TenantMigrator,
    /** TENANT_SPARE_SCHEMAS: how many the job keeps ready. */
    private readonly target: number,
  ) {}

  /**
   * In the provisioning transaction: renames a ready spare to `schema`. A rollback puts it back; a concurrent
   * provisioning takes another (SKIP LOCKED). False when none of this code's version is ready.
   */
  async claim(em: EntityManager, schema: string): Promise<boolean> {
    const {
      rows: [spare],
    } = await rawWrite<{ schema_name: string }>(
      em,
      `DELETE FROM public.tenant_schema_spares WHERE schema_name = (
         SELECT schema_name FROM public.tenant_schema_spares WHERE schema_version = $1
          ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
       RETURNING schema_name`,
      [this.migrator.latestVersion],
    );
    if (!spare) return false;
    await em.query(`ALTER SCHEMA ${quoteIdentifier(spare.schema_name)} RENAME TO ${quoteIdentifier(schema)}`);
    return true;
  }

  /**
   * The job's run: drops spares of another schema version, then creates spares up to `target`, one transaction
   * each (a stopped run leaves only whole spares).
   */
  async refill(target = this.target): Promise<SpareRefill> {
    let dropped = 0;
    while (await this.dropOneStale()) dropped++;
    const [{ ready }]: { ready: number }[] = await this.dataSource.query(
      'SELECT count(*)::int AS ready FROM public.tenant_schema_spares',
    );
    let created = 0;
    for (let n = ready; n < target; n++, created++) await this.createOne();
    return { dropped, created, ready: ready + created };
  }

  private dropOneStale(): Promise<boolean> {
    return this.dataSource.transaction(async (em) => {
      const {
        rows: [stale],
      } = await rawWrite<{ schema_name: string }>(
        em,
        `DELETE FROM public.tenant_schema_spares WHERE schema_name = (
           SELECT schema_name FROM public.tenant_schema_spares WHERE schema_version IS DISTINCT FROM $1
            LIMIT 1 FOR UPDATE SKIP LOCKED)
         RETURNING schema_name`,
        [this.migrator.latestVersion],
      );
      if (stale) await em.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(stale.schema_name)} CASCADE`);
      return Boolean(stale);
    });
  }

  private async createOne(): Promise<void> {
    const schema = `${SPARE_PREFIX}${randomBytes(8).toString('hex')}`;
    await this.dataSource.transaction(async (em) => {
      await em.query(`CREATE SCHEMA ${quoteIdentifier(schema)}`);
      await em.query(`SELECT set_config('search_path', $1, true)`, [quoteIdentifier(schema)]);
      await this.migrator.createTables(em.queryRunner!, schema);
      await em.query('INSERT INTO public.tenant_schema_spares (schema_name, schema_version) VALUES ($1, $2)', [
        schema,
        this.migrator.latestVersion,
      ]);
    });
  }
}
