import { minuteOfDay, Weekday, type BusinessHours } from '../settings';

/** The hours a business-hours SLA counts: weekly openings in local time, and the IANA zone they are in. */
export interface BusinessCalendar {
  timeZone: string;
  hours: readonly BusinessHours[];
}

const MINUTE = 60_000;
const DAY = 86_400_000;
/** Indexed as Date#getUTCDay numbers them. */
const BY_DAY_NUMBER = [
  Weekday.SUNDAY,
  Weekday.MONDAY,
  Weekday.TUESDAY,
  Weekday.WEDNESDAY,
  Weekday.THURSDAY,
  Weekday.FRIDAY,
  Weekday.SATURDAY,
];

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Local wall-clock time minus UTC at an instant, in ms (+3_600_000 for Berlin in winter). */
function offsetAt(instant: number, timeZone: string): number {
  let format = formatters.get(timeZone);
  if (!format) {
    const numeric = 'numeric';
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: numeric,
      month: numeric,
      day: numeric,
      hour: numeric,
      minute: numeric,
      second: numeric,
    });
    formatters.set(timeZone, format);
  }
  const part = Object.fromEntries(format.formatToParts(instant).map((p) => [p.type, Number(p.value)]));
  const wall = Date.UTC(part.year, part.month - 1, part.day, part.hour, part.minute, part.second);
  return wall - (instant - (((instant % 1000) + 1000) % 1000));
}

/**
 * The openings of a calendar as instants, one local day at a time. Days are numbered from
 * 1970-01-01 on the local calendar; the zone's offsets are memoized for the walk.
 */
class OpeningWalk {
  private readonly openings: [number, number][][] = BY_DAY_NUMBER.map(() => []);
  private readonly offsets = new Map<number, number>();

  constructor(private readonly calendar: BusinessCalendar) {
    for (const hour of calendar.hours)
      this.openings[BY_DAY_NUMBER.indexOf(hour.day)].push([minuteOfDay(hour.opens), minuteOfDay(hour.closes)]);
    for (const day of this.openings) day.sort((a, b) => a[0] - b[0]);
    if (!calendar.hours.length) throw new Error('A business calendar needs at least one opening');
  }

  /** The local day an instant falls on. */
  dayOf(instant: number): number {
    return Math.floor((instant + this.offset(instant)) / DAY);
  }

  /** The day's openings as [opens, closes) instants, in order; one whose times the clocks skip may come out empty. */
  *openingsOn(day: number): Generator<[number, number]> {
    const openings = this.openings[(((day + 4) % 7) + 7) % 7]; // day 0 was a Thursday
    if (!openings.length) return;
    // The offsets a day before and after the day: equal unless the clocks change on or next to it.
    const before = this.offset((day - 1) * DAY);
    const after = this.offset((day + 2) * DAY);
    for (const [opens, closes] of openings) {
      yield [
        this.instant(day * DAY + opens * MINUTE, before, after),
        this.instant(day * DAY + closes * MINUTE, before, after),
      ];
    }
  }

  /**
   * The instant of a local wall-clock time. Near an offset change it may occur twice (clocks going
   * back: the earlier) or not at all (clocks going forward: moved on by the gap), as Temporal's 'compatible'.
   */
  private instant(wall: number, before: number, after: number): number {
    if (before === after) return wall - before;
    const readsBack = (offset: number) => this.offset(wall - offset) === offset;
    return readsBack(after) && !readsBack(before) ? wall - after : wall - before;
  }

  private offset(instant: number): number {
    let offset = this.offsets.get(instant);
    if (offset === undefined) this.offsets.set(instant, (offset = offsetAt(instant, this.calendar.timeZone)));
    return offset;
  }
}

/**
 * One walk per calendar object, so its memoized offsets serve every sum over it (an SLA report makes one per ticket).
 */
const walks = new WeakMap<BusinessCalendar, OpeningWalk>();

function walkOf(calendar: BusinessCalendar): OpeningWalk {
  let walk = walks.get(calendar);
  if (!walk) walks.set(calendar, (walk = new OpeningWalk(calendar)));
  return walk;
}

/**
 * The instant at which `minutes` business minutes have passed since `start`: the earliest such
 * instant, so a target using up a day's last minute is due at closing, not at the next opening.
 */
export function addBusinessMinutes(start: Date, minutes: number, calendar: BusinessCalendar): Date {
  let left = Math.round(minutes * MINUTE);
  if (left <= 0) return start;
  const walk = walkOf(calendar);
  for (let day = walk.dayOf(start.getTime()); ; day += 1) {
    for (const [opens, closes] of walk.openingsOn(day)) {
      const from = Math.max(opens, start.getTime());
      if (closes <= from) continue;
      if (left <= closes - from) return new Date(from + left);
      left -= closes - from;
    }
  }
}

/** Business minutes in [from, to); 0 when `to` is not after `from`. */
export function businessMinutesBetween(from: Date, to: Date, calendar: BusinessCalendar): number {
  if (to.getTime() <= from.getTime()) return 0;
  const walk = walkOf(calendar);
  let total = 0;
  for (let day = walk.dayOf(from.getTime()), last = walk.dayOf(to.getTime()); day <= last; day += 1) {
    for (const [opens, closes] of walk.openingsOn(day)) {
      total += Math.max(0, Math.min(closes, to.getTime()) - Math.max(opens, from.getTime()));
    }
  }
  return total / MINUTE;
}
