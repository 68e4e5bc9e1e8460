import type { EntityManager, SelectQueryBuilder } from 'typeorm';
import { BadUserInputError } from '../../core/errors/app-error';
import type { EntitlementService } from '../plans';
import type { BusinessCalendar } from './business-hours';
import { businessHoursCalendar } from './sla-calendar';
import type { SlaReport } from './sla-report.types';
import { SLA_STATUS_SQL } from './sla-status';
import { Ticket } from './ticket.entity';

/** The columns of a target whose SLA minutes are averaged: met at doneAt (if so), due at dueAt, of `minutes`. */
const AVERAGED = {
  firstResponse: { doneAt: 't.firstRespondedAt', dueAt: 't.firstResponseDueAt', minutes: 't.slaFirstResponseMinutes' },
  resolution: { doneAt: 't.resolvedAt', dueAt: 't.resolutionDueAt', minutes: 't.slaResolutionMinutes' },
} as const;
type Averaged = keyof typeof AVERAGED;

/**
 * SLA minutes a met target took: its due date moved on by every pause before it was met, so
 * target minutes + SLA minutes from due to done is the time elapsed minus the time spent PENDING.
 * Wall-clock tickets are summed in the database; business-hours ones need the calendar (in JS).
 */
const wallClockSums = (target: Averaged) => {
  const { doneAt, dueAt, minutes } = AVERAGED[target];
  const wallClock = `FILTER (WHERE NOT t.slaBusinessHoursOnly AND ${doneAt} IS NOT NULL AND ${dueAt} IS NOT NULL)`;
  return [`sum(extract(epoch FROM ${doneAt} - ${dueAt}) / 60 + ${minutes}) ${wallClock}`, `count(*) ${wallClock}`];
};

/** The SLA report of one tenant: one aggregate query over the period's tickets, statuses as of the service's clock. */
export class SlaReportService {
  constructor(
    private readonly entitlements: Pick<EntitlementService, 'requireFeature'>,
    private readonly calendarOf: (em: EntityManager) => Promise<BusinessCalendar>,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async report(em: EntityManager, tenantId: string, from: Date, to: Date): Promise<SlaReport> {
    if (from.getTime() >= to.getTime())
      throw new BadUserInputError('`to` must be after `from`', { reason: 'INVALID_PERIOD' });
    await this.entitlements.requireFeature(em, tenantId, 'sla_policies');
    const inPeriod = em
      .createQueryBuilder(Ticket, 't')
      .where('t.createdAt >= :from AND t.createdAt < :to', { from, to, slaNow: this.now() });
    const [firstResponseSum, firstResponseCount] = wallClockSums('firstResponse');
    const [resolutionSum, resolutionCount] = wallClockSums('resolution');
    const row = (await inPeriod
      .clone()
      .select('count(*)::int', 'ticketsTotal')
      .addSelect('count(t.slaResolutionMinutes)::int', 'slaTickets')
      .addSelect(`count(*) FILTER (WHERE (${SLA_STATUS_SQL}) = 'BREACHED')::int`, 'breached')
      .addSelect(`count(*) FILTER (WHERE (${SLA_STATUS_SQL}) = 'AT_RISK')::int`, 'atRisk')
      .addSelect(firstResponseSum, 'firstResponseSum')
      .addSelect(firstResponseCount, 'firstResponseCount')
      .addSelect(resolutionSum, 'resolutionSum')
      .addSelect(resolutionCount, 'resolutionCount')
      .getRawOne<Record<string, string | number | null>>())!; // an aggregate always has its one row
    const business = await this.businessHoursMinutes(em, inPeriod);
    const average = (target: Averaged) => {
      const count = Number(row[`${target}Count`]) + business[target].length;
      return count
        ? (Number(row[`${target}Sum`] ?? 0) + business[target].reduce((sum, minutes) => sum + minutes, 0)) / count
        : null;
    };
    const slaTickets = Number(row.slaTickets);
    return {
      ticketsTotal: Number(row.ticketsTotal),
      slaTickets,
      breachRate: slaTickets ? Number(row.breached) / slaTickets : 0,
      averageFirstResponseMinutes: average('firstResponse'),
      averageResolutionMinutes: average('resolution'),
      atRisk: Number(row.atRisk),
    };
  }

  /** The business minutes each met target of the period's business-hours tickets took, in today's hours. */
  private async businessHoursMinutes(
    em: EntityManager,
    inPeriod: SelectQueryBuilder<Ticket>,
  ): Promise<Record<Averaged, number[]>> {
    const targets = Object.keys(AVERAGED) as Averaged[];
    const query = inPeriod.clone().select([]).andWhere('t.slaBusinessHoursOnly');
    for (const target of targets) {
      const { doneAt, dueAt, minutes } = AVERAGED[target];
      query.addSelect(doneAt, `${target}Done`).addSelect(dueAt, `${target}Due`).addSelect(minutes, `${target}Minutes`);
    }
    const rows: Record<string, Date | number | null>[] = await query
      .andWhere('(t.firstRespondedAt IS NOT NULL OR t.resolvedAt IS NOT NULL)')
      .getRawMany();
    const result: Record<Averaged, number[]> = { firstResponse: [], resolution: [] };
    if (!rows.length) return result;
    const calendar = businessHoursCalendar(await this.calendarOf(em));
    for (const row of rows) {
      for (const target of targets) {
        const [done, due, minutes] = [row[`${target}Done`], row[`${target}Due`], row[`${target}Minutes`]];
        if (done instanceof Date && due instanceof Date)
          result[target].push(Number(minutes) + calendar.minutesBetween(due, done));
      }
    }
    return result;
  }
}
