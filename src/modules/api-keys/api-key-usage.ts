import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';

/**
 * `lastUsedAt` without a write per request: uses are kept in memory (one entry per
 * key) and written in one statement a few seconds after the first unwritten use, and
 * on shutdown (`stop`). A failed write keeps the entries for the next attempt.
 */
export class ApiKeyUsageRecorder {
  private pending = new Map<string, Date>();
  private timer?: NodeJS.Timeout;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly dataSource: DataSource,
    private readonly logger: Logger,
    private readonly flushMs: number,
  ) {}

  record(apiKeyId: string, at: Date = new Date()): void {
    this.pending.set(apiKeyId, at);
    // No timer while nothing is pending: an idle process keeps no timer alive.
    this.timer ??= setTimeout(() => void this.flush(), this.flushMs).unref();
  }

  /** A use this process has not written yet (listings show it before the next flush). */
  unwritten(apiKeyId: string): Date | undefined {
    return this.pending.get(apiKeyId);
  }

  /** Writes what is pending; concurrent calls queue behind each other. */
  flush(): Promise<void> {
    this.writing = this.writing.then(() => this.write());
    return this.writing;
  }

  private async write(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.pending.size) return;
    const batch = this.pending;
    this.pending = new Map();
    try {
      await this.dataSource.query(
        `UPDATE public.api_keys k SET last_used_at = GREATEST(k.last_used_at, u.used_at)
           FROM unnest($1::uuid[], $2::timestamptz[]) AS u(id, used_at)
          WHERE k.id = u.id`,
        [[...batch.keys()], [...batch.values()]],
      );
    } catch (error) {
      this.logger.warn({ err: error, keys: batch.size }, 'could not record API key usage; will retry');
      for (const [id, at] of batch) if (!this.pending.has(id)) this.record(id, at);
    }
  }
}
