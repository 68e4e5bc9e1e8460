import type { EntityManager } from 'typeorm';
import type { AppConfig } from '../../core/config/config';
import type { ScopedTenant } from '../../core/tenancy/tenant-scope';
import type { MailOutbox, MailTemplates } from '../../integrations/mail';
import { SlaStatus, SlaTarget, slaTargetAlertSql, slaTargetNextCheckSql } from './sla-status';
import { Ticket } from './ticket.entity';
import { recordSlaAlert } from './ticket.events';

export interface SlaMonitorDependencies {
  outbox: MailOutbox;
  templates: MailTemplates;
  config: Pick<AppConfig, 'frontendUrl'>;
  /** The SLA clock (tests control it); the same as the TicketService's. */
  now: () => Date;
  timezoneOf: (em: EntityManager) => Promise<string>;
}

export interface SlaCheckOutcome {
  /** Targets that newly became AT_RISK or BREACHED. */
  events: number;
  mails: number;
}

interface Crossing {
  ticketId: string;
  number: number;
  subject: string;
  assigneeId: string | null;
  target: SlaTarget;
  status: SlaStatus.AT_RISK | SlaStatus.BREACHED;
  dueAt: Date;
}

interface Recipient {
  userId: string;
  role: string;
  email: string;
  firstName: string;
  organization: string;
}

const TARGET_WORDS: Record<SlaTarget, string> = {
  [SlaTarget.FIRST_RESPONSE]: 'first response',
  [SlaTarget.RESOLUTION]: 'resolution',
};
const DUE_COLUMN: Record<SlaTarget, 'firstResponseDueAt' | 'resolutionDueAt'> = {
  [SlaTarget.FIRST_RESPONSE]: 'firstResponseDueAt',
  [SlaTarget.RESOLUTION]: 'resolutionDueAt',
};

/**
 * Raises SLA alerts for one tenant (the every-minute `sla.check` job): each target of an
 * unfinished ticket that is now AT_RISK or BREACHED (the maths of sla-status.ts) is recorded
 * once in sla_events, and each new event mails the assignee, or the OWNERs and ADMINs of an
 * unassigned ticket, in the same transaction (outbox key per event and recipient), and is a domain event
 * (`ticket.sla_at_risk` / `ticket.sla_breached`).
 */
export class SlaMonitor {
  constructor(private readonly deps: SlaMonitorDependencies) {}

  async check(em: EntityManager, tenant: ScopedTenant): Promise<SlaCheckOutcome> {
    const now = this.deps.now();
    const crossings = await this.crossings(em, now);
    if (!crossings.length) return { events: 0, mails: 0 };
    // ON CONFLICT: a run racing this one (at-least-once delivery) already recorded the event and sent its mail.
    const recorded: { id: string; ticket_id: string; target: SlaTarget }[] = await em.query(
      `INSERT INTO sla_events (ticket_id, target, status, occurred_at)
       SELECT c.ticket_id, c.target, c.status, $4 FROM unnest($1::uuid[], $2::varchar[], $3::varchar[]) AS c(ticket_id, target, status)
       ON CONFLICT (ticket_id, target, status) DO NOTHING
       RETURNING id, ticket_id, target`,
      [crossings.map((c) => c.ticketId), crossings.map((c) => c.target), crossings.map((c) => c.status), now],
    );
    const recipients = await this.recipients(em, tenant.id, crossings);
    const localTime = localTimeIn(await this.deps.timezoneOf(em));
    const byTarget = new Map(crossings.map((c) => [`${c.ticketId}:${c.target}`, c]));
    let mails = 0;
    for (const event of recorded) {
      const crossing = byTarget.get(`${event.ticket_id}:${event.target}`)!;
      await recordSlaAlert(em, crossing);
      const assignee = recipients.find((r) => r.userId === crossing.assigneeId);
      // An assignee who left the organization is no one to tell: the admins are.
      for (const to of assignee ? [assignee] : recipients.filter((r) => r.role === 'OWNER' || r.role === 'ADMIN')) {
        await this.deps.outbox.enqueue(em, {
          idempotencyKey: `sla-alert:${tenant.id}:${event.id}:${to.userId}`,
          to: to.email,
          ...this.deps.templates.slaAlert({
            firstName: to.firstName,
            organizationName: to.organization,
            ticketNumber: crossing.number,
            ticketSubject: crossing.subject,
            target: TARGET_WORDS[crossing.target],
            breached: crossing.status === SlaStatus.BREACHED,
            dueAt: localTime(crossing.dueAt),
            link: `${this.deps.config.frontendUrl}/tickets/${crossing.ticketId}`,
          }),
        });
        mails += 1;
      }
    }
    return { events: recorded.length, mails };
  }

  /** When this tenant next needs `check` (after it ran): the earliest unrecorded AT_RISK or breach instant ahead. */
  async nextCheckAt(em: EntityManager): Promise<Date | null> {
    const [{ next }] = await em
      .createQueryBuilder(Ticket, 't')
      .select(`min(LEAST(${Object.values(SlaTarget).map(slaTargetNextCheckSql).join(', ')}))`, 'next')
      .where('t.resolvedAt IS NULL AND t.slaResolutionMinutes IS NOT NULL')
      .getRawMany<{ next: Date | null }>();
    return next;
  }

  /** Targets of unfinished tickets whose current alert state has no event yet. */
  private async crossings(em: EntityManager, now: Date): Promise<Crossing[]> {
    const stateOf = { [SlaTarget.FIRST_RESPONSE]: 'firstResponse', [SlaTarget.RESOLUTION]: 'resolution' } as const;
    const query = em
      .createQueryBuilder(Ticket, 't')
      .select('t.id', 'ticketId')
      .addSelect('t.number', 'number')
      .addSelect('t.subject', 'subject')
      .addSelect('t.assigneeId', 'assigneeId')
      .addSelect('t.firstResponseDueAt', 'firstResponseDueAt')
      .addSelect('t.resolutionDueAt', 'resolutionDueAt')
      .where('t.resolvedAt IS NULL AND t.slaResolutionMinutes IS NOT NULL')
      .setParameters({ slaNow: now });
    const unrecorded = Object.values(SlaTarget).map((target) => {
      query.addSelect(slaTargetAlertSql(target), stateOf[target]);
      const state = `(${slaTargetAlertSql(target)})`;
      return `(${state} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM sla_events e WHERE e.ticket_id = t.id AND e.target = '${target}' AND e.status = ${state}))`;
    });
    const rows: (Record<string, unknown> & {
      ticketId: string;
      number: number;
      subject: string;
      assigneeId: string | null;
    })[] = await query.andWhere(`(${unrecorded.join(' OR ')})`).getRawMany();
    return rows.flatMap((row) =>
      Object.values(SlaTarget)
        .filter((target) => row[stateOf[target]])
        .map((target) => ({
          ticketId: row.ticketId,
          number: row.number,
          subject: row.subject,
          assigneeId: row.assigneeId,
          target,
          status: row[stateOf[target]] as Crossing['status'],
          dueAt: row[DUE_COLUMN[target]] as Date,
        })),
    );
  }

  /** The organization's OWNERs and ADMINs, and the assignees of these tickets who are still members. */
  private recipients(em: EntityManager, tenantId: string, crossings: Crossing[]): Promise<Recipient[]> {
    const assignees = [...new Set(crossings.flatMap((c) => (c.assigneeId ? [c.assigneeId] : [])))];
    return em.query(
      `SELECT m.user_id AS "userId", m.role, u.email, u.first_name AS "firstName", o.name AS organization
         FROM public.memberships m JOIN public.users u ON u.id = m.user_id JOIN public.tenants o ON o.id = m.tenant_id
        WHERE m.tenant_id = $1 AND (m.role IN ('OWNER', 'ADMIN') OR m.user_id = ANY($2::uuid[]))
        ORDER BY u.email`,
      [tenantId, assignees],
    );
  }
}

/** Formats due times in the organization's zone: built once per check, not per mail. */
function localTimeIn(timeZone: string): (date: Date) => string {
  const format = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'short',
  });
  return (date) => format.format(date);
}
