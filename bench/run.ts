import './production-env';
import 'reflect-metadata';
import os from 'node:os';
import type { Database } from '../src/app/database';
import { createServices } from '../src/app/services';
import { readBenchOptions, type BenchContext, type BenchSection } from './bench-context';
import { openBenchApp } from './bench-app';
import { openBenchDatabase, type BenchDatabase } from './bench-database';
import { accountsSection } from './accounts';
import { identitySection } from './identity';
import { nestedSection } from './nested';
import { policiesSection } from './policies';
import { limitsSection } from './limits';
import { eventsSection } from './events';
import { automationSection } from './automation';
import { helpdeskSection } from './helpdesk';
import { loadSection } from './load';
import { mcpSection } from './mcp';
import { migrationsSection } from './migrations';
import { provisioningSection } from './provisioning';
import { quotesSection } from './quotes';
import { quotePdfSection } from './quote-pdf';
import { whatsappSection } from './whatsapp';
import { webhooksSection } from './webhooks';
import { subscriptionsSection } from './subscriptions';
import { sweepsSection } from './sweeps';
import { formatMs, renderTable, timed, type SectionResult } from './report';

/** In order: the load test runs first, on 20 tenants, before the migration part creates 1,000. */
const sections: BenchSection[] = [
  loadSection,
  nestedSection,
  provisioningSection,
  migrationsSection,
  sweepsSection,
  accountsSection,
  identitySection,
  policiesSection,
  limitsSection,
  quotesSection,
  quotePdfSection,
  helpdeskSection,
  whatsappSection,
  eventsSection,
  mcpSection,
  webhooksSection,
  subscriptionsSection,
  automationSection,
];

const print = (line: string) => process.stdout.write(`${line}\n`);

function printSummary(results: { section: BenchSection; result?: SectionResult; error?: unknown }[]): void {
  print('\n== Summary ==');
  print(
    renderTable(
      ['section', 'measurement', 'figure', 'vs baseline / target'],
      results.flatMap(({ section, result, error }) =>
        result
          ? result.rows.map((r) => [r.section, r.measurement, r.figure, r.comparison ?? ''])
          : [[section.title, 'ERROR', error instanceof Error ? error.message : String(error), '']],
      ),
    ),
  );
  print('\n== Targets ==');
  for (const { result } of results) {
    for (const t of result?.targets ?? [])
      print(`${t.met ? 'PASS' : 'MISS'}  ${t.name}: ${t.figure} (target ${t.goal})`);
  }
}

async function main(): Promise<number> {
  const options = readBenchOptions();
  print(
    `tenantql bench${options.quick ? ' (BENCH_QUICK: small version)' : ''} — node ${process.version}, ` +
      `${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, load average ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
  );
  let benchDatabase: BenchDatabase | undefined;
  let database: Database | undefined;
  const cleanUp = async () => {
    await database?.close();
    await benchDatabase?.drop();
  };
  // Ctrl-C must not leave an embedded PostgreSQL or a 500 MB database behind.
  process.once('SIGINT', () => void cleanUp().finally(() => process.exit(130)));

  try {
    benchDatabase = await openBenchDatabase();
    const app = await openBenchApp(benchDatabase, 'tenantql-bench');
    const { config, logger, serverVersion: version } = app;
    database = app.database;
    print(`PostgreSQL ${version}: ${benchDatabase.description}; pool max ${config.database.poolMax}\n`);

    const context: BenchContext = {
      options,
      config,
      logger,
      dataSource: database.dataSource,
      services: createServices(config, database.dataSource, benchDatabase.url),
      databaseCpuMs: benchDatabase.cpuMs,
      print,
    };
    const results: { section: BenchSection; result?: SectionResult; error?: unknown }[] = [];
    const chosen = options.only.length
      ? sections.filter((s) => options.only.some((word) => s.title.toLowerCase().includes(word)))
      : sections;
    if (!chosen.length) throw new Error(`BENCH_ONLY=${options.only.join(',')} names no section`);
    for (const section of chosen) {
      print(`== ${section.title} ==`);
      try {
        const { result, ms } = await timed(() => section.run(context));
        for (const note of result.notes ?? []) print(`  ${note}`);
        print(`  (section took ${formatMs(ms)})\n`);
        results.push({ section, result });
      } catch (error) {
        // A broken section is a bug in the bench or the code, not a missed target: report it, run the rest.
        print(`  ERROR: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
        results.push({ section, error });
      }
    }
    printSummary(results);
    return results.some((r) => r.error) ? 1 : 0;
  } finally {
    await cleanUp();
  }
}

// A missed target still exits 0: this is a measurement, not a test.
main().then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
