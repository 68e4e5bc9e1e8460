import type { DataSource, EntityManager } from 'typeorm';
import type { DomainEventType, NewDomainEvent } from './domain-event';

/**
 * Runs in the transaction that records the event, right after its INSERT (a rule engine, …). Answers true when it
 * changed what the event is about, so the recording service reads it again before answering (`changedByHooks`).
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

/** Events whose hooks changed what they are about. */
const changedEvents = new WeakSet<NewDomainEvent>();

/** Calls the event's hooks one after the other in the caller's transaction (recordEvent does). */
export async function runEventHooks(manager: EntityManager, event: NewDomainEvent): Promise<void> {
  for (const hook of hooks.get(manager.connection)?.get(event.type) ?? [])
    if ((await hook(manager, event)) === true) changedEvents.add(event);
}

/** After `recordEvent(manager, event)`: whether a hook changed what the event is about (read it again). */
export const changedByHooks = (event: NewDomainEvent): boolean => changedEvents.has(event);

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
