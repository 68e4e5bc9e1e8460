import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { registerEventHook, type DomainEventType, type NewDomainEvent } from '../../core/events';
import { Customer } from '../customers';
import {
  businessMinutesBetween,
  TicketMessage,
  type BusinessCalendar,
  type Ticket,
  type TicketService,
} from '../tickets';
import type { AutomationActions } from './automation-actions';
import { evaluateConditions, type ConditionResult, type TicketFacts } from './automation-conditions';
import { AutomationTriggerType as T } from './automation-enums';
import { AutomationRule, type AutomationAction } from './automation-rule.entity';
import { AutomationRun } from './automation-run.entity';

/** The ticket events rules react to. */
const TRIGGER_OF: Partial<Record<DomainEventType, T>> = {
  'ticket.created': T.TICKET_CREATED,
  'ticket.updated': T.TICKET_UPDATED,
  'ticket.message_added': T.MESSAGE_ADDED,
  'ticket.sla_at_risk': T.SLA_AT_RISK,
  'ticket.sla_breached': T.SLA_BREACHED,
};

/** How many rules may follow one another from one change (rule A's change triggering B, …): stops loops. */
export const MAX_CHAIN_DEPTH = 5;
/** The actor of every event a rule's actions record. */
export const AUTOMATION_ACTOR = 'system:automation';

/** The rule run in progress in this async context: the events its actions record do not run it again. */
interface Chain {
  depth: number;
  ruleId: string;
  root: ChainRoot;
}

/** Shared by every rule run a change sets off: once the cap stops one, the rest of that change's rules stop too. */
interface ChainRoot {
  stopped: boolean;
}

export interface AutomationEngineDependencies {
  actions: AutomationActions;
  tickets: Pick<TicketService, 'get'>;
  calendarOf: (em: EntityManager) => Promise<BusinessCalendar>;
  now: () => Date;
}

export interface RuleEvaluation {
  matched: boolean;
  conditions: ConditionResult[];
  actions: AutomationAction[];
}

interface RunContext {
  trigger: T;
  depth: number;
  root: ChainRoot;
  /** The triggering message's text (MESSAGE_ADDED). */
  messageBody?: string;
  /** TIME_ELAPSED: the moment counted from. */
  anchorAt?: Date;
}

/**
 * Runs the organization's rules in the transaction of the change that triggers them (an event hook). Each matching
 * rule's actions run in a SAVEPOINT: a failing action undoes that rule's effects, never the triggering change nor
 * the other rules', and the run records the error. Every evaluation is an automation_runs row.
 */
export class AutomationEngine {
  private readonly chain = new AsyncLocalStorage<Chain>();

  constructor(private readonly deps: AutomationEngineDependencies) {}

  /** Hooks the engine to the ticket events of the app's data source. */
  register(dataSource: DataSource): void {
    registerEventHook(dataSource, Object.keys(TRIGGER_OF) as DomainEventType[], (em, event) => this.onEvent(em, event));
  }

  async onEvent(em: EntityManager, event: NewDomainEvent): Promise<boolean> {
    const trigger = TRIGGER_OF[event.type]!;
    const payload = event.payload ?? {};
    // Internal notes are the team talking to itself: no MESSAGE_ADDED.
    if (trigger === T.MESSAGE_ADDED && payload.internal) return false;
    const chain = this.chain.getStore();
    const rules = (await this.activeRules(em, trigger)).filter(
      (rule) =>
        rule.id !== chain?.ruleId &&
        (trigger !== T.MESSAGE_ADDED || !rule.trigger.messageAuthor || rule.trigger.messageAuthor === payload.author),
    );
    if (!rules.length) return false;
    const messageBody =
      trigger === T.MESSAGE_ADDED
        ? (await em.findOneBy(TicketMessage, { id: String(payload.messageId) }))?.body
        : undefined;
    return this.runRules(em, rules, event.entityId, {
      trigger,
      depth: (chain?.depth ?? 0) + 1,
      root: chain?.root ?? { stopped: false },
      messageBody,
    });
  }

  /** A TIME_ELAPSED rule on one ticket whose time has come (the sweep), once per anchor. */
  runTimed(em: EntityManager, rule: AutomationRule, ticketId: string, anchorAt: Date): Promise<boolean> {
    return this.runRules(em, [rule], ticketId, {
      trigger: T.TIME_ELAPSED,
      depth: 1,
      root: { stopped: false },
      anchorAt,
    });
  }

  /** What the rule would do to the ticket now, read-only. */
  async preview(
    em: EntityManager,
    rule: Pick<AutomationRule, 'match' | 'conditions' | 'actions'>,
    ticketId: string,
  ): Promise<RuleEvaluation> {
    const ticket = await this.deps.tickets.get(em, ticketId);
    const result = await evaluateConditions(rule.match, rule.conditions, this.facts(em, ticket));
    return { ...result, actions: result.matched ? rule.actions : [] };
  }

  private activeRules(em: EntityManager, trigger: T): Promise<AutomationRule[]> {
    return em.find(AutomationRule, {
      where: { active: true, triggerType: trigger },
      order: { position: 'ASC', createdAt: 'ASC' },
    });
  }

  /** The rules in order on one ticket; true when one of them changed it. */
  private async runRules(
    em: EntityManager,
    rules: AutomationRule[],
    ticketId: string,
    context: RunContext,
  ): Promise<boolean> {
    // The tenant the scope's opening statement (or runInSchema) named for this transaction.
    const [{ tenantId }]: { tenantId: string }[] = await em.query(
      `SELECT current_setting('tenantql.tenant_id') AS "tenantId"`,
    );
    const actor = { tenantId, userId: null };
    let ticket = await this.deps.tickets.get(em, ticketId);
    // Runs are written in evaluation order; the ones without actions in batches.
    let unwritten: Partial<AutomationRun>[] = [];
    const flush = async () => {
      if (unwritten.length) await em.insert(AutomationRun, unwritten);
      unwritten = [];
    };
    let changed = false;
    for (const rule of rules) {
      if (context.root.stopped) break;
      const { matched } = await evaluateConditions(rule.match, rule.conditions, this.facts(em, ticket, context));
      const run: Partial<AutomationRun> = {
        id: randomUUID(),
        ruleId: rule.id,
        ruleName: rule.name,
        ticketId,
        triggerType: context.trigger,
        matched,
        actions: [],
        error: null,
        anchorAt: context.anchorAt ?? null,
        at: this.deps.now(),
      };
      if (!matched) {
        unwritten.push(run);
        continue;
      }
      if (context.depth > MAX_CHAIN_DEPTH) {
        run.error = `Stopped: rules may follow one another ${MAX_CHAIN_DEPTH} deep (a loop between rules?); no action was applied`;
        context.root.stopped = true;
        unwritten.push(run);
        break;
      }
      await flush();
      await em.insert(AutomationRun, run);
      try {
        // A SAVEPOINT inside the open transaction (TypeORM nests transactions so).
        const actions = await em.transaction((savepoint) =>
          this.chain.run({ depth: context.depth, ruleId: rule.id, root: context.root }, () =>
            this.applyAsAutomation(savepoint, () =>
              this.deps.actions.apply({ em: savepoint, actor, rule, runId: run.id!, ticket }),
            ),
          ),
        );
        await em.update(AutomationRun, run.id!, { actions });
        ticket = await this.deps.tickets.get(em, ticketId);
        changed = true;
      } catch (error) {
        await em.update(AutomationRun, run.id!, { error: error instanceof Error ? error.message : String(error) });
      }
    }
    await flush();
    return changed;
  }

  /**
   * The events the actions record name `system:automation` as their actor; the caller's actor is back afterwards
   * (a failure needs no restoring: rolling back the savepoint undoes the setting too).
   */
  private async applyAsAutomation<R>(em: EntityManager, work: () => Promise<R>): Promise<R> {
    const [{ before }]: { before: string | null }[] = await em.query(
      `SELECT current_setting('tenantql.actor', true) AS before, set_config('tenantql.actor', $1, true)`,
      [AUTOMATION_ACTOR],
    );
    const result = await work();
    await em.query(`SELECT set_config('tenantql.actor', $1, true)`, [before ?? '']);
    return result;
  }

  private facts(em: EntityManager, ticket: Ticket, context?: RunContext): TicketFacts {
    return {
      ticket,
      body: context?.messageBody ?? ticket.description,
      customerEmail: async () =>
        ticket.customerId ? ((await em.findOneBy(Customer, { id: ticket.customerId }))?.email ?? null) : null,
      withinBusinessHours: async () => {
        const now = this.deps.now();
        const calendar = await this.deps.calendarOf(em);
        return businessMinutesBetween(now, new Date(now.getTime() + 60_000), calendar) > 0;
      },
    };
  }
}
