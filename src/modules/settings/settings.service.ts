import type { EntityManager } from 'typeorm';
import type { OnboardingStepDefinition } from '../onboarding';
import { normalizeBusinessHours, type BusinessHours } from './business-hours';
import { TenantSettings } from './tenant-settings.entity';
import { recordSettingsUpdated, settingsSnapshot } from './settings.events';
import type { UpdateTenantSettingsInput } from './settings.inputs';

const OPTIONAL_FIELDS = ['legalName', 'address', 'phone', 'logoUrl', 'supportEmail'] as const;
/** What "business profile complete" means for onboarding. */
const PROFILE_FIELDS = ['legalName', 'address', 'phone'] as const;

const trimmed = (value: string | null | undefined) => (typeof value === 'string' ? value.trim() : value);

/** The tenant's business profile. Methods take the tenant-scoped manager of the caller's transaction. */
export class SettingsService {
  get(manager: EntityManager): Promise<TenantSettings> {
    return manager.findOneByOrFail(TenantSettings, { id: 1 });
  }

  async update(manager: EntityManager, input: UpdateTenantSettingsInput): Promise<TenantSettings> {
    const settings = await manager.findOneOrFail(TenantSettings, {
      where: { id: 1 },
      lock: { mode: 'pessimistic_write' },
    });
    const before = settingsSnapshot(settings);
    for (const field of OPTIONAL_FIELDS) {
      if (input[field] !== undefined) settings[field] = trimmed(input[field]) ?? null;
    }
    if (input.timezone !== undefined) settings.timezone = input.timezone.trim();
    if (input.currency !== undefined) settings.currency = input.currency.toUpperCase();
    if (input.locale !== undefined) settings.locale = Intl.getCanonicalLocales(input.locale)[0];
    if (input.businessHours !== undefined) settings.businessHours = normalizeBusinessHours(input.businessHours);
    if (input.paymentTermsDays !== undefined) settings.paymentTermsDays = input.paymentTermsDays;
    const complete = PROFILE_FIELDS.every((field) => !!settings[field]);
    settings.profileCompletedAt = complete ? (settings.profileCompletedAt ?? new Date()) : null;
    const saved = await manager.save(settings);
    await recordSettingsUpdated(manager, before, saved);
    return saved;
  }

  /** For scheduling in the tenant's local time (onboarding reminders). */
  async timezone(manager: EntityManager): Promise<string> {
    return (await this.get(manager)).timezone;
  }

  /** The opening hours and time zone business-hours SLAs count in. */
  async businessCalendar(manager: EntityManager): Promise<{ timeZone: string; hours: BusinessHours[] }> {
    const { timezone, businessHours } = await this.get(manager);
    return { timeZone: timezone, hours: businessHours };
  }

  /** The calendar and payment terms new invoices are dated by. */
  async invoiceTerms(manager: EntityManager): Promise<{ timeZone: string; paymentTermsDays: number }> {
    const { timezone, paymentTermsDays } = await this.get(manager);
    return { timeZone: timezone, paymentTermsDays };
  }
}

/** Onboarding: legal name, address and phone filled in. */
export const businessProfileStep: OnboardingStepDefinition = {
  key: 'business-profile',
  title: 'Complete your business profile',
  completedAt: async (manager) =>
    (await manager.query('SELECT profile_completed_at AS at FROM business_settings'))[0]?.at ?? null,
};
