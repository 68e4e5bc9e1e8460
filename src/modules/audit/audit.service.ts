import type { DataSource, EntityManager } from 'typeorm';
import { rawWrite } from '../../core/database/raw-write';
import { BadUserInputError } from '../../core/errors/app-error';
import { AuditActorKind, type AuditActor, type AuditEntry, type AuditLogFilter } from './audit.types';

export interface AuditListOptions {
  first: number;
  after?: string;
  filter?: AuditLogFilter;
}

interface EventRow {
  id: string;
  type: string;
  version: number;
  actor: string;
  entityType: string;
  entityId: string;
  payload: Record<string, unknown>;
  changes: AuditEntry['changes'] | null;
  occurredAt: Date;
}

const KINDS: Record<string, AuditActorKind> = {
  user: AuditActorKind.USER,
  api_key: AuditActorKind.API_KEY,
  platform_admin: AuditActorKind.PLATFORM_ADMIN,
  system: AuditActorKind.SYSTEM,
  channel: AuditActorKind.CHANNEL,
  anonymous: AuditActorKind.ANONYMOUS,
};

/** `user:<id>` → USER and the id; an actor written by older code or by hand is SYSTEM rather than an error. */
export function parseActor(raw: string): AuditActor {
  const at = raw.indexOf(':');
  const [prefix, id] = at < 0 ? [raw, null] : [raw.slice(0, at), raw.slice(at + 1) || null];
  return { kind: KINDS[prefix] ?? AuditActorKind.SYSTEM, id, raw };
}

/** The cursor is the last entry's id (the log is newest first): opaque to clients, checked when it comes back. */
const encodeCursor = (id: string) => Buffer.from(`audit:${id}`).toString('base64url');

function decodeCursor(raw: string): string {
  const match = /^audit:([1-9]\d{0,18})$/.exec(Buffer.from(raw, 'base64url').toString('utf8'));
  if (!match) throw new BadUserInputError('Invalid pagination cursor', { reason: 'INVALID_CURSOR' });
  return match[1];
}

/**
 * The audit log: the organization's domain events (public.domain_events), newest first, read in the
 * caller's transaction and always for the scope's own tenant. Append-only (a trigger refuses changes)
 * except for `prune`, the retention job's.
 */
export class AuditService {
  async list(em: EntityManager, tenantId: string, options: AuditListOptions) {
    const { filter = {} } = options;
    if (filter.from && filter.to && filter.from >= filter.to)
      throw new BadUserInputError('filter.from must be before filter.to', { reason: 'INVALID_RANGE', field: 'to' });
    const where = ['tenant_id = $1'];
    const params: unknown[] = [tenantId];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (filter.entityType) add('entity_type = ?', filter.entityType);
    if (filter.entityId) add('entity_id = ?', filter.entityId);
    if (filter.actor) add('actor = ?', filter.actor);
    if (filter.from) add('occurred_at >= ?', filter.from);
    if (filter.to) add('occurred_at < ?', filter.to);
    if (options.after) add('id < ?::bigint', decodeCursor(options.after));
    params.push(options.first + 1);
    const rows: EventRow[] = await em.query(
      `SELECT id::text, type, version, actor, entity_type AS "entityType", entity_id AS "entityId", payload, changes,
              occurred_at AS "occurredAt"
         FROM public.domain_events WHERE ${where.join(' AND ')} ORDER BY domain_events.id DESC LIMIT $${params.length}`,
      params,
    );
    const edges = rows.slice(0, options.first).map((row) => ({
      cursor: encodeCursor(row.id),
      node: { ...row, actor: parseActor(row.actor), changes: row.changes ?? [] },
    }));
    return {
      edges,
      pageInfo: { hasNextPage: rows.length > options.first, endCursor: edges.at(-1)?.cursor ?? null },
    };
  }

  /**
   * Deletes events older than `retentionDays`, `batchSize` rows per transaction (short locks, bounded WAL),
   * until none is left; returns how many went. The session setting is what the append-only trigger lets through.
   */
  async prune(dataSource: DataSource, retentionDays: number, batchSize: number): Promise<number> {
    let total = 0;
    for (;;) {
      const deleted = await dataSource.transaction(async (em) => {
        await em.query(`SELECT set_config('tenantql.audit_prune', 'on', true)`);
        const { affected } = await rawWrite(
          em,
          `DELETE FROM public.domain_events WHERE id IN (
             SELECT id FROM public.domain_events WHERE occurred_at < now() - make_interval(days => $1)
              ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)`,
          [retentionDays, batchSize],
        );
        return affected;
      });
      total += deleted;
      if (deleted < batchSize) return total;
    }
  }
}
