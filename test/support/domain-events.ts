import type { DataSource } from 'typeorm';

export interface RecordedEvent {
  id: string;
  type: string;
  version: number;
  actor: string;
  entityType: string;
  entityId: string;
  payload: Record<string, unknown>;
  changes: { field: string; before: unknown; after: unknown }[] | null;
}

/** The domain events of one organization whose type starts with `prefix`, oldest first. */
export function eventsOf(dataSource: DataSource, tenantId: string, prefix = ''): Promise<RecordedEvent[]> {
  return dataSource.query(
    `SELECT id, type, version, actor, entity_type AS "entityType", entity_id AS "entityId", payload, changes
       FROM public.domain_events WHERE tenant_id = $1 AND type LIKE $2 ORDER BY id`,
    [tenantId, `${prefix}%`],
  );
}
