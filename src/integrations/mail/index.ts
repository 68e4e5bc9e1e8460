export { MailTemplates, type MailContent } from './mail-templates';
export { createMailTransport, smtpOptions } from './mail-transport';
export { MailOutbox, type OutboxMessage } from './mail-outbox';
