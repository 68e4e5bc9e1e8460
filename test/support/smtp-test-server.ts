import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  to: string[];
  subject: string;
  messageId: string;
  text: string;
  html: string;
}

export interface SmtpTestServer {
  port: number;
  messages: ReceivedMail[];
  /** Messages to one address, oldest first. */
  to(address: string): ReceivedMail[];
  /** Refuse the next `count` messages with a temporary error (451) after their data was sent. */
  failNext(count: number): void;
  /** Never answer the data of the next `count` messages (a hung server): they are kept in `stalled`, not in `messages`. */
  stallNext(count: number): void;
  /** Messages whose data arrived while stalling; their sender got no answer (yet). */
  stalled: ReceivedMail[];
  /** Accepts the stalled messages after all: each is answered 250 and kept in `messages`. */
  releaseStalled(): void;
  /** Environment that points the app's SMTP transport here. */
  env: Record<string, string>;
  close(): Promise<void>;
}

function decodeBody(body: string, encoding: string | undefined): string {
  switch (encoding?.toLowerCase()) {
    case 'quoted-printable': {
      const bytes = body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
      return Buffer.from(bytes, 'latin1').toString('utf8');
    }
    case 'base64':
      return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
    default:
      return body;
  }
}

function splitEntity(raw: string): { headers: Map<string, string>; body: string } {
  const at = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, at).replace(/\r\n[ \t]+/g, ' ');
  const headers = new Map<string, string>();
  for (const line of head.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { headers, body: raw.slice(at + 4) };
}

/** Just enough MIME for the app's own mails: a text/html pair, possibly multipart/alternative. */
function parseMail(raw: string, to: string[]): ReceivedMail {
  const { headers, body } = splitEntity(raw);
  const parts: { type: string; content: string }[] = [];
  const boundary = /boundary="?([^";]+)"?/i.exec(headers.get('content-type') ?? '')?.[1];
  const entities = boundary
    ? body
        .split(`--${boundary}`)
        .slice(1, -1)
        .map((part) => splitEntity(part.replace(/^\r\n/, '')))
    : [{ headers, body }];
  for (const entity of entities) {
    parts.push({
      type: (entity.headers.get('content-type') ?? 'text/plain').split(';')[0].toLowerCase(),
      content: decodeBody(entity.body, entity.headers.get('content-transfer-encoding')),
    });
  }
  return {
    to,
    subject: headers.get('subject') ?? '',
    messageId: headers.get('message-id') ?? '',
    text: parts.find((p) => p.type === 'text/plain')?.content ?? '',
    html: parts.find((p) => p.type === 'text/html')?.content ?? '',
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
      stream.on('end', () => {
        const to = session.envelope.rcptTo.map((r) => r.address);
        if (stalls > 0) {
          stalls--;
          const mail = parseMail(Buffer.concat(chunks).toString('utf8'), to);
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
        messages.push(parseMail(Buffer.concat(chunks).toString('utf8'), to));
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
