import type { Logger } from 'pino';
import type { JobDefinition, JobRunContext } from '../../src/core/jobs/job-definition';
import { statementsDuring } from '../round-trips';
import { timed } from '../report';

export interface SweepFigures {
  name: string;
  ms: number;
  /** Tenant schemas the run entered (statements that point search_path at a schema). */
  schemasVisited: number;
  error?: string;
}

/** Every transaction scoped to a tenant schema sets search_path once (runInSchema and the request scope alike). */
const entersSchema = (statement: unknown) => {
  const text = typeof statement === 'string' ? statement : (statement as { text?: unknown } | null)?.text;
  return typeof text === 'string' && text.includes("set_config('search_path'");
};

/** The scheduled jobs, run the way the job runner runs them: `run(data, context)`, here with no lock to renew. */
function runJob(definition: JobDefinition, logger: Logger): Promise<void> {
  const context: JobRunContext = { logger, touch: () => Promise.resolve(), reportTenantFailures: () => undefined };
  return definition.run({}, context);
}

const scheduled = (definitions: JobDefinition[]) => definitions.filter((d) => d.every);

/** Each scheduled job once, alone: its duration and the schemas it entered. */
export async function measureSweeps(definitions: JobDefinition[], logger: Logger): Promise<SweepFigures[]> {
  const figures: SweepFigures[] = [];
  for (const definition of scheduled(definitions)) {
    let error: string | undefined;
    let ms = 0;
    const schemasVisited = await statementsDuring(async () => {
      ({ ms } = await timed(() => runJob(definition, logger).catch((e: Error) => void (error = e.message))));
    }, entersSchema);
    figures.push({ name: definition.name, ms, schemasVisited, error });
  }
  return figures;
}

/** Runs every scheduled job back to back until stopped: the worst case of all sweeps due at once, over and over. */
export function sweepLoop(definitions: JobDefinition[], logger: Logger): { stop(): Promise<number> } {
  let running = true;
  let rounds = 0;
  const loop = (async () => {
    while (running) {
      for (const definition of scheduled(definitions)) await runJob(definition, logger).catch(() => undefined);
      rounds += 1;
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return rounds;
    },
  };
}
