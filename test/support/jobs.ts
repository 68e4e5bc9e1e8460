import pino, { type Logger } from 'pino';
import type { JobDefinition } from '../../src/core/jobs/job-definition';
import { JobRunner } from '../../src/core/jobs/job-runner';

/** Polls until `check` returns something truthy; the deadline only turns a hang into a clear failure. */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  what = 'condition',
  deadlineMs = 20_000,
): Promise<Exclude<T, false | 0 | '' | null | undefined>> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const value = await check();
    if (value) return value as Exclude<T, false | 0 | '' | null | undefined>;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A pino logger whose lines are kept as objects, to assert what was logged. */
export function captureLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { logger, lines };
}

/**
 * A runner polling every 100 ms on the given database, started with `definitions`. Their lock
 * lifetime defaults to 1 s: Agenda's per-run watchdog timer lasts half of it, and would keep
 * Jest waiting after the tests for half of the 10-minute default.
 */
export async function startTestRunner(
  databaseUrl: string,
  definitions: JobDefinition[],
  logger: Logger = pino({ level: 'silent' }),
): Promise<JobRunner> {
  const runner = new JobRunner({ config: { shutdownGraceMs: 10_000 }, databaseUrl });
  await runner.start({
    definitions: definitions.map((d) => ({ lockLifetimeMs: 1000, ...d })),
    logger,
    processEvery: 100,
  });
  return runner;
}
