import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The identity provider's view of each organization, as its webhooks told it: the time of the newest organization
 * event applied, and when it was deleted. Deliveries may arrive in any order (retries): an event older than the
 * recorded one is stale, and a deleted organization is never provisioned or renamed again.
 */
export class CreateExternalOrganizations1765020000100 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE public.external_organizations (
        provider varchar(255) NOT NULL,
        organization_id varchar(255) NOT NULL,
        deleted_at timestamptz(3),
        event_at timestamptz(3) NOT NULL,
        PRIMARY KEY (provider, organization_id)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE public.external_organizations');
  }
}
