import type { EntityManager } from 'typeorm';
import { BadUserInputError, NotFoundError } from '../../core/errors/app-error';
import { isUuid } from '../../core/tenancy/tenant-schema';
import type { EntitlementService } from '../plans';
import type { AutomationEngine, RuleEvaluation } from './automation-engine';
import { AutomationTriggerType } from './automation-enums';
import { AutomationRule } from './automation-rule.entity';
import { checkRule, type AutomationRuleInput, type PreviewAutomationRuleArgs } from './automation-rule.inputs';

export interface AutomationRuleServiceDependencies {
  entitlements: Pick<EntitlementService, 'requireFeature' | 'consume' | 'release'>;
  engine: Pick<AutomationEngine, 'preview'>;
  now: () => Date;
}

const TIME_RULES = `SELECT 1 FROM automation_rules WHERE active AND trigger_type = '${AutomationTriggerType.TIME_ELAPSED}'`;

/**
 * The organization's rules. Managing them needs the plan's `automation_rules` feature (PLAN_UPGRADE_REQUIRED); each
 * ACTIVE rule takes one of the plan's `automation_rules` (LIMIT_EXCEEDED), given back when it is deactivated or
 * deleted, in the caller's transaction.
 */
export class AutomationRuleService {
  constructor(private readonly deps: AutomationRuleServiceDependencies) {}

  list(em: EntityManager): Promise<AutomationRule[]> {
    return em.find(AutomationRule, { order: { position: 'ASC', createdAt: 'ASC' } });
  }

  async create(em: EntityManager, tenantId: string, input: AutomationRuleInput): Promise<AutomationRule> {
    await this.deps.entitlements.requireFeature(em, tenantId, 'automation_rules');
    const rule = checkRule(input);
    if (rule.active) await this.deps.entitlements.consume(em, tenantId, 'automation_rules');
    const [{ position }]: { position: number }[] = await em.query(
      'SELECT coalesce(max(position), 0) + 1 AS position FROM automation_rules',
    );
    const saved = await em.save(
      em.create(AutomationRule, { ...rule, triggerType: rule.trigger.type, position, roundRobinLastUserId: null }),
    );
    await this.scheduleTimeRules(em, tenantId, saved);
    return saved;
  }

  /** Replaces the rule with `input` (its position and round-robin turn stay). */
  async update(em: EntityManager, tenantId: string, id: string, input: AutomationRuleInput): Promise<AutomationRule> {
    await this.deps.entitlements.requireFeature(em, tenantId, 'automation_rules');
    const existing = await this.lock(em, id);
    const rule = checkRule(input);
    await this.countActivation(em, tenantId, existing.active, rule.active);
    const before = { ...existing };
    Object.assign(existing, { ...rule, triggerType: rule.trigger.type });
    const saved = await em.save(existing);
    await this.scheduleTimeRules(em, tenantId, before, saved);
    return saved;
  }

  async setActive(em: EntityManager, tenantId: string, id: string, active: boolean): Promise<AutomationRule> {
    if (active) await this.deps.entitlements.requireFeature(em, tenantId, 'automation_rules');
    const rule = await this.lock(em, id);
    await this.countActivation(em, tenantId, rule.active, active);
    rule.active = active;
    const saved = await em.save(rule);
    await this.scheduleTimeRules(em, tenantId, saved);
    return saved;
  }

  async delete(em: EntityManager, tenantId: string, id: string): Promise<boolean> {
    const rule = await this.lock(em, id);
    await this.countActivation(em, tenantId, rule.active, false);
    await em.delete(AutomationRule, { id });
    await this.scheduleTimeRules(em, tenantId, rule);
    return true;
  }

  /** `ids`: every rule of the organization, in the new order (BAD_USER_INPUT otherwise). */
  async reorder(em: EntityManager, ids: string[]): Promise<AutomationRule[]> {
    const rules = await em.find(AutomationRule, { lock: { mode: 'pessimistic_write' } });
    const known = new Set(rules.map((r) => r.id));
    if (ids.length !== rules.length || new Set(ids).size !== ids.length || !ids.every((id) => known.has(id))) {
      throw new BadUserInputError('Give every rule of the organization exactly once, in the new order', {
        reason: 'REORDER_MISMATCH',
        expected: rules.length,
      });
    }
    await em.query(
      `UPDATE automation_rules r SET position = o.position, updated_at = now()
         FROM unnest($1::uuid[]) WITH ORDINALITY AS o(id, position) WHERE r.id = o.id`,
      [ids],
    );
    return this.list(em);
  }

  /** A saved rule (`ruleId`) or a draft (`rule`) on a ticket: changes nothing. */
  async preview(em: EntityManager, tenantId: string, args: PreviewAutomationRuleArgs): Promise<RuleEvaluation> {
    if (!args.ruleId === !args.rule) {
      throw new BadUserInputError('Give either ruleId or rule', { reason: 'RULE_OR_RULE_ID' });
    }
    await this.deps.entitlements.requireFeature(em, tenantId, 'automation_rules');
    const rule = args.rule ? checkRule(args.rule) : await this.get(em, args.ruleId!);
    return this.deps.engine.preview(em, rule, args.ticketId);
  }

  async get(em: EntityManager, id: string): Promise<AutomationRule> {
    const rule = isUuid(id) ? await em.findOneBy(AutomationRule, { id }) : null;
    if (!rule) throw new NotFoundError('AutomationRule', id);
    return rule;
  }

  private async lock(em: EntityManager, id: string): Promise<AutomationRule> {
    const rule = isUuid(id)
      ? await em.findOne(AutomationRule, { where: { id }, lock: { mode: 'pessimistic_write' } })
      : null;
    if (!rule) throw new NotFoundError('AutomationRule', id);
    return rule;
  }

  private async countActivation(em: EntityManager, tenantId: string, was: boolean, is: boolean): Promise<void> {
    if (!was && is) await this.deps.entitlements.consume(em, tenantId, 'automation_rules');
    if (was && !is) await this.deps.entitlements.release(em, tenantId, 'automation_rules');
  }

  /**
   * public.automation_schedules lists the organizations with active time-based rules (the sweep visits only those):
   * a time rule that changed makes it due at once.
   */
  private async scheduleTimeRules(em: EntityManager, tenantId: string, ...rules: AutomationRule[]): Promise<void> {
    if (!rules.some((rule) => rule.triggerType === AutomationTriggerType.TIME_ELAPSED)) return;
    await em.query(
      `WITH gone AS (DELETE FROM public.automation_schedules WHERE tenant_id = $1 AND NOT EXISTS (${TIME_RULES}))
       INSERT INTO public.automation_schedules (tenant_id, next_due_at) SELECT $1, $2 WHERE EXISTS (${TIME_RULES})
       ON CONFLICT (tenant_id) DO UPDATE SET next_due_at = EXCLUDED.next_due_at`,
      [tenantId, this.deps.now()],
    );
  }
}
