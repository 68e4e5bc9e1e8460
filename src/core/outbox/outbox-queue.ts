import type { Logger } from 'pino';
import type { DataSource, EntityManager } from 'typeorm';
import { rawWrite } from '../database/raw-write';
import { observeOutboxQueue, outboxMetrics } from './outbox-metrics';
import { errorText, retryDelayMs, type RetryPolicy } from './retry-policy';

/** Every claimed row carries these; `columns` adds the queue's own. */
export interface ClaimedRow {
  id: string;
  attempts: number;
}

/** How a row ended: done (delivered, applied), or given up (dead letter, kept with the error). */
export type OutboxOutcome = { status: 'SENT' } | { status: 'FAILED'; error: string };

export interface OutboxReport {
  /** Rows done. */
  sent: number;
  /** Attempts that failed and were rescheduled with back-off. */
  retried: number;
  /** Rows given up (last attempt used, or a permanent error): kept as FAILED. */
  failed: number;
}

/** Given to a handler that records its work and the row's completion in one transaction of its own. */
export interface OutboxAttempt {
  /**
   * Marks the row SENT (plus `set`, column → value) in `manager`'s transaction, only while this attempt still owns it.
   * Throws when the lease was lost, so that transaction rolls back and the new owner does the work.
   */
  complete(manager: EntityManager, set?: Record<string, unknown>): Promise<void>;
}

/**
 * Does a row's work outside any transaction (network I/O). Resolving completes the row (with the returned columns)
 * unless the handler already did with `attempt.complete`; throwing counts as a failed attempt.
 */
export type OutboxHandler<Row> = (row: Row, attempt: OutboxAttempt) => Promise<Record<string, unknown> | void>;

export interface OutboxQueueOptions<Row extends ClaimedRow> {
  /** The queue's name in metrics and logs. */
  name: string;
  /** Schema-qualified table with the usual columns: status, attempts, next_attempt_at, last_error, updated_at. */
  table: string;
  /** Columns a claim returns besides id and attempts. */
  columns: readonly (keyof Row & string)[];
  retry: RetryPolicy;
  /** How long a claim reserves a row: longer than its handler can take. Its expiry makes a dead worker's row due. */
  leaseMs: number;
  /** Errors no further attempt can fix (a permanent refusal): the row fails at once. */
  isPermanent?: (error: unknown) => boolean;
  /** The transaction a settlement is written in (default: one on the data source), e.g. the row's tenant scope. */
  settleScope?: (row: Row, work: (manager: EntityManager) => Promise<void>) => Promise<void>;
  /**
   * Records a final outcome with the row (`written`: the columns the settlement set, e.g. what the handler returned),
   * in the settlement's transaction; called only while the attempt owns the row.
   */
  recordOutcome?: (
    manager: EntityManager,
    row: Row,
    outcome: OutboxOutcome,
    written: Record<string, unknown>,
  ) => Promise<unknown>;
  /** Told after a final outcome committed (never for a retried attempt); an error is logged and the outcome stands. */
  afterSettled?: (row: Row, outcome: OutboxOutcome) => Promise<void>;
}

class LeaseLostError extends Error {
  constructor() {
    super('the outbox row was claimed again after its lease expired');
  }
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/;

/**
 * The one outbox primitive: rows written in the transaction of the event that causes them, worked off by `deliverDue`.
 *
 * A claim is one statement (`FOR UPDATE SKIP LOCKED`, status SENDING, attempts + 1, a lease in `next_attempt_at`)
 * committed before the handler's network I/O, so concurrent workers never take the same row and no transaction stays
 * open while a remote system answers. Due = PENDING whose retry time came, or SENDING whose lease ran out (its worker
 * died). A failed attempt waits with exponential back-off; after `retry.maxAttempts` (or a permanent error) the row is
 * kept as FAILED with its error. Every settlement is conditional on `status = 'SENDING' AND attempts = <this attempt>`:
 * an attempt whose lease was taken over records nothing. Delivery is therefore at-least-once: a worker dying after the
 * remote side accepted but before the record leaves the row to be worked again once the lease expires.
 */
export class OutboxQueue<Row extends ClaimedRow> {
  private readonly returning: string;

  constructor(
    private readonly dataSource: DataSource,
    private readonly logger: Logger,
    private readonly options: OutboxQueueOptions<Row>,
  ) {
    for (const identifier of [options.table, ...options.columns])
      if (!IDENTIFIER.test(identifier)) throw new Error(`Not a plain SQL identifier: ${identifier}`);
    this.returning = ['id', 'attempts', ...options.columns].map((c) => `o.${c}`).join(', ');
    observeOutboxQueue(options.name, { dataSource, table: options.table });
  }

  get name(): string {
    return this.options.name;
  }

  /**
   * Works off up to `limit` due rows, one claim at a time so each is handled well within its lease.
   * `afterEach` lets a job runner renew its own lock while a long batch runs.
   */
  async deliverDue(
    limit: number,
    handle: OutboxHandler<Row>,
    afterEach: () => Promise<unknown> = async () => undefined,
  ): Promise<OutboxReport> {
    const report: OutboxReport = { sent: 0, retried: 0, failed: 0 };
    report.failed += await this.expireAbandoned();
    for (let i = 0; i < limit; i++, await afterEach()) {
      const row = await this.claim(null);
      if (!row) break;
      const outcome = await this.attempt(row, handle);
      if (outcome) report[outcome]++;
    }
    return report;
  }

  /** Claims and handles this one row if it is due (e.g. right after it was written); undefined when it was not. */
  async deliverOne(id: string, handle: OutboxHandler<Row>): Promise<keyof OutboxReport | undefined> {
    const row = await this.claim(id);
    return row ? this.attempt(row, handle) : undefined;
  }

  private async claim(id: string | null): Promise<Row | undefined> {
    const { table } = this.options;
    const rows: Row[] = await this.dataSource.query(
      `WITH next AS (
         SELECT id FROM ${table}
          WHERE status IN ('PENDING', 'SENDING') AND next_attempt_at <= now() AND attempts < $2
            AND ($3::text IS NULL OR id::text = $3)
          ORDER BY next_attempt_at LIMIT 1 FOR UPDATE SKIP LOCKED
       ), claimed AS (
         UPDATE ${table} o
            SET status = 'SENDING', attempts = o.attempts + 1,
                next_attempt_at = now() + $1 * interval '1 millisecond', updated_at = now()
           FROM next WHERE o.id = next.id
         RETURNING ${this.returning}
       )
       SELECT * FROM claimed`,
      [this.options.leaseMs, this.options.retry.maxAttempts, id],
    );
    return rows[0];
  }

  /** A row whose worker died on its last attempt can never be claimed again: it is a dead letter. */
  private async expireAbandoned(): Promise<number> {
    const { affected } = await rawWrite(
      this.dataSource,
      `UPDATE ${this.options.table}
          SET status = 'FAILED', last_error = coalesce(last_error, 'lease expired on the last attempt'), updated_at = now()
        WHERE status = 'SENDING' AND next_attempt_at <= now() AND attempts >= $1`,
      [this.options.retry.maxAttempts],
    );
    if (affected) outboxMetrics.deadLetters.inc({ queue: this.options.name }, affected);
    return affected;
  }

  private async attempt(row: Row, handle: OutboxHandler<Row>): Promise<keyof OutboxReport | undefined> {
    let completed = false;
    const attempt: OutboxAttempt = {
      complete: async (manager, set = {}) => {
        if (!(await this.settle(manager, row, 'SENT', set))) throw new LeaseLostError();
        completed = true;
      },
    };
    let set: Record<string, unknown> | void;
    try {
      set = await handle(row, attempt);
    } catch (error) {
      if (error instanceof LeaseLostError) return this.leaseLost(row);
      return this.recordFailure(row, error);
    }
    if (!completed && !(await this.settleFinal(row, { status: 'SENT' }, { ...set, last_error: null })))
      return this.leaseLost(row);
    if (completed) await this.notify(row, { status: 'SENT' });
    return 'sent';
  }

  private leaseLost(row: Row): undefined {
    this.logger.warn({ queue: this.options.name, outboxId: row.id, attempts: row.attempts }, 'outbox lease lost');
    return undefined;
  }

  private async recordFailure(row: Row, error: unknown): Promise<'retried' | 'failed' | undefined> {
    const { name, retry, isPermanent } = this.options;
    const reason = errorText(error);
    const log = { queue: name, outboxId: row.id, attempts: row.attempts, error: reason };
    if (row.attempts < retry.maxAttempts && !isPermanent?.(error)) {
      const delayMs = retryDelayMs(retry, row.attempts);
      const { affected: owned } = await rawWrite(
        this.dataSource,
        `UPDATE ${this.options.table}
            SET status = 'PENDING', next_attempt_at = now() + $2 * interval '1 millisecond', last_error = $3,
                updated_at = now()
          WHERE id = $1 AND status = 'SENDING' AND attempts = $4`,
        [row.id, delayMs, reason, row.attempts],
      );
      if (!owned) return this.leaseLost(row);
      this.logger.warn({ ...log, retryInMs: delayMs }, `${name}: attempt failed; will retry`);
      return 'retried';
    }
    const outcome: OutboxOutcome = { status: 'FAILED', error: reason };
    if (!(await this.settleFinal(row, outcome, { last_error: reason }))) return this.leaseLost(row);
    outboxMetrics.deadLetters.inc({ queue: name });
    this.logger.error(log, `${name}: given up; kept as FAILED`);
    return 'failed';
  }

  /** Writes a final outcome (and what the queue records with it) in one transaction; false when the lease was lost. */
  private async settleFinal(row: Row, outcome: OutboxOutcome, set: Record<string, unknown>): Promise<boolean> {
    let owned = false;
    const { settleScope, recordOutcome } = this.options;
    if (!settleScope && !recordOutcome) {
      owned = await this.settle(this.dataSource.manager, row, outcome.status, set); // one statement: no transaction
    } else {
      const scope = settleScope ?? ((_row, work) => this.dataSource.transaction(work));
      await scope(row, async (manager) => {
        owned = await this.settle(manager, row, outcome.status, set);
        if (owned) await recordOutcome?.(manager, row, outcome, set);
      });
    }
    if (owned) await this.notify(row, outcome);
    return owned;
  }

  private async settle(
    manager: EntityManager,
    row: Row,
    status: OutboxOutcome['status'],
    set: Record<string, unknown>,
  ): Promise<boolean> {
    const entries = Object.entries(set);
    for (const [column] of entries) if (!IDENTIFIER.test(column)) throw new Error(`Not a plain column: ${column}`);
    const assignments = entries.map(([column], i) => `, ${column} = $${i + 4}`).join('');
    const { affected } = await rawWrite(
      manager,
      `UPDATE ${this.options.table} SET status = $2, updated_at = now()${assignments}
        WHERE id = $1 AND status = 'SENDING' AND attempts = $3`,
      [row.id, status, row.attempts, ...entries.map(([, value]) => value)],
    );
    return affected > 0;
  }

  private async notify(row: Row, outcome: OutboxOutcome): Promise<void> {
    try {
      await this.options.afterSettled?.(row, outcome);
    } catch (error) {
      this.logger.error(
        { queue: this.options.name, outboxId: row.id, err: error },
        'outbox listener failed; the outcome stands',
      );
    }
  }
}
