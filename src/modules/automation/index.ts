export { AutomationRule } from './automation-rule.entity';
export { AutomationRun } from './automation-run.entity';
export { AutomationActions } from './automation-actions';
export { AutomationEngine, AUTOMATION_ACTOR, MAX_CHAIN_DEPTH } from './automation-engine';
export { AutomationRuleService } from './automation-rule.service';
export { AutomationSweep, type SweepOutcome } from './automation-sweep.service';
export { AutomationRuleResolver, TicketAutomationRunsResolver } from './automation.resolver';
