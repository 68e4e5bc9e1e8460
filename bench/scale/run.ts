import 'reflect-metadata';
import os from 'node:os';
import { openDatabase, type Database } from '../../src/app/database';
import { createServices } from '../../src/app/services';
import { createJobDefinitions } from '../../src/jobs';
import { readBenchOptions, type BenchContext } from '../bench-context';
import { openBenchApp } from '../bench-app';
import { openBenchDatabase, type BenchDatabase } from '../bench-database';
import { readScaleOptions } from './scale-options';
import { startProductionServer } from '../production-server';
import type { ScaleServer } from './scale-server';
import { measureStep, type Worker } from './scale-step';
import { ScaleTable } from './scale-table';

const WORKER_APPLICATION = 'tenantql-scale-worker';
const print = (line: string) => process.stdout.write(`${line}\n`);

/** `npm run bench:scale`: N organizations on one fresh database, the table at 20, 1,000 and N. */
async function main(): Promise<void> {
  const scale = readScaleOptions();
  const cpus = os.cpus();
  print(
    `tenantql scale bench: ${scale.steps.join(', ')} tenants — node ${process.version}, ${cpus.length} × ` +
      `${cpus[0]?.model.trim()}, load average ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
  );
  let benchDatabase: BenchDatabase | undefined;
  const opened: Database[] = [];
  let server: ScaleServer | undefined;
  const cleanUp = async () => {
    await server?.close();
    for (const database of opened) await database.close();
    await benchDatabase?.drop();
  };
  // Ctrl-C must not leave gigabytes of tenant schemas behind.
  process.once('SIGINT', () => void cleanUp().finally(() => process.exit(130)));
  try {
    benchDatabase = await openBenchDatabase();
    const app = await openBenchApp(benchDatabase, 'tenantql-scale-api');
    const { config, logger, database: api, serverVersion: version } = app;
    opened.push(api);
    print(`PostgreSQL ${version}: ${benchDatabase.description}\n`);
    // The worker is its own pool, as a worker process is: its sweeps compete with the API for the database only.
    const workerDatabase = await openDatabase(config, logger, WORKER_APPLICATION);
    opened.push(workerDatabase);
    const worker: Worker = {
      applicationName: WORKER_APPLICATION,
      definitions: createJobDefinitions(createServices(config, workerDatabase.dataSource, benchDatabase.url)),
    };
    const context: BenchContext = {
      options: readBenchOptions(),
      config,
      logger,
      dataSource: api.dataSource,
      services: createServices(config, api.dataSource, benchDatabase.url),
      print,
    };
    server = await startProductionServer(context);
    const table = new ScaleTable();
    for (const step of scale.steps) {
      print(`== ${step.toLocaleString('en-US')} tenants (load average ${os.loadavg()[0].toFixed(2)}) ==`);
      await measureStep(context, server, worker, scale, step, table);
      print(`\n${table.render(scale.steps.filter((s) => s <= step))}\n`);
    }
  } finally {
    await cleanUp();
  }
}

// A measurement, not a test: it fails only when it could not measure.
main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`bench:scale failed: ${error instanceof Error ? (error.stack ?? error.message) : error}\n`);
    process.exit(1);
  },
);
