import { Presets, SingleBar } from 'cli-progress';

/** Where a command writes its result lines (stdout in the CLI, an array in tests). */
export type Print = (line: string) => void;

/**
 * Writes a result line. A reader that went away (`migrate:sql | head`) must not crash, nor abort
 * a migration half-way: printing just stops and the command runs to its end.
 */
export const printToStdout: Print = (line) => {
  if (!process.stdout.listenerCount('error')) process.stdout.on('error', ignoreClosedPipe);
  if (process.stdout.writable) process.stdout.write(`${line}\n`);
};

function ignoreClosedPipe(error: NodeJS.ErrnoException): void {
  if (error.code !== 'EPIPE') throw error;
}

export interface Progress {
  start(total: number): void;
  tick(failed: boolean): void;
  stop(): void;
}

/** A plain progress line at least this often on long runs, so CI logs show the run is alive. */
const PLAIN_LINE_INTERVAL_MS = 10_000;
/** ... and at every tenth of the work. */
const PLAIN_LINE_STEPS = 10;

/**
 * Progress on stderr, so stdout carries only the result: a bar on a terminal, and on
 * anything else (CI logs, pipes) a plain line per tenth of the work and at the end.
 */
export function createProgress(label: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  return stream.isTTY ? barProgress(label, stream) : plainProgress(label, stream);
}

function barProgress(label: string, stream: NodeJS.WriteStream): Progress {
  const bar = new SingleBar(
    { stream, format: `${label} [{bar}] {value}/{total} | {failed} failed | {duration_formatted}`, hideCursor: true },
    Presets.shades_classic,
  );
  let failed = 0;
  return {
    start: (total) => bar.start(total, 0, { failed }),
    tick: (isFailure) => bar.increment(1, { failed: (failed += isFailure ? 1 : 0) }),
    stop: () => bar.stop(),
  };
}

function plainProgress(label: string, stream: NodeJS.WriteStream): Progress {
  let total = 0;
  let done = 0;
  let failed = 0;
  let nextStep = 0;
  let lastLineAt = 0;
  const line = () => {
    stream.write(`${label}: ${done}/${total} done, ${failed} failed\n`);
    lastLineAt = Date.now();
  };
  return {
    start: (count) => {
      total = count;
      nextStep = Math.ceil(total / PLAIN_LINE_STEPS);
      lastLineAt = Date.now();
    },
    tick: (isFailure) => {
      done += 1;
      failed += isFailure ? 1 : 0;
      if (done === total) return line();
      if (done >= nextStep || Date.now() - lastLineAt >= PLAIN_LINE_INTERVAL_MS) {
        nextStep = Math.ceil(((Math.floor((done * PLAIN_LINE_STEPS) / total) + 1) * total) / PLAIN_LINE_STEPS);
        line();
      }
    },
    stop: () => undefined,
  };
}

export function formatDuration(ms: number): string {
  return ms < 60_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
}
