import { Matches } from 'class-validator';
import { Field, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { BadUserInputError } from '../../core/errors/app-error';

/** In week order (Monday first, as shown to users). */
export enum Weekday {
  MONDAY = 'MONDAY',
  TUESDAY = 'TUESDAY',
  WEDNESDAY = 'WEDNESDAY',
  THURSDAY = 'THURSDAY',
  FRIDAY = 'FRIDAY',
  SATURDAY = 'SATURDAY',
  SUNDAY = 'SUNDAY',
}
registerEnumType(Weekday, { name: 'Weekday' });

const HH_MM = /^([01]\d|2[0-3]):[0-5]\d$/;
const HH_MM_OR_MIDNIGHT = /^(([01]\d|2[0-3]):[0-5]\d|24:00)$/;
/** Fewer would let a business-hours SLA of up to a year reach centuries ahead. */
const MIN_MINUTES_A_WEEK = 60;

/** One opening on a weekday, in the organization's local time; a day may have several (a lunch break). */
@ObjectType({ description: 'Opening hours on one weekday, local time of the organization' })
@InputType('BusinessHoursInput')
export class BusinessHours {
  @Field(() => Weekday)
  day: Weekday;

  @Field({ description: 'HH:MM, 24-hour clock' })
  @Matches(HH_MM, { message: 'opens must be a time HH:MM (00:00 to 23:59)' })
  opens: string;

  @Field({ description: 'HH:MM after opens; 24:00 is midnight at the end of the day' })
  @Matches(HH_MM_OR_MIDNIGHT, { message: 'closes must be a time HH:MM (00:01 to 24:00)' })
  closes: string;
}

/** Minutes since local midnight of HH:MM. */
export const minuteOfDay = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/**
 * Sorted by day and time; BAD_USER_INPUT (INVALID_BUSINESS_HOURS) for an empty or overlapping opening, or under an hour
 * a week.
 */
export function normalizeBusinessHours(hours: BusinessHours[]): BusinessHours[] {
  const week = Object.values(Weekday);
  const sorted = hours
    .map(({ day, opens, closes }) => ({ day, opens, closes }))
    .sort((a, b) => week.indexOf(a.day) - week.indexOf(b.day) || minuteOfDay(a.opens) - minuteOfDay(b.opens));
  const invalid = (message: string) =>
    new BadUserInputError(message, { field: 'businessHours', reason: 'INVALID_BUSINESS_HOURS' });
  sorted.forEach((hour, i) => {
    if (minuteOfDay(hour.closes) <= minuteOfDay(hour.opens))
      throw invalid(`${hour.day} ${hour.opens}-${hour.closes}: closes must be after opens`);
    const previous = sorted[i - 1];
    if (previous?.day === hour.day && minuteOfDay(hour.opens) < minuteOfDay(previous.closes)) {
      throw invalid(`${hour.day}: ${previous.opens}-${previous.closes} and ${hour.opens}-${hour.closes} overlap`);
    }
  });
  const minutes = sorted.reduce((sum, hour) => sum + minuteOfDay(hour.closes) - minuteOfDay(hour.opens), 0);
  if (minutes < MIN_MINUTES_A_WEEK)
    throw invalid(`Business hours must add up to at least ${MIN_MINUTES_A_WEEK} minutes a week`);
  return sorted;
}
