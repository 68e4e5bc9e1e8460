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

/**
 * A ticket's SLA clock: due dates and AT_RISK instants (80% of a target used, in wall-clock or
 * business minutes: see sla-calendar.ts) already moved on by the time spent PENDING.
 */
export interface SlaClock {
  slaFirstResponseMinutes: number | null;
  slaResolutionMinutes: number | null;
  firstResponseDueAt: Date | null;
  resolutionDueAt: Date | null;
  firstResponseAtRiskAt: Date | null;
  resolutionAtRiskAt: Date | null;
  firstRespondedAt: Date | null;
  resolvedAt: Date | null;
  /** Set while PENDING: the clock stands still at this instant. */
  slaPausedAt: Date | null;
}

interface Target {
  atRiskAt: Date;
  dueAt: Date;
  doneAt: Date | null;
}

/** Null when no policy applied to the ticket. */
export function slaStatusOf(clock: SlaClock, now: Date): SlaStatus | null {
  const targets: Target[] = [];
  if (clock.slaFirstResponseMinutes !== null && clock.firstResponseDueAt && clock.firstResponseAtRiskAt) {
    // A ticket resolved without a reply counts as answered when resolved.
    targets.push({
      atRiskAt: clock.firstResponseAtRiskAt,
      dueAt: clock.firstResponseDueAt,
      doneAt: clock.firstRespondedAt ?? clock.resolvedAt,
    });
  }
  if (clock.slaResolutionMinutes !== null && clock.resolutionDueAt && clock.resolutionAtRiskAt) {
    targets.push({ atRiskAt: clock.resolutionAtRiskAt, dueAt: clock.resolutionDueAt, doneAt: clock.resolvedAt });
  }
  if (!targets.length) return null;
  const at = (clock.slaPausedAt ?? now).getTime();
  if (targets.some((t) => (t.doneAt ? t.doneAt.getTime() : at) > t.dueAt.getTime())) return SlaStatus.BREACHED;
  if (clock.resolvedAt) return SlaStatus.MET;
  const atRisk = targets.some((t) => !t.doneAt && at >= t.atRiskAt.getTime());
  return atRisk ? SlaStatus.AT_RISK : SlaStatus.ON_TRACK;
}

/** An SLA target a ticket is measured against; alerts (sla_events) are per target. */
export enum SlaTarget {
  FIRST_RESPONSE = 'FIRST_RESPONSE',
  RESOLUTION = 'RESOLUTION',
}

/** The SQL clock: paused tickets stand still; `:slaNow` is the service's clock. */
const SQL_AT = 'coalesce(t.slaPausedAt, CAST(:slaNow AS timestamptz))';

/** Each target's columns (TypeORM property names over the tickets alias `t`), as `slaStatusOf` reads them. */
const SQL_TARGETS: Record<SlaTarget, { atRiskAt: string; dueAt: string; doneAt: string }> = {
  [SlaTarget.FIRST_RESPONSE]: {
    atRiskAt: 't.firstResponseAtRiskAt',
    dueAt: 't.firstResponseDueAt',
    doneAt: 'coalesce(t.firstRespondedAt, t.resolvedAt)',
  },
  [SlaTarget.RESOLUTION]: { atRiskAt: 't.resolutionAtRiskAt', dueAt: 't.resolutionDueAt', doneAt: 't.resolvedAt' },
};
const breachedSql = (target: SlaTarget) =>
  `${SQL_TARGETS[target].dueAt} < coalesce(${SQL_TARGETS[target].doneAt}, ${SQL_AT})`;
const atRiskSql = (target: SlaTarget) => {
  const { atRiskAt, doneAt } = SQL_TARGETS[target];
  return `(${doneAt} IS NULL AND ${SQL_AT} >= ${atRiskAt})`;
};
const TARGETS = Object.values(SlaTarget);

/**
 * `slaStatusOf` as SQL over the tickets alias `t` (TypeORM property names), for filtering in the
 * database; `:slaNow` is the clock. The two are checked against each other in sla.spec.ts.
 */
export const SLA_STATUS_SQL = `CASE
    WHEN t.slaResolutionMinutes IS NULL THEN NULL
    WHEN ${TARGETS.map(breachedSql).join(' OR ')} THEN 'BREACHED'
    WHEN t.resolvedAt IS NOT NULL THEN 'MET'
    WHEN ${TARGETS.map(atRiskSql).join(' OR ')} THEN 'AT_RISK'
    ELSE 'ON_TRACK'
  END`;

/** One target of an unfinished ticket as SQL: 'BREACHED', 'AT_RISK', or NULL (done, on track, or no SLA). */
export const slaTargetAlertSql = (target: SlaTarget) => `CASE
    WHEN ${SQL_TARGETS[target].doneAt} IS NOT NULL THEN NULL
    WHEN ${breachedSql(target)} THEN 'BREACHED'
    WHEN ${atRiskSql(target)} THEN 'AT_RISK'
  END`;

/**
 * When one target of an unfinished ticket (alias `t`) next needs the SLA check, as SQL: its AT_RISK instant until an
 * alert for it is recorded, then its due time until the breach is; NULL once done, while paused, or when both are.
 */
export const slaTargetNextCheckSql = (target: SlaTarget) => {
  const { atRiskAt, dueAt, doneAt } = SQL_TARGETS[target];
  const recorded = (statuses: string) =>
    `EXISTS (SELECT 1 FROM sla_events e WHERE e.ticket_id = t.id AND e.target = '${target}' AND e.status IN (${statuses}))`;
  return `CASE
    WHEN ${doneAt} IS NOT NULL OR t.slaPausedAt IS NOT NULL THEN NULL
    WHEN NOT ${recorded(`'${SlaStatus.AT_RISK}', '${SlaStatus.BREACHED}'`)} THEN (${atRiskAt})
    WHEN NOT ${recorded(`'${SlaStatus.BREACHED}'`)} THEN (${dueAt})
  END`;
};
