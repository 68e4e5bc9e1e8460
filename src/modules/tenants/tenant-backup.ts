import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { assertTenantSchema } from '../../core/tenancy/tenant-schema';

const run = promisify(execFile);

/** `pg_dump -n <schema>` in custom format; restore with `pg_restore -d <url> <file>`. */
export async function dumpTenantSchema(pgDump: string, databaseUrl: string, schema: string, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = path.resolve(dir, `${assertTenantSchema(schema)}-${new Date().toISOString().replace(/[:.]/g, '-')}.dump`);
  await run(pgDump, ['--format=custom', '--no-owner', '--schema', schema, '--file', file, '--dbname', databaseUrl], {
    timeout: 10 * 60_000,
  });
  return file;
}
