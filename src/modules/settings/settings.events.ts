import type { EntityManager } from 'typeorm';
import { fieldChanges, recordEvent } from '../../core/events';
import type { TenantSettings } from './tenant-settings.entity';

const FIELDS = [
  'legalName',
  'address',
  'phone',
  'logoUrl',
  'supportEmail',
  'timezone',
  'currency',
  'locale',
  'businessHours',
  'paymentTermsDays',
] as const;

export type SettingsSnapshot = Pick<TenantSettings, (typeof FIELDS)[number]>;

export const settingsSnapshot = (settings: TenantSettings): SettingsSnapshot =>
  Object.fromEntries(FIELDS.map((field) => [field, settings[field]])) as SettingsSnapshot;

/** `settings.updated` (payload v1: the changed field names), before/after for the audit log; none if none changed. */
export async function recordSettingsUpdated(
  em: EntityManager,
  before: SettingsSnapshot,
  settings: TenantSettings,
): Promise<void> {
  const changes = fieldChanges(before, settingsSnapshot(settings), FIELDS);
  if (!changes.length) return;
  await recordEvent(em, {
    type: 'settings.updated',
    entityId: 'business-profile',
    payload: { changed: changes.map((c) => c.field) },
    changes,
  });
}
