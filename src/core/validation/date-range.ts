import { BadUserInputError } from '../errors/app-error';

/**
 * The one range of years every date input must fall in (DATE_OUT_OF_RANGE otherwise): wide enough for
 * any business date, narrow enough that PostgreSQL and every 4-digit ISO formatter can store and print it.
 */
export const MIN_YEAR = 1900;
export const MAX_YEAR = 9999;

export const DATE_RANGE_TEXT = `years ${MIN_YEAR} to ${MAX_YEAR}`;

export function isDateInRange(date: Date): boolean {
  const year = date.getUTCFullYear();
  return year >= MIN_YEAR && year <= MAX_YEAR;
}

const CALENDAR_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A real day written YYYY-MM-DD (2024-02-30 is not one), else null. */
export function parseCalendarDate(value: unknown): Date | null {
  if (typeof value !== 'string' || !CALENDAR_DATE.test(value)) return null;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value ? date : null;
}

/** A date derived from the input (a default end date) is held to the same range: DATE_OUT_OF_RANGE. */
export function assertCalendarDateInRange(value: string, field: string): string {
  const date = parseCalendarDate(value);
  if (!date || !isDateInRange(date)) {
    const message = `${field} would fall outside ${DATE_RANGE_TEXT}`;
    throw new BadUserInputError(message, { reason: 'DATE_OUT_OF_RANGE', field });
  }
  return value;
}
