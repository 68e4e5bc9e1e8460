export { TenantSettings } from './tenant-settings.entity';
export { SettingsService, businessProfileStep } from './settings.service';
export { SettingsResolver } from './settings.resolver';
export { BusinessHours, Weekday, minuteOfDay } from './business-hours';
