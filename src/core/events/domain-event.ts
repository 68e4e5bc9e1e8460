import type { EntityManager } from 'typeorm';
import { metrics } from '../observability/metrics';
import { runEventHooks } from './event-hooks';

/**
 * The catalogue of domain events: each type, its payload version and the entity it is about.
 * A payload change that breaks readers bumps the version (subscribers and webhooks see it).
 */
export const DOMAIN_EVENTS = {
  'ticket.created': { version: 1, entityType: 'ticket' },
  'ticket.updated': { version: 1, entityType: 'ticket' },
  'ticket.message_added': { version: 1, entityType: 'ticket' },
  'ticket.sla_at_risk': { version: 1, entityType: 'ticket' },
  'ticket.sla_breached': { version: 1, entityType: 'ticket' },
  'customer.created': { version: 1, entityType: 'customer' },
  'customer.updated': { version: 1, entityType: 'customer' },
  'customer.deleted': { version: 1, entityType: 'customer' },
  'quote.created': { version: 1, entityType: 'quote' },
  'quote.sent': { version: 1, entityType: 'quote' },
  'quote.accepted': { version: 1, entityType: 'quote' },
  'quote.rejected': { version: 1, entityType: 'quote' },
  'quote.expired': { version: 1, entityType: 'quote' },
  'contract.activated': { version: 1, entityType: 'contract' },
  'contract.terminated': { version: 1, entityType: 'contract' },
  'invoice.created': { version: 1, entityType: 'invoice' },
  'invoice.sent': { version: 1, entityType: 'invoice' },
  'invoice.paid': { version: 1, entityType: 'invoice' },
  'invoice.voided': { version: 1, entityType: 'invoice' },
  'member.joined': { version: 1, entityType: 'member' },
  'member.removed': { version: 1, entityType: 'member' },
  'member.role_changed': { version: 1, entityType: 'member' },
  'api_key.created': { version: 1, entityType: 'api_key' },
  'api_key.revoked': { version: 1, entityType: 'api_key' },
  'subscription.plan_changed': { version: 1, entityType: 'subscription' },
  'payment.completed': { version: 1, entityType: 'payment' },
  'payment.failed': { version: 1, entityType: 'payment' },
  'settings.updated': { version: 1, entityType: 'settings' },
} as const satisfies Record<string, { version: number; entityType: string }>;

export type DomainEventType = keyof typeof DOMAIN_EVENTS;

/** Who caused an event: `user:<id>`, `api_key:<id>`, `platform_admin`, `system:<job>` or `channel:<email|whatsapp>`. */
export type EventActor =
  `user:${string}` | `api_key:${string}` | 'platform_admin' | `system:${string}` | `channel:${string}`;

/** One changed field, for the audit log (settings, members, roles, keys, plans, state changes). */
export interface FieldChange {
  field: string;
  before: unknown;
  after: unknown;
}

export interface NewDomainEvent {
  type: DomainEventType;
  entityId: string;
  payload?: Record<string, unknown>;
  changes?: FieldChange[];
  /** Only outside a tenant scope (platform code): the tenant the event belongs to. */
  tenantId?: string;
}

/**
 * Records an event in the caller's transaction (the one that makes the change), so it exists
 * exactly when the change commits. Tenant and actor come from the scope's transaction-local
 * settings (see the domain_events migration) unless given. Then the event's hooks run in that transaction
 * (src/core/events/event-hooks.ts; `changedByHooks(event)` says whether one changed what the event is about).
 */
export async function recordEvent(manager: EntityManager, event: NewDomainEvent): Promise<void> {
  const insert = eventInsert(event, 1);
  await manager.query(insert.sql, insert.params);
  await eventRecorded(manager, event);
}

/**
 * `recordEvent`'s INSERT as SQL over the parameters $first… (`params`), for a statement that also makes the change
 * (a data-modifying CTE): with `from`, the event is inserted once per row of that CTE, so only when the change was.
 * The statement's caller then calls `eventRecorded`.
 */
export function eventInsert(event: NewDomainEvent, first: number, from?: string): { sql: string; params: unknown[] } {
  const { version, entityType } = DOMAIN_EVENTS[event.type];
  const $ = (i: number) => `$${first + i}`;
  return {
    sql:
      'INSERT INTO public.domain_events (tenant_id, type, version, entity_type, entity_id, payload, changes) ' +
      `SELECT coalesce(${$(0)}::uuid, nullif(current_setting('tenantql.tenant_id', true), '')::uuid), ` +
      `${$(1)}::varchar, ${$(2)}::smallint, ${$(3)}::varchar, ${$(4)}::varchar, ${$(5)}::jsonb, ${$(6)}::jsonb` +
      (from ? ` FROM ${from}` : ''),
    params: [
      event.tenantId ?? null,
      event.type,
      version,
      entityType,
      event.entityId,
      JSON.stringify(event.payload ?? {}),
      event.changes ? JSON.stringify(event.changes) : null,
    ],
  };
}

/** After the statement that inserted the event (`eventInsert`): counted, and its hooks run in that transaction. */
export async function eventRecorded(manager: EntityManager, event: NewDomainEvent): Promise<void> {
  metrics.eventsEmitted.inc({ type: event.type });
  await runEventHooks(manager, event);
}

/** Names who acts for the rest of the caller's transaction (a job, a channel), for the events it records. */
export async function setEventActor(manager: EntityManager, actor: EventActor): Promise<void> {
  await manager.query(`SELECT set_config('tenantql.actor', $1, true)`, [actor]);
}
