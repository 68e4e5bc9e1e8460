import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';

export interface ReceivedMail {
  to: string[];
  subject: string;
  messageId: string;
  text: string;
  html: string;
  /** As shown by a mail client, e.g. `"Acme" <noreply@tenantql.test>`. */
  from: string;
  replyTo?: string;
  /** Raw header values by lower-case name (e.g. `in-reply-to`, `references`). */
  headers: Record<string, string>;
  attachments: { filename: string; contentType: string; content: Buffer }[];
}

export interface SmtpTestServer {
  port: number;
  messages: ReceivedMail[];
  /** Messages to one address, oldest first. */
  to(address: string): ReceivedMail[];
  /** Refuse the next `count` messages with a temporary error (451) after their data was sent. */
  failNext(count: number): void;
  /**
   * Never answer the data of the next `count` messages (a hung server): they are kept in `stalled`, not in `messages`.
   */
  stallNext(count: number): void;
  /** Messages whose data arrived while stalling; their sender got no answer (yet). */
  stalled: ReceivedMail[];
  /** Accepts the stalled messages after all: each is answered 250 and kept in `messages`. */
  releaseStalled(): void;
  /** Environment that points the app's SMTP transport here. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/** The mail as a client would see it (mailparser): headers, bodies and attachments. */
async function parseMail(raw: Buffer, to: string[]): Promise<ReceivedMail> {
  const parsed = await simpleParser(raw);
  const headers: Record<string, string> = {};
  for (const line of parsed.headerLines) headers[line.key] = line.line.slice(line.line.indexOf(':') + 1).trim();
  return {
    to,
    subject: parsed.subject ?? '',
    messageId: parsed.messageId ?? '',
    text: parsed.text ?? '',
    html: typeof parsed.html === 'string' ? parsed.html : '',
    from: parsed.from?.text ?? '',
    replyTo: parsed.replyTo?.text,
    headers,
    attachments: parsed.attachments.map((a) => ({
      filename: a.filename ?? '',
      contentType: a.contentType,
      content: a.content,
    })),
  };
}

/** The value of `?token=` in the first link to `path` in the mail's text part. */
export function tokenFromLink(mail: ReceivedMail, path: string): string {
  const match = new RegExp(`https?://\\S+${path.replace(/[/-]/g, '\\$&')}\\?token=([A-Za-z0-9_%-]+)`).exec(mail.text);
  if (!match) throw new Error(`No ${path} link in mail "${mail.subject}":\n${mail.text}`);
  return decodeURIComponent(match[1]);
}

/** A real SMTP server (smtp-server) on a free port that keeps what it receives. */
export async function startSmtpTestServer(): Promise<SmtpTestServer> {
  const messages: ReceivedMail[] = [];
  const stalled: ReceivedMail[] = [];
  const answerStalled: (() => void)[] = [];
  let failures = 0;
  let stalls = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', async () => {
        const to = session.envelope.rcptTo.map((r) => r.address);
        const mail = await parseMail(Buffer.concat(chunks), to);
        if (stalls > 0) {
          stalls--;
          stalled.push(mail);
          // No callback: the client waits for an answer, until releaseStalled().
          answerStalled.push(() => {
            messages.push(mail);
            callback();
          });
          return;
        }
        if (failures > 0) {
          failures--;
          return callback(Object.assign(new Error('Mailbox busy, try again later'), { responseCode: 451 }));
        }
        messages.push(mail);
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    messages,
    to: (address) => messages.filter((m) => m.to.includes(address)),
    failNext: (count) => {
      failures = count;
    },
    stallNext: (count) => {
      stalls = count;
    },
    stalled,
    releaseStalled: () => {
      for (const answer of answerStalled.splice(0)) answer();
    },
    env: { EMAIL_HOST: '127.0.0.1', EMAIL_PORT: String(port), EMAIL_USE_TLS: 'false' },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
