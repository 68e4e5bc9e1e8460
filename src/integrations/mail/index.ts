export { MailTemplates, type MailContent } from './mail-templates';
export { createMailTransport, smtpOptions, type MailAttachment, type MailEnvelope } from './mail-transport';
export { MailOutbox, type OutboxMessage, type SettledListener, type SettledOutcome } from './mail-outbox';
