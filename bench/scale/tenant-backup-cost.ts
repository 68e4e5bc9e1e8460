import { chmod, readFile, writeFile } from 'node:fs/promises';
import { backupTenant, dumpTenantSchema } from '../../src/modules/tenants/tenant-backup';
import type { BenchContext } from '../bench-context';
import { timed } from '../report';
import { removeTempFile, tempFile } from './operator-commands';

export interface BackupFigures {
  /** `npm run tenant:backup`'s code (backupTenant), in this process. */
  backupMs: number;
  /** Growth of this process's resident memory during the backup, peak (sampled). */
  backupPeakMb: number;
  /**
   * `pg_dump -n` of the schema (what deleteTenant's backup runs), as a child process; undefined when the installed
   * pg_dump refuses the server's version (the embedded PostgreSQL is newer than the system's client tools).
   */
  dump?: { ms: number; mb: number };
}

const MB = 1024 * 1024;

/** Peak RSS growth while `work` runs, sampled every 10 ms. */
async function peakRssGrowth<T>(work: () => Promise<T>): Promise<{ result: T; mb: number }> {
  const before = process.memoryUsage.rss();
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 10);
  try {
    const result = await work();
    peak = Math.max(peak, process.memoryUsage.rss());
    return { result, mb: (peak - before) / MB };
  } finally {
    clearInterval(sampler);
  }
}

/** pg_dump behind /usr/bin/time: the real dumpTenantSchema runs it, the wrapper records its peak memory. */
async function pgDumpWithPeakMemory(context: BenchContext, schema: string): Promise<{ ms: number; mb: number }> {
  const [wrapper, memory] = [tempFile('.sh'), tempFile('.rss')];
  await writeFile(wrapper, `#!/bin/sh\nexec /usr/bin/time -f %M -o ${memory} ${context.config.pgDumpPath} "$@"\n`);
  await chmod(wrapper, 0o755);
  const dir = tempFile('-dump');
  try {
    const { ms } = await timed(() => dumpTenantSchema(wrapper, context.config.database.url!, schema, dir));
    const kb = Number((await readFile(memory, 'utf8')).trim().split('\n').pop());
    return { ms, mb: kb / 1024 };
  } finally {
    await Promise.all([wrapper, memory].map(removeTempFile));
    await removeTempFile(dir);
  }
}

export async function measureBackup(context: BenchContext, tenant: { slug: string; schemaName: string }) {
  const file = tempFile('.tqbackup');
  try {
    const { result, mb } = await peakRssGrowth(() => timed(() => backupTenant(context.dataSource, tenant.slug, file)));
    const dump = await pgDumpWithPeakMemory(context, tenant.schemaName).catch((error: Error) => {
      if (/server version mismatch/.test(error.message)) return undefined;
      throw error;
    });
    const figures: BackupFigures = { backupMs: result.ms, backupPeakMb: mb, dump };
    return figures;
  } finally {
    await removeTempFile(file);
  }
}
