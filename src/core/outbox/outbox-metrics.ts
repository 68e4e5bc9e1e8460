import { Counter, Gauge } from 'prom-client';
import type { DataSource } from 'typeorm';
import { metricsRegistry } from '../observability/metrics';
import { withTimeout } from '../observability/deadline';

/** A queue as the lag gauge reads it: the latest instance per name (tests build many). */
interface ObservedQueue {
  dataSource: DataSource;
  table: string;
}
const observed = new Map<string, ObservedQueue>();
const SCRAPE_QUERY_TIMEOUT_MS = 1000;

export function observeOutboxQueue(name: string, queue: ObservedQueue): void {
  observed.set(name, queue);
}

/** Seconds the oldest due row of a queue has waited (0 when none is due). */
export async function readOutboxLag(dataSource: Pick<DataSource, 'query'>, table: string): Promise<number> {
  const [row]: { lag: number | null }[] = await dataSource.query(
    `SELECT extract(epoch FROM now() - min(next_attempt_at))::float8 AS lag FROM ${table}
      WHERE status IN ('PENDING', 'SENDING') AND next_attempt_at <= now()`,
  );
  return Math.max(0, row?.lag ?? 0);
}

export const outboxMetrics = {
  lag: new Gauge({
    name: 'tenantql_outbox_lag_seconds',
    help: 'How long the oldest due row of each outbox queue has waited (0 when none); read on scrape',
    labelNames: ['queue'] as const,
    registers: [metricsRegistry],
    async collect() {
      this.reset();
      for (const [queue, { dataSource, table }] of observed) {
        if (!dataSource.isInitialized) continue;
        const lag = await withTimeout(readOutboxLag(dataSource, table), SCRAPE_QUERY_TIMEOUT_MS).catch(() => null);
        if (lag !== null) this.set({ queue }, lag);
      }
    },
  }),
  deadLetters: new Counter({
    name: 'tenantql_outbox_dead_letters_total',
    help: 'Outbox rows given up after their last attempt (or a permanent error), kept as FAILED, by queue',
    labelNames: ['queue'] as const,
    registers: [metricsRegistry],
  }),
};
