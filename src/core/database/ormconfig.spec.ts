import { spawn } from 'node:child_process';
import path from 'node:path';
import type { CliRun } from '../../../test/support/run-cli';
import { createTestDatabase, type TestDatabase } from '../../../test/support/test-database';
import { loadMigrations, migrationDirs } from './migration-set';

const ROOT = path.resolve(__dirname, '../../..');

/** Exactly the documented command, in a child process. */
function typeormShow(databaseUrl: string): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['typeorm-ts-node-commonjs', '-d', 'ormconfig.ts', 'migration:show'], {
      cwd: ROOT,
      // CI=true makes the CLI colour its output unless told not to.
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        TS_NODE_TRANSPILE_ONLY: 'true',
        FORCE_COLOR: '0',
        NO_COLOR: '1',
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

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
