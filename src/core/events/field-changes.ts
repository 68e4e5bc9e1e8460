import type { FieldChange } from './domain-event';

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The fields whose values differ between two snapshots of a record, as the audit log and event payloads show them
 * (arrays and dates compare by value).
 */
export function fieldChanges<T extends object>(
  before: T,
  after: T,
  fields: readonly (keyof T & string)[],
): FieldChange[] {
  return fields
    .filter((field) => !same(before[field], after[field]))
    .map((field) => ({ field, before: before[field] ?? null, after: after[field] ?? null }));
}

/** A state change (`quote.sent`, `invoice.paid`, …) as one field change; none for a record that is new. */
export const statusChange = (before: string | null, after: string): FieldChange[] =>
  before === null || before === after ? [] : [{ field: 'status', before, after }];
