import { addBusinessMinutes, businessMinutesBetween, type BusinessCalendar } from './business-hours';
import type { SlaPolicy } from './sla-policy.entity';
import type { SlaClock } from './sla-status';

const MINUTE = 60_000;

/** How a ticket's SLA minutes pass: every minute (wall clock), or only within the tenant's business hours. */
export interface SlaCalendar {
  /** The earliest instant at which `minutes` SLA minutes have passed since `start`. */
  add(start: Date, minutes: number): Date;
  /** SLA minutes from `from` to `to`; negative when `to` is earlier. */
  minutesBetween(from: Date, to: Date): number;
}

export const WALL_CLOCK: SlaCalendar = {
  add: (start, minutes) => new Date(start.getTime() + Math.round(minutes * MINUTE)),
  minutesBetween: (from, to) => (to.getTime() - from.getTime()) / MINUTE,
};

export const businessHoursCalendar = (calendar: BusinessCalendar): SlaCalendar => ({
  add: (start, minutes) => addBusinessMinutes(start, minutes, calendar),
  minutesBetween: (from, to) =>
    from <= to ? businessMinutesBetween(from, to, calendar) : -businessMinutesBetween(to, from, calendar),
});

/**
 * A target of `minutes` started at `start`: due when all are used, AT_RISK once 80% are (4/5: exact in integers, 0.8 is
 * not).
 */
function targetDeadlines(calendar: SlaCalendar, start: Date, minutes: number): { dueAt: Date; atRiskAt: Date } {
  return { dueAt: calendar.add(start, minutes), atRiskAt: calendar.add(start, (minutes * 4) / 5) };
}

/** What a ticket stores of its SLA. */
export type SlaColumns = Omit<SlaClock, 'firstRespondedAt' | 'resolvedAt' | 'slaPausedAt'> & {
  slaBusinessHoursOnly: boolean;
};

export const NO_SLA: SlaColumns = {
  slaBusinessHoursOnly: false,
  slaFirstResponseMinutes: null,
  slaResolutionMinutes: null,
  firstResponseDueAt: null,
  firstResponseAtRiskAt: null,
  resolutionDueAt: null,
  resolutionAtRiskAt: null,
};

/** The targets of a ticket opened at `openedAt` under its priority's policy, counted on the policy's calendar. */
export function slaOnOpening(policy: SlaPolicy, calendar: SlaCalendar, openedAt: Date): SlaColumns {
  const firstResponse = targetDeadlines(calendar, openedAt, policy.firstResponseMinutes);
  const resolution = targetDeadlines(calendar, openedAt, policy.resolutionMinutes);
  return {
    slaBusinessHoursOnly: policy.businessHoursOnly,
    slaFirstResponseMinutes: policy.firstResponseMinutes,
    slaResolutionMinutes: policy.resolutionMinutes,
    firstResponseDueAt: firstResponse.dueAt,
    firstResponseAtRiskAt: firstResponse.atRiskAt,
    resolutionDueAt: resolution.dueAt,
    resolutionAtRiskAt: resolution.atRiskAt,
  };
}

/**
 * After a pause from `pausedAt` to `now`: the unmet targets' instants move on by the SLA minutes
 * that passed meanwhile. Equivalently, each keeps the SLA minutes it had left when paused (the
 * earliest instant with that many minutes after `now`), so a breach before the pause stays one.
 */
export function moveSlaOn(clock: SlaClock, calendar: SlaCalendar, pausedAt: Date, now: Date): void {
  const paused = calendar.minutesBetween(pausedAt, now);
  const moved = (at: Date | null) => at && calendar.add(at, paused);
  if (!clock.firstRespondedAt) {
    clock.firstResponseDueAt = moved(clock.firstResponseDueAt);
    clock.firstResponseAtRiskAt = moved(clock.firstResponseAtRiskAt);
  }
  clock.resolutionDueAt = moved(clock.resolutionDueAt);
  clock.resolutionAtRiskAt = moved(clock.resolutionAtRiskAt);
}
