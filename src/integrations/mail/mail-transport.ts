import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { Logger } from 'pino';
import type { AppConfig } from '../../core/config/config';

export interface MailAttachment {
  filename: string;
  contentType: string;
  content: Buffer;
}

/** How a message sits in a conversation and who it seems to come from; all optional. */
export interface MailEnvelope {
  /** Display name for the configured EMAIL_FROM address (e.g. the organization's name). */
  fromName?: string;
  /** Where the recipient's answer goes (e.g. the organization's support mailbox). */
  replyTo?: string;
  /** `<local@domain>`; default `<outbox id@EMAIL_FROM's domain>`. */
  messageId?: string;
  /** Extra headers such as In-Reply-To, References, Auto-Submitted. */
  headers?: Record<string, string>;
  attachments?: MailAttachment[];
}

export interface OutgoingMail extends MailEnvelope {
  /** Outbox row id: becomes the Message-ID, so a resend after a crash is recognisably the same message. */
  id: string;
  to: string;
  subject: string;
  html: string;
  text: string;
}

/** Hands one message to the mail system; throws when it is refused. */
export interface MailTransport {
  readonly kind: 'smtp' | 'file';
  send(mail: OutgoingMail): Promise<void>;
}

function messageIdDomain(from: string): string {
  return /@([^\s>]+)>?\s*$/.exec(from)?.[1] ?? 'tenantql.local';
}

/** Nodemailer's message for one outgoing mail; both transports send the same bytes. */
function nodemailerMessage(email: AppConfig['email'], mail: OutgoingMail) {
  const address = /<([^>]+)>/.exec(email.from)?.[1] ?? email.from;
  return {
    from: mail.fromName ? { name: mail.fromName, address } : email.from,
    to: mail.to,
    replyTo: mail.replyTo,
    subject: mail.subject,
    text: mail.text,
    html: mail.html,
    messageId: mail.messageId ?? `<${mail.id}@${messageIdDomain(email.from)}>`,
    headers: mail.headers,
    attachments: mail.attachments,
  };
}

/**
 * SMTP from the EMAIL_* settings. EMAIL_USE_TLS means STARTTLS is required
 * (implicit TLS on port 465); false sends in clear text (local relays, tests).
 * Timeouts are short so a hung server cannot outlive the outbox lease.
 */
export function smtpOptions(email: AppConfig['email'], timeouts = { connectMs: 10_000, socketMs: 30_000 }) {
  const implicitTls = email.useTls && email.port === 465;
  return {
    host: email.host,
    port: email.port,
    secure: implicitTls,
    requireTLS: email.useTls && !implicitTls,
    ignoreTLS: !email.useTls,
    auth: email.user ? { user: email.user, pass: email.password ?? '' } : undefined,
    connectionTimeout: timeouts.connectMs,
    greetingTimeout: timeouts.connectMs,
    socketTimeout: timeouts.socketMs,
  };
}

function smtpTransport(email: AppConfig['email']): MailTransport {
  const transporter = nodemailer.createTransport(smtpOptions(email));
  return {
    kind: 'smtp',
    async send(mail) {
      await transporter.sendMail(nodemailerMessage(email, mail));
    },
  };
}

/**
 * Development without EMAIL_HOST: each message becomes `<dir>/<id>.eml` and a log line with its text, links included.
 */
function fileTransport(email: AppConfig['email'], logger: Logger, logBodies: boolean): MailTransport {
  const transporter = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  const dir = path.resolve(email.devDir);
  return {
    kind: 'file',
    async send(mail) {
      const info = await transporter.sendMail(nodemailerMessage(email, mail));
      await mkdir(dir, { recursive: true });
      const file = path.join(dir, `${mail.id}.eml`);
      await writeFile(file, info.message as Buffer);
      logger.info(
        { to: mail.to, subject: mail.subject, file, ...(logBodies ? { body: mail.text } : {}) },
        'email written to file (EMAIL_HOST not set)',
      );
    },
  };
}

export function createMailTransport(config: Pick<AppConfig, 'email' | 'isProduction'>, logger: Logger): MailTransport {
  if (config.email.host) return smtpTransport(config.email);
  // Bodies hold live reset links: fine on a developer's console, not in production logs.
  if (config.isProduction) logger.warn('EMAIL_HOST is not set: email is written to files, not sent');
  return fileTransport(config.email, logger, !config.isProduction);
}
