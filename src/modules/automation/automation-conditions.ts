import { BadUserInputError } from '../../core/errors/app-error';
import { SlaStatus, TicketChannel, TicketPriority, TicketStatus, type Ticket } from '../tickets';
import { AutomationField, AutomationMatch, AutomationOperator as Op } from './automation-enums';
import type { AutomationCondition } from './automation-rule.entity';

/** What conditions look at, the costly parts read only when a condition asks. */
export interface TicketFacts {
  ticket: Ticket;
  /** The triggering message for MESSAGE_ADDED, else the ticket's description. */
  body: string;
  customerEmail(): Promise<string | null>;
  withinBusinessHours(): Promise<boolean>;
}

export interface ConditionResult {
  field: AutomationField;
  operator: Op;
  value: string | null;
  matched: boolean;
}

const TEXT = [Op.EQUALS, Op.NOT_EQUALS, Op.CONTAINS, Op.NOT_CONTAINS, Op.MATCHES];
const CHOICE = [Op.EQUALS, Op.NOT_EQUALS];

/** Per field: the operators it takes and, for enum fields, the values. */
const FIELDS: Record<AutomationField, { operators: Op[]; values?: readonly string[] }> = {
  [AutomationField.CHANNEL]: { operators: CHOICE, values: Object.values(TicketChannel) },
  [AutomationField.STATUS]: { operators: CHOICE, values: Object.values(TicketStatus) },
  [AutomationField.PRIORITY]: { operators: CHOICE, values: Object.values(TicketPriority) },
  [AutomationField.SUBJECT]: { operators: TEXT },
  [AutomationField.BODY]: { operators: TEXT },
  [AutomationField.TAGS]: { operators: [Op.CONTAINS, Op.NOT_CONTAINS] },
  [AutomationField.CUSTOMER_EMAIL_DOMAIN]: { operators: [...CHOICE, Op.IS_SET, Op.IS_NOT_SET] },
  [AutomationField.ASSIGNEE]: { operators: [...CHOICE, Op.IS_SET, Op.IS_NOT_SET] },
  [AutomationField.BUSINESS_HOURS]: { operators: [Op.IS_TRUE, Op.IS_FALSE] },
  [AutomationField.SLA_STATUS]: { operators: [...CHOICE, Op.IS_SET, Op.IS_NOT_SET], values: Object.values(SlaStatus) },
};
const NO_VALUE = new Set([Op.IS_SET, Op.IS_NOT_SET, Op.IS_TRUE, Op.IS_FALSE]);

/** BAD_USER_INPUT (with a reason) for a condition that can never be evaluated; answers it normalized. */
export function checkCondition(condition: AutomationCondition): AutomationCondition {
  const { field, operator } = condition;
  const spec = FIELDS[field];
  if (!spec.operators.includes(operator)) {
    throw new BadUserInputError(`${field} cannot be compared with ${operator}`, {
      reason: 'OPERATOR_NOT_ALLOWED',
      field,
      allowed: spec.operators,
    });
  }
  if (NO_VALUE.has(operator)) return { field, operator, value: null };
  const value = condition.value?.trim();
  if (!value) throw new BadUserInputError(`${field} ${operator} needs a value`, { reason: 'VALUE_REQUIRED', field });
  if (spec.values && !spec.values.includes(value.toUpperCase())) {
    throw new BadUserInputError(`${value} is not a ${field} value`, {
      reason: 'VALUE_NOT_ALLOWED',
      field,
      allowed: spec.values,
    });
  }
  if (operator === Op.MATCHES) {
    try {
      new RegExp(value, 'i');
    } catch {
      throw new BadUserInputError(`Not a regular expression: ${value}`, { reason: 'INVALID_PATTERN', field });
    }
  }
  return { field, operator, value: spec.values ? value.toUpperCase() : value };
}

function compareText(operator: Op, actual: string | null, expected: string): boolean {
  const text = (actual ?? '').toLowerCase();
  const wanted = expected.toLowerCase();
  switch (operator) {
    case Op.EQUALS:
      return text === wanted;
    case Op.NOT_EQUALS:
      return text !== wanted;
    case Op.CONTAINS:
      return text.includes(wanted);
    case Op.NOT_CONTAINS:
      return !text.includes(wanted);
    case Op.MATCHES:
      return new RegExp(expected, 'i').test(actual ?? '');
    default:
      return false;
  }
}

const presence = (operator: Op, value: string | null | undefined, expected: string | null) =>
  operator === Op.IS_SET
    ? !!value
    : operator === Op.IS_NOT_SET
      ? !value
      : compareText(operator, value ?? null, expected ?? '');

async function holds(condition: AutomationCondition, facts: TicketFacts): Promise<boolean> {
  const { ticket } = facts;
  const { operator } = condition;
  const value = condition.value ?? '';
  switch (condition.field) {
    case AutomationField.CHANNEL:
      return compareText(operator, ticket.channel, value);
    case AutomationField.STATUS:
      return compareText(operator, ticket.status, value);
    case AutomationField.PRIORITY:
      return compareText(operator, ticket.priority, value);
    case AutomationField.SUBJECT:
      return compareText(operator, ticket.subject, value);
    case AutomationField.BODY:
      return compareText(operator, facts.body, value);
    case AutomationField.TAGS:
      return ticket.tags.includes(value.toLowerCase()) === (operator === Op.CONTAINS);
    case AutomationField.CUSTOMER_EMAIL_DOMAIN: {
      const email = await facts.customerEmail();
      return presence(operator, email ? email.split('@')[1] : null, condition.value ?? null);
    }
    case AutomationField.ASSIGNEE:
      return presence(operator, ticket.assigneeId, condition.value ?? null);
    case AutomationField.BUSINESS_HOURS:
      return (await facts.withinBusinessHours()) === (operator === Op.IS_TRUE);
    case AutomationField.SLA_STATUS:
      return presence(operator, ticket.slaStatus, condition.value ?? null);
  }
}

/** Every condition's outcome (for previews) and the rule's: no conditions always match. */
export async function evaluateConditions(
  match: AutomationMatch,
  conditions: AutomationCondition[],
  facts: TicketFacts,
): Promise<{ matched: boolean; conditions: ConditionResult[] }> {
  const results: ConditionResult[] = [];
  for (const condition of conditions) {
    results.push({
      field: condition.field,
      operator: condition.operator,
      value: condition.value ?? null,
      matched: await holds(condition, facts),
    });
  }
  const matched =
    !results.length ||
    (match === AutomationMatch.ALL ? results.every((r) => r.matched) : results.some((r) => r.matched));
  return { matched, conditions: results };
}
