import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { Services } from '../src/app/services';
import type { AppConfig } from '../src/core/config/config';
import type { SectionResult } from './report';

export interface BenchOptions {
  quick: boolean;
  /** Seconds per load test (measured part). */
  loadSeconds: number;
  /** Seconds of unmeasured load before each measured run: JIT, pool connections and caches warm up. */
  warmupSeconds: number;
  /** How many provision() calls are timed. */
  provisionSamples: number;
  /** Tenants present when the migration parts run. */
  migrationTenants: number;
  /** BENCH_ONLY=load,helpdesk: run only the sections whose title contains one of these words (case-insensitive). */
  only: string[];
}

/** What every section gets: one fresh database, the app's config and services on it. */
export interface BenchContext {
  options: BenchOptions;
  config: AppConfig;
  logger: Logger;
  dataSource: DataSource;
  services: Services;
  /** CPU time used by PostgreSQL so far (ms); only when the bench runs it locally (embedded). */
  databaseCpuMs?: () => number | undefined;
  print(line: string): void;
}

/** A part of `npm run bench`; later issues add theirs to the list in run.ts. */
export interface BenchSection {
  title: string;
  run(context: BenchContext): Promise<SectionResult>;
}

function positiveNumber(env: NodeJS.ProcessEnv, name: string, fallback: number, integer: boolean): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new Error(`${name} must be a positive ${integer ? 'integer' : 'number'}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** BENCH_QUICK=1 is the small version for checks while developing; the lead runs the full one. */
export function readBenchOptions(env: NodeJS.ProcessEnv = process.env): BenchOptions {
  const quick = ['1', 'true', 'yes'].includes(env.BENCH_QUICK?.trim().toLowerCase() ?? '');
  const loadSeconds = positiveNumber(env, 'BENCH_DURATION', quick ? 2 : 10, false);
  return {
    quick,
    loadSeconds,
    warmupSeconds: Math.min(3, Math.max(1, loadSeconds / 5)),
    provisionSamples: positiveNumber(env, 'BENCH_TENANTS', quick ? 30 : 100, true),
    migrationTenants: quick ? 100 : 1000,
    only: (env.BENCH_ONLY ?? '')
      .split(',')
      .map((word) => word.trim().toLowerCase())
      .filter(Boolean),
  };
}
