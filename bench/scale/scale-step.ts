import type { JobDefinition } from '../../src/core/jobs/job-definition';
import { SLA_CHECK_JOB } from '../../src/jobs/sla-check.job';
import type { BenchContext } from '../bench-context';
import type { HttpLoadFigures } from '../http-load';
import { formatCount, formatMs } from '../report';
import { largestBackendMb, visitEveryTenant } from './backend-memory';
import { catalogDeadRows, locksToDropSchema, measureFootprint, wholeDumpLocks } from './footprint';
import { doctor, migrateColumn, migrateCommand, type CommandFigures } from './operator-commands';
import type { ScaleOptions } from './scale-options';
import type { ScaleServer } from './scale-server';
import type { ScaleTable } from './scale-table';
import { measureSweeps, sweepLoop, type SweepFigures } from './sweeps';
import { measureBackup } from './tenant-backup-cost';
import { growTo, type CreateFigures } from './tenant-growth';
import { readLoad, readTargets } from './tenant-reads';

/** The worker process's side: its own pool (named, to find its backends) and the job definitions on it. */
export interface Worker {
  applicationName: string;
  definitions: JobDefinition[];
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const mbValue = (value: number | undefined) => (value === undefined ? 'n/a' : `${value.toFixed(1)} MB`);
const read = (f: HttpLoadFigures) =>
  `${formatCount(f.requestsPerSecond)} req/s, p99 ${formatMs(f.p99)}${f.failures ? `, ${f.failures} FAILED` : ''}`;
const command = (f: CommandFigures) => `${formatMs(f.ms)}${f.failed ? ' FAILED' : ''}`;

const totalOf = (sweeps: SweepFigures[]) =>
  sweeps.reduce((sum, s) => ({ ms: sum.ms + s.ms, visits: sum.visits + s.schemasVisited }), { ms: 0, visits: 0 });

/** Grows to `step` tenants and measures every row of the issue's table there. */
export async function measureStep(
  context: BenchContext,
  server: ScaleServer,
  worker: Worker,
  scale: ScaleOptions,
  step: number,
  table: ScaleTable,
): Promise<void> {
  const { print } = context;
  const growth = await growTo(context, server, step, scale.createSamples, scale.fillConcurrency);
  const created = (f: CreateFigures) =>
    `p95 ${formatMs(f.p95)}, ${f.perSecond.toFixed(1)}/s, p50 ${formatMs(f.p50)} (n=${f.samples})`;
  table.set(
    'createTenant via API, conc. 4, spares ready: p95',
    step,
    created(growth.fromSpares),
    growth.fromSpares.p95,
  );
  table.set('same, no spare ready: p95', step, created(growth.withoutSpares), growth.withoutSpares.p95);

  const size = await measureFootprint(context.dataSource);
  table.set('database size', step, `${mb(size.databaseBytes)} (catalog ${mb(size.catalogBytes)})`, size.databaseBytes);
  table.set('pg_class rows', step, formatCount(size.pgClassRows), size.pgClassRows);
  table.set(`files (${size.filesCounted})`, step, formatCount(size.files), size.files);

  const targets = await readTargets(context);
  const one = await readLoad(context, server, 'one tenant', [targets.one]);
  table.set('customers(first:10), one tenant, 20 conns: p99', step, read(one), one.p99);
  const random = await readLoad(context, server, `${targets.random.length} random tenants`, targets.random);
  table.set('same, cycling 200 random tenants (all, at 20): p99', step, read(random), random.p99);
  // A new organization has no due row yet, so the first sweep round after the fill visits each new one once (in a
  // deployment, once per organization as it is created): measured on its own, so the loop below is the steady state.
  const catchUp = totalOf(await measureSweeps(worker.definitions, context.logger));
  table.set(
    'first sweep round after the fill (new tenants once): time, schemas',
    step,
    `${formatMs(catchUp.ms)}, ${formatCount(catchUp.visits)} schemas`,
    catchUp.ms,
  );
  const loop = sweepLoop(worker.definitions, context.logger);
  const during = await readLoad(context, server, 'random tenants while every sweep runs in a loop', targets.random);
  const rounds = await loop.stop();
  table.set('same, while all sweeps run in a loop: p99', step, `${read(during)}, ${rounds} sweep rounds`, during.p99);

  print('  each scheduled job once, alone');
  const sweeps = await measureSweeps(worker.definitions, context.logger);
  for (const s of sweeps.filter((x) => x.schemasVisited || x.error || x.ms >= 50)) {
    print(
      `    ${s.name}: ${formatMs(s.ms)}, ${formatCount(s.schemasVisited)} schemas${s.error ? `, ERROR ${s.error}` : ''}`,
    );
  }
  const sla = sweeps.find((s) => s.name === SLA_CHECK_JOB);
  if (sla)
    table.set(
      `${SLA_CHECK_JOB} sweep: time, schemas visited`,
      step,
      `${formatMs(sla.ms)}, ${formatCount(sla.schemasVisited)} schemas`,
      sla.ms,
    );
  const all = totalOf(sweeps);
  table.set(
    'all scheduled jobs once: time, schemas visited',
    step,
    `${formatMs(all.ms)}, ${formatCount(all.visits)} schemas`,
    all.ms,
  );
  const workerMb = await largestBackendMb(context.dataSource, worker.applicationName);
  table.set('largest worker backend after the sweeps (RssAnon)', step, mbValue(workerMb), workerMb);

  print('  migrate up of a one-column tenant migration, then revert (the CLI code, default concurrency)');
  const migration = await migrateColumn(context);
  table.set('migrate up, one column, all tenants', step, command(migration.up), migration.up.ms);
  table.set('migrate revert of it', step, command(migration.revert), migration.revert.ms);
  const churn = await catalogDeadRows(context.dataSource);
  table.set(
    'catalog dead rows after up + revert (pg_attribute, pg_class, …)',
    step,
    `${formatCount(churn.dead)} of ${formatCount(churn.live)} live`,
    churn.dead,
  );
  const status = await migrateCommand(context, ['status']);
  table.set(
    'migrate:status: time, output',
    step,
    `${command(status)}, ${formatCount(status.lines)} lines (${(status.bytes / 1024).toFixed(0)} KB)`,
    status.ms,
  );
  const checked = await doctor(context);
  table.set('doctor: time, slowest check', step, `${formatMs(checked.ms)}, ${checked.slowest}`, checked.ms);
  // The bench's own configuration (no SMTP, generated secrets) fails some checks: listed, not a scale finding.
  if (checked.failed.length) print(`    doctor checks failed: ${checked.failed.join('; ')}`);

  const backup = await measureBackup(context, targets.one);
  table.set(
    'tenant:backup of one tenant: time, peak RSS growth',
    step,
    `${formatMs(backup.backupMs)}, ${mbValue(backup.backupPeakMb)}`,
    backup.backupMs,
  );
  table.set(
    'pg_dump -n of one tenant: time, peak RSS',
    step,
    backup.dump ? `${formatMs(backup.dump.ms)}, ${mbValue(backup.dump.mb)}` : 'pg_dump does not match the server',
    backup.dump?.ms,
  );

  const locks = await locksToDropSchema(context.dataSource, targets.one.schemaName);
  table.set('locks held by DROP SCHEMA … CASCADE of one tenant', step, formatCount(locks), locks);

  const dump = await wholeDumpLocks(context.dataSource);
  table.set(
    'whole-database pg_dump: tables to lock / lock table capacity',
    step,
    `${formatCount(dump.tables)} / ${formatCount(dump.capacity)}`,
    dump.tables,
  );

  const schemas: { schema_name: string }[] = await context.dataSource.query(
    `SELECT schema_name FROM public.tenants WHERE status = 'ACTIVE' ORDER BY created_at`,
  );
  const visit = await visitEveryTenant(
    context.config.database.url!,
    schemas.map((s) => s.schema_name),
    print,
  );
  table.set(
    'one backend after reading every tenant: contexts (cache), RssAnon',
    step,
    `${mbValue(visit.totalMb)} (${mbValue(visit.cacheMb)}), ${mbValue(visit.privateMb)}`,
    visit.totalMb,
  );
}
