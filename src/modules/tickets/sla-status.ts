import { registerEnumType } from 'type-graphql';

export enum SlaStatus {
  ON_TRACK = 'ON_TRACK',
  /** At least 80% of a target's time is used. */
  AT_RISK = 'AT_RISK',
  BREACHED = 'BREACHED',
  /** Resolved with every target met. */
  MET = 'MET',
}
registerEnumType(SlaStatus, { name: 'SlaStatus' });

/** AT_RISK once at most a fifth (20%) of a target's time is left; in integers, as 0.8 is not exact in floating point. */
const AT_RISK_FRACTION_LEFT = 5;
const MINUTE = 60_000;

/** A ticket's SLA clock: due dates already moved on by the time spent PENDING. */
export interface SlaClock {
  slaFirstResponseMinutes: number | null;
  slaResolutionMinutes: number | null;
  firstResponseDueAt: Date | null;
  resolutionDueAt: Date | null;
  firstRespondedAt: Date | null;
  resolvedAt: Date | null;
  /** Set while PENDING: the clock stands still at this instant. */
  slaPausedAt: Date | null;
}

interface Target {
  minutes: number;
  dueAt: Date;
  doneAt: Date | null;
}

/** Null when no policy applied to the ticket. */
export function slaStatusOf(clock: SlaClock, now: Date): SlaStatus | null {
  const targets: Target[] = [];
  if (clock.slaFirstResponseMinutes !== null && clock.firstResponseDueAt) {
    // A ticket resolved without a reply counts as answered when resolved.
    targets.push({ minutes: clock.slaFirstResponseMinutes, dueAt: clock.firstResponseDueAt, doneAt: clock.firstRespondedAt ?? clock.resolvedAt });
  }
  if (clock.slaResolutionMinutes !== null && clock.resolutionDueAt) {
    targets.push({ minutes: clock.slaResolutionMinutes, dueAt: clock.resolutionDueAt, doneAt: clock.resolvedAt });
  }
  if (!targets.length) return null;
  const at = (clock.slaPausedAt ?? now).getTime();
  if (targets.some((t) => (t.doneAt ? t.doneAt.getTime() : at) > t.dueAt.getTime())) return SlaStatus.BREACHED;
  if (clock.resolvedAt) return SlaStatus.MET;
  const atRisk = targets.some((t) => !t.doneAt && (t.dueAt.getTime() - at) * AT_RISK_FRACTION_LEFT <= t.minutes * MINUTE);
  return atRisk ? SlaStatus.AT_RISK : SlaStatus.ON_TRACK;
}

export const addMinutes = (date: Date, minutes: number) => new Date(date.getTime() + minutes * MINUTE);

/**
 * `slaStatusOf` as SQL over the tickets alias `t` (TypeORM property names), for filtering in the
 * database; `:slaNow` is the clock. The two are checked against each other in sla.spec.ts.
 */
export const SLA_STATUS_SQL = (() => {
  const at = 'coalesce(t.slaPausedAt, CAST(:slaNow AS timestamptz))';
  return `CASE
    WHEN t.slaResolutionMinutes IS NULL THEN NULL
    WHEN t.firstResponseDueAt < coalesce(t.firstRespondedAt, t.resolvedAt, ${at}) OR t.resolutionDueAt < coalesce(t.resolvedAt, ${at}) THEN 'BREACHED'
    WHEN t.resolvedAt IS NOT NULL THEN 'MET'
    WHEN (t.firstRespondedAt IS NULL AND (t.firstResponseDueAt - ${at}) * ${AT_RISK_FRACTION_LEFT} <= make_interval(mins => t.slaFirstResponseMinutes))
      OR (t.resolutionDueAt - ${at}) * ${AT_RISK_FRACTION_LEFT} <= make_interval(mins => t.slaResolutionMinutes) THEN 'AT_RISK'
    ELSE 'ON_TRACK'
  END`;
})();
