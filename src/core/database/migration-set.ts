import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { MigrationInterface, QueryRunner } from 'typeorm';

export interface MigrationEntry {
  /** Class name, e.g. `CreateCustomers1732400000000`; what is recorded as applied. */
  name: string;
  timestamp: number;
  migration: MigrationInterface;
}

const FILE_PATTERN = /^(\d{13})-[a-z0-9-]+\.(ts|js)$/;

/** Loads the TypeORM migration classes of one folder, ordered by their timestamp prefix. */
export function loadMigrations(dir: string): MigrationEntry[] {
  return readdirSync(dir)
    .filter((file) => FILE_PATTERN.test(file) && !file.endsWith('.d.ts'))
    .map((file) => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const exported = Object.values(require(path.join(dir, file)) as Record<string, unknown>);
      const Migration = exported.find((value) => typeof value === 'function') as
        (new () => MigrationInterface) | undefined;
      if (!Migration) throw new Error(`Migration file ${file} exports no migration class`);
      return { name: Migration.name, timestamp: Number(FILE_PATTERN.exec(file)![1]), migration: new Migration() };
    })
    .sort((a, b) => a.timestamp - b.timestamp);
}

/** Wraps a runner so every statement a migration sends is also reported (for `migrate:sql`). */
export function recordingRunner(
  runner: QueryRunner,
  record: (sql: string, parameters?: unknown[]) => void,
): QueryRunner {
  return new Proxy(runner, {
    get(target, property, receiver) {
      if (property === 'query') {
        return (sql: string, parameters?: unknown[], ...rest: unknown[]) => {
          record(sql, parameters);
          return (target.query as (...args: unknown[]) => unknown)(sql, parameters, ...rest);
        };
      }
      return Reflect.get(target, property, receiver);
    },
  });
}

export const migrationDirs = {
  public: path.resolve(__dirname, '../../../migrations/public'),
  tenant: path.resolve(__dirname, '../../../migrations/tenant'),
};
