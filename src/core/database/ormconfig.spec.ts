import { runCommand } from '../../../test/support/run-cli';
import { createTestDatabase, type TestDatabase } from '../../../test/support/test-database';
import { loadMigrations, migrationDirs } from './migration-set';

/** Exactly the documented command, in a child process. */
const typeormShow = (databaseUrl: string) =>
  runCommand('npx', ['typeorm-ts-node-commonjs', '-d', 'ormconfig.ts', 'migration:show'], {
    ...process.env,
    DATABASE_URL: databaseUrl,
    TS_NODE_TRANSPILE_ONLY: 'true',
    // CI=true makes the CLI colour its output unless told not to.
    FORCE_COLOR: '0',
    NO_COLOR: '1',
  });

jest.setTimeout(180_000);

describe('ormconfig.ts (the TypeORM CLI data source)', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database.drop());

  it('npx typeorm-ts-node-commonjs -d ormconfig.ts migration:show lists the public migrations as applied', async () => {
    const run = await typeormShow(database.url);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const names = loadMigrations(migrationDirs.public).map((m) => m.name);
    expect(run.stdout.trim().split('\n')).toEqual(names.map((name, i) => `[X] ${i + 1} ${name}`));
  });
});
