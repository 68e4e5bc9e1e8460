import type { DataSource, EntityManager } from 'typeorm';
import type { DomainEventType, NewDomainEvent } from './domain-event';

/**
 * Runs in the transaction that records the event, right after its INSERT (a rule engine, …). Answers true when it
 * changed what the event is about, so the recording service reads it again before answering.
 */
export type EventHook = (manager: EntityManager, event: NewDomainEvent) => Promise<boolean | void>;

/** Per data source (one per app in a process, tests start several): event type → hooks, in registration order. */
const hooks = new WeakMap<DataSource, Map<DomainEventType, EventHook[]>>();

/** Modules register their synchronous reactions to events here (core calls no module). */
export function registerEventHook(dataSource: DataSource, types: readonly DomainEventType[], hook: EventHook): void {
  const byType = hooks.get(dataSource) ?? new Map<DomainEventType, EventHook[]>();
  hooks.set(dataSource, byType);
  for (const type of types) byType.set(type, [...(byType.get(type) ?? []), hook]);
}

/** Calls the event's hooks one after the other in the caller's transaction; true when one changed something. */
export async function runEventHooks(manager: EntityManager, event: NewDomainEvent): Promise<boolean> {
  const registered = hooks.get(manager.connection)?.get(event.type);
  if (!registered) return false;
  let changed = false;
  for (const hook of registered) changed = (await hook(manager, event)) === true || changed;
  return changed;
}

/**
 * The change this transaction makes comes from mail nobody should auto-reply to (RFC 3834): hooks that would send an
 * automatic answer (automation replies) read it with `isAutomaticInbound`.
 */
export async function markAutomaticInbound(manager: EntityManager): Promise<void> {
  await manager.query(`SELECT set_config('tenantql.automatic_inbound', 'on', true)`);
}

export async function isAutomaticInbound(manager: EntityManager): Promise<boolean> {
  const [row]: { on: string | null }[] = await manager.query(
    `SELECT current_setting('tenantql.automatic_inbound', true) AS on`,
  );
  return row.on === 'on';
}
