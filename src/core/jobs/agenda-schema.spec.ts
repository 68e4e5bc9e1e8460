import { PostgresBackend } from '@agendajs/postgres-backend';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { CreateAgendaTables1764000000100 } from '../../../migrations/public/1764000000100-create-agenda-tables';
import { createTestDatabase, type TestDatabase } from '../../../test/support/test-database';

/** Everything of the agenda tables that the database would behave differently without. */
async function describeAgendaSchema(client: Client) {
  const tables = ['agenda_jobs', 'agenda_logs'];
  const query = async (sql: string, params: unknown[] = []) => (await client.query(sql, params)).rows;
  return {
    columns: await query(
      `SELECT table_name, column_name, ordinal_position, data_type, character_maximum_length, column_default, is_nullable
         FROM information_schema.columns WHERE table_schema = 'public' AND table_name = ANY($1) ORDER BY table_name, ordinal_position`,
      [tables],
    ),
    constraints: await query(
      `SELECT conrelid::regclass::text AS table_name, conname, pg_get_constraintdef(oid) AS definition
         FROM pg_constraint WHERE conrelid::regclass::text = ANY($1) ORDER BY 1, 2`,
      [tables],
    ),
    indexes: await query(
      `SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = ANY($1) ORDER BY 1, 2`,
      [tables],
    ),
    triggers: await query(
      `SELECT tgname, pg_get_triggerdef(oid) AS definition FROM pg_trigger WHERE tgrelid = 'public.agenda_jobs'::regclass AND NOT tgisinternal`,
    ),
    functions: await query(
      `SELECT proname, regexp_replace(prosrc, '\\s+', ' ', 'g') AS body FROM pg_proc
        WHERE proname = 'update_agenda_jobs_updated_at' AND pronamespace = 'public'::regnamespace`,
    ),
  };
}

describe('agenda tables migration', () => {
  let database: TestDatabase;
  let client: Client;
  let dataSource: DataSource;
  beforeAll(async () => {
    database = await createTestDatabase(); // public migrations applied, this one included
    client = new Client({ connectionString: database.url });
    await client.connect();
    dataSource = new DataSource({ type: 'postgres', url: database.url });
    await dataSource.initialize();
  });
  afterAll(async () => {
    await client.end();
    await dataSource.destroy();
    await database.drop();
  });

  it("creates exactly what the PostgreSQL backend's ensureSchema creates, and down removes it", async () => {
    const migrated = await describeAgendaSchema(client);
    expect(migrated.columns.length).toBeGreaterThan(30);
    expect(migrated.triggers).toHaveLength(1);
    expect(migrated.functions).toHaveLength(1);

    const runner = dataSource.createQueryRunner();
    await new CreateAgendaTables1764000000100().down(runner);
    await runner.release();
    const [{ left }] = (
      await client.query(
        `SELECT to_regclass('public.agenda_jobs') IS NOT NULL OR to_regclass('public.agenda_logs') IS NOT NULL AS left`,
      )
    ).rows;
    expect(left).toBe(false);

    const backend = new PostgresBackend({ connectionString: database.url, ensureSchema: true });
    await backend.connect(); // creates the jobs table, then the log table
    await backend.disconnect();
    expect(await describeAgendaSchema(client)).toEqual(migrated);
  });
});
