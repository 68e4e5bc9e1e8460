import { ArrayMaxSize, ArrayMinSize, IsOptional, Length, ValidateNested } from 'class-validator';
import { ArgsType, Field, ID, InputType, ObjectType } from 'type-graphql';
import { BadUserInputError } from '../../core/errors/app-error';
import { NotBlank } from '../../core/validation/input-rules.decorators';
import { AutomationActionType as A, AutomationField, AutomationMatch, AutomationOperator } from './automation-enums';
import { AutomationTimeAnchor, AutomationTriggerType } from './automation-enums';
import { AutomationAction, AutomationCondition, AutomationTrigger } from './automation-rule.entity';
import { checkCondition } from './automation-conditions';
import { assertTemplate } from './automation-template';

@InputType({ description: 'A whole rule: updateAutomationRule replaces the rule with it' })
export class AutomationRuleInput {
  @Field()
  @Length(1, 200)
  @NotBlank()
  name: string;

  @Field(() => AutomationTrigger)
  @ValidateNested()
  trigger: AutomationTrigger;

  @Field(() => AutomationMatch, { defaultValue: AutomationMatch.ALL })
  match: AutomationMatch = AutomationMatch.ALL;

  @Field(() => [AutomationCondition], { defaultValue: [] })
  @ArrayMaxSize(20)
  @ValidateNested({ each: true })
  conditions: AutomationCondition[];

  @Field(() => [AutomationAction])
  @ArrayMinSize(1)
  @ArrayMaxSize(20)
  @ValidateNested({ each: true })
  actions: AutomationAction[];

  @Field({ defaultValue: true, description: "Active rules count toward the plan's automation_rules limit" })
  active: boolean = true;
}

@ArgsType()
export class PreviewAutomationRuleArgs {
  @Field(() => ID, { nullable: true, description: 'A saved rule; or give `rule`' })
  ruleId?: string | null;

  @Field(() => AutomationRuleInput, { nullable: true, description: 'A rule not saved yet; or give `ruleId`' })
  @IsOptional()
  @ValidateNested()
  rule?: AutomationRuleInput | null;

  @Field(() => ID)
  ticketId: string;
}

@ObjectType()
export class AutomationConditionResult {
  @Field(() => AutomationField)
  field: AutomationField;

  @Field(() => AutomationOperator)
  operator: AutomationOperator;

  @Field(() => String, { nullable: true })
  value: string | null;

  @Field()
  matched: boolean;
}

@ObjectType({ description: 'What the rule would do to the ticket now; nothing is changed' })
export class AutomationPreview {
  @Field()
  matched: boolean;

  @Field(() => [AutomationConditionResult])
  conditions: AutomationConditionResult[];

  @Field(() => [AutomationAction], { description: 'The actions that would run (empty when it does not match)' })
  actions: AutomationAction[];
}

/** Each action type and the fields it needs. */
const REQUIRED: Record<A, (keyof AutomationAction)[]> = {
  [A.SET_PRIORITY]: ['priority'],
  [A.SET_STATUS]: ['status'],
  [A.ADD_TAGS]: ['tags'],
  [A.REMOVE_TAGS]: ['tags'],
  [A.ASSIGN]: ['memberId'],
  [A.ASSIGN_ROUND_ROBIN]: ['role'],
  [A.APPLY_SLA_POLICY]: ['slaPolicyId'],
  [A.ADD_NOTE]: ['body'],
  [A.SEND_REPLY]: ['body'],
  [A.MAIL_MEMBER]: ['body'],
  [A.LINK_ARTICLE]: ['articleId'],
};
const OPTIONAL: Partial<Record<A, (keyof AutomationAction)[]>> = { [A.MAIL_MEMBER]: ['memberId', 'subject'] };

const missing = (what: string, field: string) =>
  new BadUserInputError(`${what} needs ${field}`, { reason: 'FIELD_REQUIRED', field });

/** The trigger with only the fields its type uses; BAD_USER_INPUT when one it needs is missing. */
function checkTrigger(trigger: AutomationTrigger): AutomationTrigger {
  if (trigger.type === AutomationTriggerType.MESSAGE_ADDED)
    return { type: trigger.type, messageAuthor: trigger.messageAuthor ?? null };
  if (trigger.type !== AutomationTriggerType.TIME_ELAPSED) return { type: trigger.type };
  for (const field of ['after', 'unit', 'since'] as const)
    if (trigger[field] == null) throw missing('TIME_ELAPSED', field);
  if (trigger.since === AutomationTimeAnchor.STATUS && !trigger.status)
    throw missing('TIME_ELAPSED since STATUS', 'status');
  return {
    type: trigger.type,
    after: trigger.after,
    unit: trigger.unit,
    since: trigger.since,
    status: trigger.since === AutomationTimeAnchor.STATUS ? trigger.status : null,
  };
}

/** The action with only the fields its type uses (tags normalized, templates checked). */
function checkAction(action: AutomationAction): AutomationAction {
  const checked: AutomationAction = { type: action.type };
  for (const field of REQUIRED[action.type]) {
    const value = action[field];
    if (value == null || (Array.isArray(value) && !value.length) || value === '') throw missing(action.type, field);
  }
  for (const field of [...REQUIRED[action.type], ...(OPTIONAL[action.type] ?? [])])
    Object.assign(checked, { [field]: action[field] ?? null });
  if (checked.tags) checked.tags = [...new Set(checked.tags.map((tag) => tag.trim().toLowerCase()).filter(Boolean))];
  for (const text of [checked.body, checked.subject]) if (text) assertTemplate(text);
  return checked;
}

/** A rule as it is stored: BAD_USER_INPUT (with a reason and the field) for anything that could never run. */
export function checkRule(input: AutomationRuleInput): AutomationRuleInput {
  return {
    name: input.name.trim(),
    trigger: checkTrigger(input.trigger),
    match: input.match,
    conditions: input.conditions.map(checkCondition),
    actions: input.actions.map(checkAction),
    active: input.active,
  };
}
