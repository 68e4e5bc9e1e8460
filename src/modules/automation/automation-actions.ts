import { In, type EntityManager } from 'typeorm';
import { isAutomaticInbound } from '../../core/events';
import { NotFoundError } from '../../core/errors/app-error';
import { isUuid } from '../../core/tenancy/tenant-schema';
import type { MailOutbox, MailTemplates } from '../../integrations/mail';
import { Customer } from '../customers';
import type { ArticleService } from '../knowledge-base';
import type { Ticket, TicketActor, TicketService } from '../tickets';
import { Membership } from '../users';
import { AutomationActionType as A } from './automation-enums';
import { AutomationRule, type AutomationAction } from './automation-rule.entity';
import type { AutomationRunAction } from './automation-run.entity';
import { renderTemplate, type TemplateValues } from './automation-template';

export interface AutomationActionDependencies {
  tickets: Pick<TicketService, 'update' | 'assign' | 'addMessage' | 'applySlaPolicy'>;
  articles: Pick<ArticleService, 'link'>;
  outbox: Pick<MailOutbox, 'enqueue'>;
  templates: Pick<MailTemplates, 'ticketReply'>;
  frontendUrl: string;
}

/** One rule run's actions on one ticket, in the caller's transaction (the rule's savepoint). */
export interface ActionRun {
  em: EntityManager;
  actor: TicketActor;
  rule: AutomationRule;
  runId: string;
  ticket: Ticket;
}

const DEFAULT_MAIL_SUBJECT = 'Ticket #{{ticket.number}}: {{ticket.subject}}';

/** Applies a rule's actions in order through the ticket service and the outboxes; the first failure throws. */
export class AutomationActions {
  constructor(private readonly deps: AutomationActionDependencies) {}

  async apply(run: ActionRun): Promise<AutomationRunAction[]> {
    const done: AutomationRunAction[] = [];
    for (const action of run.rule.actions) done.push({ type: action.type, outcome: await this.applyOne(run, action) });
    return done;
  }

  /** What the action did, in a few words; `run.ticket` follows the ticket's changes. */
  private async applyOne(run: ActionRun, action: AutomationAction): Promise<string> {
    const { em, actor, ticket } = run;
    const { tickets } = this.deps;
    switch (action.type) {
      case A.SET_PRIORITY:
        run.ticket = await tickets.update(em, actor, ticket.id, { priority: action.priority! });
        return `priority ${action.priority}`;
      case A.SET_STATUS:
        run.ticket = await tickets.update(em, actor, ticket.id, { status: action.status! });
        return `status ${action.status}`;
      case A.ADD_TAGS:
      case A.REMOVE_TAGS: {
        const given = new Set(action.tags);
        const tags =
          action.type === A.ADD_TAGS
            ? [...new Set([...ticket.tags, ...given])]
            : ticket.tags.filter((tag) => !given.has(tag));
        run.ticket = await tickets.update(em, actor, ticket.id, { tags });
        return `tags ${run.ticket.tags.join(', ') || '(none)'}`;
      }
      case A.ASSIGN:
        run.ticket = await tickets.assign(em, actor, ticket.id, action.memberId!);
        return `assigned to ${action.memberId}`;
      case A.ASSIGN_ROUND_ROBIN:
        return this.roundRobin(run, action);
      case A.APPLY_SLA_POLICY:
        run.ticket = await tickets.applySlaPolicy(em, ticket.id, action.slaPolicyId!);
        return `SLA policy ${action.slaPolicyId}`;
      case A.ADD_NOTE:
        await tickets.addMessage(em, actor, ticket.id, renderTemplate(action.body!, await this.values(run)), true);
        return 'internal note added';
      case A.SEND_REPLY: {
        // RFC 3834: nothing automatic answers automatic mail (the mailbox marked it so).
        if (await isAutomaticInbound(em)) return 'skipped: the message is automatic mail';
        const body = renderTemplate(action.body!, await this.values(run));
        await tickets.addMessage(em, actor, ticket.id, body, false);
        return `reply queued on ${ticket.channel}`;
      }
      case A.MAIL_MEMBER:
        return this.mailMember(run, action);
      case A.LINK_ARTICLE:
        await this.deps.articles.link(em, ticket.id, action.articleId!);
        return `article ${action.articleId} linked`;
    }
  }

  /**
   * The member with the role after the one who got the rule's last ticket (by user id, wrapping around): the rule's
   * row is locked meanwhile, so concurrent tickets take turns.
   */
  private async roundRobin(run: ActionRun, action: AutomationAction): Promise<string> {
    const { em, actor } = run;
    const members = await em.find(Membership, {
      where: { tenantId: actor.tenantId, role: In([action.role!]) },
      order: { userId: 'ASC' },
    });
    if (!members.length) throw new NotFoundError(`Member with the role ${action.role}`);
    const rule = await em.findOne(AutomationRule, { where: { id: run.rule.id }, lock: { mode: 'pessimistic_write' } });
    const last = rule?.roundRobinLastUserId;
    const next = members.find((m) => last !== null && last !== undefined && m.userId > last) ?? members[0];
    await em.update(AutomationRule, run.rule.id, { roundRobinLastUserId: next.userId });
    run.ticket = await this.deps.tickets.assign(em, actor, run.ticket.id, next.userId);
    return `assigned to ${next.userId} (round robin among ${action.role})`;
  }

  /** Through the mail outbox, once per run and recipient; none to mail when the ticket has no assignee. */
  private async mailMember(run: ActionRun, action: AutomationAction): Promise<string> {
    const userId = action.memberId ?? run.ticket.assigneeId;
    if (!userId) return 'skipped: the ticket has no assignee';
    const [member]: { email: string }[] = isUuid(userId)
      ? await run.em.query(
          `SELECT u.email FROM public.memberships m JOIN public.users u ON u.id = m.user_id
            WHERE m.tenant_id = $1 AND m.user_id = $2`,
          [run.actor.tenantId, userId],
        )
      : [];
    if (!member) throw new NotFoundError('Member', userId);
    const values = await this.values(run);
    const link = `${this.deps.frontendUrl}/tickets/${run.ticket.id}`;
    await this.deps.outbox.enqueue(run.em, {
      idempotencyKey: `automation:${run.actor.tenantId}:${run.runId}:${userId}`,
      to: member.email,
      ...this.deps.templates.ticketReply({
        subject: renderTemplate(action.subject ?? DEFAULT_MAIL_SUBJECT, values),
        body: `${renderTemplate(action.body!, values)}\n\n${link}`,
      }),
    });
    return `mail queued to ${member.email}`;
  }

  private async values(run: ActionRun): Promise<TemplateValues> {
    const { ticket } = run;
    const customer = ticket.customerId ? await run.em.findOneBy(Customer, { id: ticket.customerId }) : null;
    return {
      'ticket.number': String(ticket.number),
      'ticket.subject': ticket.subject,
      'ticket.status': ticket.status,
      'ticket.priority': ticket.priority,
      'customer.name': customer?.name ?? '',
    };
  }
}
