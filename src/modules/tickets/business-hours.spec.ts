import { Weekday } from '../settings';
import { addBusinessMinutes, businessMinutesBetween, type BusinessCalendar } from './business-hours';

const weekdays = [Weekday.MONDAY, Weekday.TUESDAY, Weekday.WEDNESDAY, Weekday.THURSDAY, Weekday.FRIDAY];
const nineToFive = (timeZone: string): BusinessCalendar => ({
  timeZone,
  hours: weekdays.map((day) => ({ day, opens: '09:00', closes: '17:00' })),
});
const berlin = nineToFive('Europe/Berlin');
const at = (iso: string) => new Date(iso);

describe('business-hours calendar maths', () => {
  it('crosses a night: Tuesday 16:30 Berlin + 60 minutes is Wednesday 09:30', () => {
    expect(addBusinessMinutes(at('2026-03-03T16:30:00+01:00'), 60, berlin)).toEqual(at('2026-03-04T09:30:00+01:00'));
    expect(businessMinutesBetween(at('2026-03-03T16:30:00+01:00'), at('2026-03-04T09:30:00+01:00'), berlin)).toBe(60);
  });

  it('crosses a weekend: Friday 16:30 + 60 minutes is Monday 09:30, and 80% of it Monday 09:18', () => {
    expect(addBusinessMinutes(at('2026-03-06T16:30:00+01:00'), 60, berlin)).toEqual(at('2026-03-09T09:30:00+01:00'));
    expect(addBusinessMinutes(at('2026-03-06T16:30:00+01:00'), 48, berlin)).toEqual(at('2026-03-09T09:18:00+01:00'));
    // A whole week of 5 × 8 hours from Saturday noon ends at the next Friday's closing.
    expect(addBusinessMinutes(at('2026-03-07T12:00:00+01:00'), 5 * 8 * 60, berlin)).toEqual(
      at('2026-03-13T17:00:00+01:00'),
    );
  });

  it('starts counting at the opening when started before it, and mid-day when started inside it', () => {
    expect(addBusinessMinutes(at('2026-03-02T06:00:00+01:00'), 30, berlin)).toEqual(at('2026-03-02T09:30:00+01:00'));
    expect(addBusinessMinutes(at('2026-03-02T12:10:00+01:00'), 30, berlin)).toEqual(at('2026-03-02T12:40:00+01:00'));
    expect(businessMinutesBetween(at('2026-03-02T06:00:00+01:00'), at('2026-03-02T12:10:00+01:00'), berlin)).toBe(190);
  });

  it('is due at closing (not the next opening) when the target uses up the day, and counts nothing for 0 minutes', () => {
    expect(addBusinessMinutes(at('2026-03-02T16:00:00+01:00'), 60, berlin)).toEqual(at('2026-03-02T17:00:00+01:00'));
    expect(addBusinessMinutes(at('2026-03-07T10:00:00+01:00'), 0, berlin)).toEqual(at('2026-03-07T10:00:00+01:00'));
    expect(businessMinutesBetween(at('2026-03-07T10:00:00+01:00'), at('2026-03-08T20:00:00+01:00'), berlin)).toBe(0);
    expect(businessMinutesBetween(at('2026-03-04T10:00:00+01:00'), at('2026-03-03T10:00:00+01:00'), berlin)).toBe(0);
  });

  it('follows a lunch break and an opening only on some days', () => {
    const calendar: BusinessCalendar = {
      timeZone: 'Europe/Berlin',
      hours: [
        { day: Weekday.SATURDAY, opens: '10:00', closes: '12:00' },
        { day: Weekday.MONDAY, opens: '13:00', closes: '17:00' },
        { day: Weekday.MONDAY, opens: '08:00', closes: '12:00' },
      ],
    };
    expect(addBusinessMinutes(at('2026-03-02T11:30:00+01:00'), 60, calendar)).toEqual(at('2026-03-02T13:30:00+01:00'));
    expect(addBusinessMinutes(at('2026-03-02T16:30:00+01:00'), 180, calendar)).toEqual(at('2026-03-09T08:30:00+01:00')); // 30 Mon + 120 Sat + 30 next Mon
    expect(businessMinutesBetween(at('2026-03-02T00:00:00+01:00'), at('2026-03-09T00:00:00+01:00'), calendar)).toBe(
      8 * 60 + 2 * 60,
    );
  });

  it('uses the offset in force on each day across a DST change (Europe/Berlin, 29 March and 25 October 2026)', () => {
    // Friday 16:00 CET + 120 minutes: 60 on Friday, 60 on Monday from 09:00 CEST (07:00 UTC, not 08:00).
    expect(addBusinessMinutes(at('2026-03-27T15:00:00Z'), 120, berlin)).toEqual(at('2026-03-30T08:00:00Z'));
    expect(addBusinessMinutes(at('2026-10-23T14:00:00Z'), 120, berlin)).toEqual(at('2026-10-26T09:00:00Z')); // CEST → CET
    // Open all Sunday: that Sunday has 23 real hours in spring and 25 in autumn.
    const sundays: BusinessCalendar = {
      timeZone: 'Europe/Berlin',
      hours: [{ day: Weekday.SUNDAY, opens: '00:00', closes: '24:00' }],
    };
    expect(businessMinutesBetween(at('2026-03-28T12:00:00Z'), at('2026-03-30T12:00:00Z'), sundays)).toBe(23 * 60);
    expect(businessMinutesBetween(at('2026-10-24T12:00:00Z'), at('2026-10-26T12:00:00Z'), sundays)).toBe(25 * 60);
    // Sunday 00:00 CET (Saturday 23:00 UTC) + 180 real minutes is 04:00 CEST.
    expect(addBusinessMinutes(at('2026-03-28T20:00:00Z'), 180, sundays)).toEqual(at('2026-03-29T02:00:00Z'));
  });

  it('opens at a time the clocks skip as soon as the clocks allow', () => {
    const skipped: BusinessCalendar = {
      timeZone: 'Europe/Berlin',
      hours: [{ day: Weekday.SUNDAY, opens: '02:30', closes: '04:00' }],
    };
    // 02:30 does not exist on 29 March 2026: the opening starts at 03:30 CEST (as Temporal's 'compatible'), leaving 30
    // minutes.
    expect(businessMinutesBetween(at('2026-03-28T12:00:00Z'), at('2026-03-30T12:00:00Z'), skipped)).toBe(30);
    expect(businessMinutesBetween(at('2026-03-21T12:00:00Z'), at('2026-03-23T12:00:00Z'), skipped)).toBe(90);
  });

  it('works in a zone with a quarter-hour offset and agrees with itself: between(start, add(start, m)) = m', () => {
    const kathmandu = nineToFive('Asia/Kathmandu');
    expect(addBusinessMinutes(at('2026-03-06T16:30:00+05:45'), 60, kathmandu)).toEqual(at('2026-03-09T09:30:00+05:45'));
    for (const calendar of [berlin, kathmandu, nineToFive('America/New_York')]) {
      for (let i = 0; i < 40; i += 1) {
        const start = new Date(Date.UTC(2026, 0, 1) + i * 7_919_000 * 97); // spread over the year, DST changes included
        const minutes = (i * 997) % 6000;
        expect(businessMinutesBetween(start, addBusinessMinutes(start, minutes, calendar), calendar)).toBeCloseTo(
          minutes,
          6,
        );
      }
    }
  });

  it('reaches a year of minutes with an hour a week open (the least settings allow)', () => {
    const hourAWeek: BusinessCalendar = {
      timeZone: 'Europe/Berlin',
      hours: [{ day: Weekday.MONDAY, opens: '09:00', closes: '10:00' }],
    };
    const due = addBusinessMinutes(at('2026-03-02T09:00:00+01:00'), 525_600, hourAWeek);
    expect(businessMinutesBetween(at('2026-03-02T09:00:00+01:00'), due, hourAWeek)).toBe(525_600);
    expect(due.getUTCFullYear()).toBe(2026 + 168);
  });
});
