import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from '../../../test/support/test-database';
import { addColumnWithDefault } from './add-column-with-default';

describe('addColumnWithDefault (real PostgreSQL)', () => {
  let database: TestDatabase;
  let client: Client;

  beforeAll(async () => {
    database = await createTestDatabase();
    client = new Client({ connectionString: database.url });
    await client.connect();
  });
  afterAll(async () => {
    await client.end();
    await database.drop();
  });

  /** Columns, defaults, constraints and rows of `schema.accounts`, as pg_dump would see them. */
  const describeTable = async (schema: string) => {
    const { rows } = await client.query(
      `SELECT (SELECT json_agg(json_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod),
                'notNull', a.attnotnull, 'default', pg_get_expr(d.adbin, d.adrelid)) ORDER BY a.attnum)
                 FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns,
              (SELECT json_agg(json_build_object('name', k.conname, 'def', pg_get_constraintdef(k.oid)) ORDER BY k.conname)
                 FROM pg_constraint k WHERE k.conrelid = c.oid) AS constraints
         FROM pg_class c WHERE c.oid = $1::regclass`,
      [`${schema}.accounts`],
    );
    const data = await client.query(`SELECT * FROM ${schema}.accounts ORDER BY id`);
    return { ...rows[0], rows: data.rows };
  };

  it('leaves the same table as ADD COLUMN … NOT NULL DEFAULT … CHECK, existing rows filled', async () => {
    for (const schema of ['classic', 'split']) {
      await client.query(`CREATE SCHEMA ${schema}; CREATE TABLE ${schema}.accounts (id int PRIMARY KEY)`);
      await client.query(`INSERT INTO ${schema}.accounts VALUES (1), (2)`);
    }
    await client.query(
      'ALTER TABLE classic.accounts ADD COLUMN terms smallint NOT NULL DEFAULT 30 CHECK (terms BETWEEN 0 AND 365)',
    );
    await addColumnWithDefault(client, 'split.accounts', 'terms', {
      type: 'smallint',
      default: '30',
      notNull: true,
      check: 'terms BETWEEN 0 AND 365',
    });
    const [classic, split] = [await describeTable('classic'), await describeTable('split')];
    expect(split).toEqual(classic);
    expect(split.rows).toEqual([
      { id: 1, terms: 30 },
      { id: 2, terms: 30 },
    ]);
    // The constraint is there, under PostgreSQL's own name, and the default applies to new rows.
    await expect(client.query('INSERT INTO split.accounts (id, terms) VALUES (3, 400)')).rejects.toThrow(
      /accounts_terms_check/,
    );
    await client.query('INSERT INTO split.accounts (id) VALUES (4)');
    expect((await client.query('SELECT terms FROM split.accounts WHERE id = 4')).rows).toEqual([{ terms: 30 }]);
  });
});
