import { Arg, Args, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { EntityManager } from 'typeorm';
import { canRead, Policy } from '../../core/authorization';
import type { OperationScope } from '../../core/tenancy/operation-scope';
import type { ScopedTenant } from '../../core/tenancy/tenant-scope';
import { CurrentTenant, OperationTenant, TenantManager } from '../../core/tenancy/tenant-request';
import { Ticket } from '../tickets';
import { manageAutomation, previewAutomation } from './automation-policies';
import { AutomationRule } from './automation-rule.entity';
import { AutomationPreview, AutomationRuleInput, PreviewAutomationRuleArgs } from './automation-rule.inputs';
import type { AutomationRuleService } from './automation-rule.service';
import { AutomationRun } from './automation-run.entity';
import { automationRunsByTicket } from './automation-runs.loader';

const PLAN_ERRORS = "PLAN_UPGRADE_REQUIRED without the plan's automation_rules feature";
const LIMIT = "LIMIT_EXCEEDED past the plan's active automation_rules";

@Resolver(() => AutomationRule)
export class AutomationRuleResolver {
  constructor(private readonly rules: AutomationRuleService) {}

  @Policy(canRead('automation'))
  @Query(() => [AutomationRule], { description: 'In position order' })
  automationRules(@TenantManager() em: EntityManager): Promise<AutomationRule[]> {
    return this.rules.list(em);
  }

  @Policy(previewAutomation)
  @Query(() => AutomationPreview, {
    description: `What a saved rule (ruleId) or a draft (rule) would do to the ticket now; changes nothing. ${PLAN_ERRORS}`,
  })
  previewAutomationRule(
    @TenantManager() em: EntityManager,
    @CurrentTenant() tenant: ScopedTenant,
    @Args() args: PreviewAutomationRuleArgs,
  ): Promise<AutomationPreview> {
    return this.rules.preview(em, tenant.id, args);
  }

  @Policy(manageAutomation)
  @Mutation(() => AutomationRule, { description: `Added last. ${PLAN_ERRORS}; ${LIMIT}` })
  createAutomationRule(
    @TenantManager() em: EntityManager,
    @CurrentTenant() tenant: ScopedTenant,
    @Arg('input') input: AutomationRuleInput,
  ): Promise<AutomationRule> {
    return this.rules.create(em, tenant.id, input);
  }

  @Policy(manageAutomation)
  @Mutation(() => AutomationRule, { description: `Replaces the rule (position kept). ${PLAN_ERRORS}; ${LIMIT}` })
  updateAutomationRule(
    @TenantManager() em: EntityManager,
    @CurrentTenant() tenant: ScopedTenant,
    @Arg('id', () => ID) id: string,
    @Arg('input') input: AutomationRuleInput,
  ): Promise<AutomationRule> {
    return this.rules.update(em, tenant.id, id, input);
  }

  @Policy(manageAutomation)
  @Mutation(() => AutomationRule, { description: LIMIT })
  setAutomationRuleActive(
    @TenantManager() em: EntityManager,
    @CurrentTenant() tenant: ScopedTenant,
    @Arg('id', () => ID) id: string,
    @Arg('active') active: boolean,
  ): Promise<AutomationRule> {
    return this.rules.setActive(em, tenant.id, id, active);
  }

  @Policy(manageAutomation)
  @Mutation(() => [AutomationRule], {
    description: 'ids: every rule, in the new order (BAD_USER_INPUT REORDER_MISMATCH otherwise)',
  })
  reorderAutomationRules(
    @TenantManager() em: EntityManager,
    @Arg('ids', () => [ID]) ids: string[],
  ): Promise<AutomationRule[]> {
    return this.rules.reorder(em, ids);
  }

  @Policy(manageAutomation)
  @Mutation(() => Boolean, { description: 'Its runs stay on the tickets (ruleId null)' })
  deleteAutomationRule(
    @TenantManager() em: EntityManager,
    @CurrentTenant() tenant: ScopedTenant,
    @Arg('id', () => ID) id: string,
  ): Promise<boolean> {
    return this.rules.delete(em, tenant.id, id);
  }
}

/** Ticket.automationRuns. */
@Resolver(() => Ticket)
export class TicketAutomationRunsResolver {
  @Policy(canRead('automation'))
  @FieldResolver(() => [AutomationRun], {
    nullable: true,
    description:
      'Every evaluation of a rule on this ticket, oldest first; FORBIDDEN (and null) without automation:read',
  })
  automationRuns(@Root() ticket: Ticket, @OperationTenant() scope: OperationScope): Promise<AutomationRun[]> {
    return scope.load(automationRunsByTicket, ticket.id);
  }
}
