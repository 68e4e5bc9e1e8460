import { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '../../../test/support/test-database';
import { rawWrite } from './raw-write';

describe('rawWrite (TypeORM on real PostgreSQL)', () => {
  let database: TestDatabase;
  let db: DataSource;
  beforeAll(async () => {
    database = await createTestDatabase();
    db = await new DataSource({ type: 'postgres', url: database.url }).initialize();
    await db.query('CREATE TABLE things (id int PRIMARY KEY, name text)');
  });
  afterAll(async () => {
    await db.destroy();
    await database.drop();
  });

  it('answers the rows and the count an UPDATE or DELETE changed, also when it changed none', async () => {
    await db.query("INSERT INTO things VALUES (1, 'a'), (2, 'b')");
    // What the mistake read: a bare UPDATE that matched nothing still answers an array of length 2.
    const none = "UPDATE things SET name = 'x' WHERE id = 99 RETURNING id";
    expect(await db.query(none)).toHaveLength(2);
    expect(await rawWrite(db, none)).toEqual({ rows: [], affected: 0 });
    expect(await rawWrite(db, "UPDATE things SET name = 'x' WHERE id >= $1 RETURNING id", [1])).toEqual({
      rows: [{ id: 1 }, { id: 2 }],
      affected: 2,
    });
    expect(await rawWrite(db, 'DELETE FROM things WHERE id = $1', [2])).toEqual({ rows: [], affected: 1 });
  });

  it('refuses statements that answer plain rows', async () => {
    await expect(rawWrite(db, 'SELECT 1 AS a, 2 AS b')).rejects.toThrow('bare UPDATE or DELETE');
    const insert = "INSERT INTO things VALUES (3, 'c') RETURNING id";
    await expect(rawWrite(db, insert)).rejects.toThrow('bare UPDATE or DELETE');
  });
});
