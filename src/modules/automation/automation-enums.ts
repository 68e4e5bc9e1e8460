import { registerEnumType } from 'type-graphql';

export enum AutomationTriggerType {
  TICKET_CREATED = 'TICKET_CREATED',
  TICKET_UPDATED = 'TICKET_UPDATED',
  MESSAGE_ADDED = 'MESSAGE_ADDED',
  SLA_AT_RISK = 'SLA_AT_RISK',
  SLA_BREACHED = 'SLA_BREACHED',
  TIME_ELAPSED = 'TIME_ELAPSED',
}
registerEnumType(AutomationTriggerType, {
  name: 'AutomationTriggerType',
  description: 'What makes a rule look at a ticket; TIME_ELAPSED rules are run by the automation sweep job',
});

/** What a TIME_ELAPSED rule counts from. */
export enum AutomationTimeAnchor {
  STATUS = 'STATUS',
  LAST_CUSTOMER_MESSAGE = 'LAST_CUSTOMER_MESSAGE',
}
registerEnumType(AutomationTimeAnchor, {
  name: 'AutomationTimeAnchor',
  description: 'STATUS: since the ticket last entered `status` (and is still in it); LAST_CUSTOMER_MESSAGE: since it',
});

export enum AutomationTimeUnit {
  HOURS = 'HOURS',
  DAYS = 'DAYS',
}
registerEnumType(AutomationTimeUnit, { name: 'AutomationTimeUnit' });

export enum AutomationMatch {
  ALL = 'ALL',
  ANY = 'ANY',
}
registerEnumType(AutomationMatch, { name: 'AutomationMatch', description: 'All conditions must hold, or any one' });

export enum AutomationField {
  CHANNEL = 'CHANNEL',
  STATUS = 'STATUS',
  PRIORITY = 'PRIORITY',
  SUBJECT = 'SUBJECT',
  /** The triggering message for MESSAGE_ADDED, else the ticket's description. */
  BODY = 'BODY',
  TAGS = 'TAGS',
  CUSTOMER_EMAIL_DOMAIN = 'CUSTOMER_EMAIL_DOMAIN',
  ASSIGNEE = 'ASSIGNEE',
  BUSINESS_HOURS = 'BUSINESS_HOURS',
  SLA_STATUS = 'SLA_STATUS',
}
registerEnumType(AutomationField, {
  name: 'AutomationField',
  description: 'BODY is the triggering message for MESSAGE_ADDED, else the description; BUSINESS_HOURS is now',
});

export enum AutomationOperator {
  EQUALS = 'EQUALS',
  NOT_EQUALS = 'NOT_EQUALS',
  CONTAINS = 'CONTAINS',
  NOT_CONTAINS = 'NOT_CONTAINS',
  MATCHES = 'MATCHES',
  IS_SET = 'IS_SET',
  IS_NOT_SET = 'IS_NOT_SET',
  IS_TRUE = 'IS_TRUE',
  IS_FALSE = 'IS_FALSE',
}
registerEnumType(AutomationOperator, {
  name: 'AutomationOperator',
  description:
    'Text comparisons ignore case; MATCHES is a regular expression (case-insensitive); IS_SET/IS_NOT_SET and ' +
    'IS_TRUE/IS_FALSE take no value',
});

export enum AutomationActionType {
  SET_PRIORITY = 'SET_PRIORITY',
  SET_STATUS = 'SET_STATUS',
  ADD_TAGS = 'ADD_TAGS',
  REMOVE_TAGS = 'REMOVE_TAGS',
  ASSIGN = 'ASSIGN',
  ASSIGN_ROUND_ROBIN = 'ASSIGN_ROUND_ROBIN',
  APPLY_SLA_POLICY = 'APPLY_SLA_POLICY',
  ADD_NOTE = 'ADD_NOTE',
  SEND_REPLY = 'SEND_REPLY',
  MAIL_MEMBER = 'MAIL_MEMBER',
  LINK_ARTICLE = 'LINK_ARTICLE',
}
registerEnumType(AutomationActionType, {
  name: 'AutomationActionType',
  description:
    'SEND_REPLY is a public reply queued on the ticket channel (never to automatic mail); MAIL_MEMBER mails a member ' +
    '(memberId, else the assignee) through the mail outbox',
});
