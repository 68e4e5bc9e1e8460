import { BadUserInputError } from '../../core/errors/app-error';

/** What a rule's texts can say about the ticket (SEND_REPLY, ADD_NOTE, MAIL_MEMBER). */
export interface TemplateValues {
  'ticket.number': string;
  'ticket.subject': string;
  'ticket.status': string;
  'ticket.priority': string;
  'customer.name': string;
}

const PLACEHOLDER = /\{\{\s*([a-z.]+)\s*\}\}/g;
const KNOWN = new Set<string>(['ticket.number', 'ticket.subject', 'ticket.status', 'ticket.priority', 'customer.name']);

/** BAD_USER_INPUT (UNKNOWN_PLACEHOLDER) for a placeholder nobody fills, when the rule is saved rather than sent. */
export function assertTemplate(text: string): void {
  for (const [, name] of text.matchAll(PLACEHOLDER)) {
    if (!KNOWN.has(name))
      throw new BadUserInputError(`Unknown placeholder {{${name}}}`, {
        reason: 'UNKNOWN_PLACEHOLDER',
        known: [...KNOWN],
      });
  }
}

export const renderTemplate = (text: string, values: TemplateValues): string =>
  text.replace(PLACEHOLDER, (_, name: string) => values[name as keyof TemplateValues] ?? '');
