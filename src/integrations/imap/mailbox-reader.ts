import { ImapFlow } from 'imapflow';
import { simpleParser, type HeaderValue, type ParsedMail } from 'mailparser';

/** Where a mailbox is and how to log in (the password in clear: only in memory, for one session). */
export interface MailboxSettings {
  host: string;
  port: number;
  /** Implicit TLS (port 993); false: plain IMAP (local servers, tests). */
  secure: boolean;
  username: string;
  password: string;
  folder: string;
}

export interface FetchOptions {
  /** The folder's UIDVALIDITY when `lastUid` was recorded; null on the first read. */
  uidValidity: number | null;
  /** The highest UID already handled. */
  lastUid: number;
  /** When UIDVALIDITY is unknown or changed, mail that arrived from this time on is read (UIDs mean nothing then). */
  since: Date;
  maxMessages: number;
  /** Larger messages are not downloaded: they come back with `skipped`. */
  maxBytes: number;
}

/** What a mail's headers say about where it came from: enough to recognise automatic mail. */
export interface AutomationHeaders {
  autoSubmitted?: string;
  precedence?: string;
  xLoop: string[];
  autoResponseSuppress?: string;
  listId?: string;
  returnPath?: string;
  /** `multipart/report` is a delivery status notification (bounce). */
  contentType?: string;
}

export interface ParsedMessage {
  /** Null when the mail carries none. */
  messageId: string | null;
  subject: string;
  from: { address: string; name?: string } | null;
  /** The text part, or the HTML part as text. */
  text: string;
  inReplyTo: string | null;
  references: string[];
  headers: AutomationHeaders;
}

export interface FetchedMessage {
  uid: number;
  size: number;
  /** Set when the message was left on the server: larger than `maxBytes`. */
  skipped?: 'too-large';
  parsed?: ParsedMessage;
}

export interface FetchResult {
  uidValidity: number;
  /** Oldest first; at most `maxMessages`. */
  messages: FetchedMessage[];
}

export type MailboxErrorKind = 'AUTHENTICATION' | 'UNREACHABLE' | 'TIMEOUT' | 'TLS' | 'FOLDER_MISSING' | 'PROTOCOL';

/** A mailbox that cannot be read, with a message fit for the channel's lastError (never the password). */
export class MailboxError extends Error {
  constructor(
    readonly kind: MailboxErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'MailboxError';
  }
}

export interface MailboxReaderOptions {
  connectTimeoutMs?: number;
  /** A silent server is given up after this long (per command). */
  socketTimeoutMs?: number;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNRESET',
  'EPIPE',
  'NoConnection',
  'EConnectionClosed',
]);
const TIMEOUT_CODES = new Set(['CONNECT_TIMEOUT', 'GREETING_TIMEOUT', 'UPGRADE_TIMEOUT', 'ETIMEOUT', 'ETIMEDOUT']);

function describe(error: unknown, settings: MailboxSettings): MailboxError {
  if (error instanceof MailboxError) return error;
  const e = error as { code?: string; authenticationFailed?: boolean; message?: string; responseText?: string };
  const where = `${settings.host}:${settings.port}`;
  if (e.authenticationFailed)
    return new MailboxError(
      'AUTHENTICATION',
      `Authentication failed at ${where}: the server refused the username or password`,
    );
  if (e.code && TIMEOUT_CODES.has(e.code))
    return new MailboxError('TIMEOUT', `The IMAP server at ${where} did not answer in time (${e.code})`);
  if (e.code && NETWORK_CODES.has(e.code))
    return new MailboxError('UNREACHABLE', `Cannot reach the IMAP server at ${where} (${e.code})`);
  if (/ssl|tls|certificate|CERT_|SELF_SIGNED/i.test(`${e.code ?? ''} ${e.message ?? ''}`)) {
    return new MailboxError(
      'TLS',
      `TLS with ${where} failed (${e.code ?? e.message}): check the port and the secure setting`,
    );
  }
  return new MailboxError(
    'PROTOCOL',
    `The IMAP server at ${where} answered an error: ${e.responseText ?? e.message ?? String(error)}`,
  );
}

const firstText = (value: HeaderValue | undefined): string | undefined => {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(String).join(', ');
  if (value instanceof Date) return value.toISOString();
  return 'value' in value ? String(value.value) : 'text' in value ? String(value.text) : undefined;
};

function toParsed(mail: ParsedMail): ParsedMessage {
  const header = (name: string) => firstText(mail.headers.get(name))?.trim();
  const xLoop = mail.headerLines
    .filter((h) => h.key === 'x-loop')
    .map((h) => h.line.slice(h.line.indexOf(':') + 1).trim());
  const sender = mail.from?.value[0];
  const references = typeof mail.references === 'string' ? [mail.references] : (mail.references ?? []);
  return {
    messageId: mail.messageId ?? null,
    subject: mail.subject ?? '',
    from: sender?.address ? { address: sender.address, name: sender.name || undefined } : null,
    // mailparser turns an HTML-only mail into text as well.
    text: (mail.text ?? '').trim(),
    inReplyTo: mail.inReplyTo ?? null,
    references,
    headers: {
      autoSubmitted: header('auto-submitted'),
      precedence: header('precedence'),
      xLoop,
      autoResponseSuppress: header('x-auto-response-suppress'),
      listId: header('list-id'),
      returnPath: header('return-path'),
      contentType: header('content-type'),
    },
  };
}

/**
 * Reads new mail from one IMAP folder (imapflow + mailparser), read-only: flags are not
 * changed, the caller keeps a UID watermark instead. Every call is its own session, closed
 * before it returns; errors come back as a MailboxError saying what went wrong.
 */
export class MailboxReader {
  private readonly connectTimeoutMs: number;
  private readonly socketTimeoutMs: number;

  constructor(options: MailboxReaderOptions = {}) {
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.socketTimeoutMs = options.socketTimeoutMs ?? 60_000;
  }

  /** Logs in and opens the folder; throws a MailboxError when it cannot. */
  async testConnection(settings: MailboxSettings): Promise<void> {
    await this.session(settings, async () => undefined);
  }

  /**
   * Messages with a UID above `lastUid`, oldest first. When the folder's UIDVALIDITY is not the
   * one given (first read, or the folder was recreated), the mail that arrived since `since`
   * is read instead: the caller recognises what it had already seen by Message-ID.
   */
  async fetchSince(settings: MailboxSettings, options: FetchOptions): Promise<FetchResult> {
    return this.session(settings, async (client, uidValidity) => {
      const sameFolder = options.uidValidity === uidValidity;
      const query = sameFolder ? { uid: `${options.lastUid + 1}:*` } : { since: options.since };
      const found = (await client.search(query, { uid: true })) || [];
      // `N:*` also matches the last message when no UID reaches N.
      const uids = found.filter((uid) => !sameFolder || uid > options.lastUid).sort((a, b) => a - b);
      if (!uids.length) return { uidValidity, messages: [] };
      const meta = await client.fetchAll(uids.join(','), { uid: true, size: true, internalDate: true }, { uid: true });
      const candidates = meta
        // SINCE has a day's precision: the exact time decides.
        .filter((m) => sameFolder || !m.internalDate || new Date(m.internalDate) >= options.since)
        .sort((a, b) => a.uid - b.uid)
        .slice(0, options.maxMessages);
      const messages: FetchedMessage[] = [];
      for (const m of candidates) {
        const size = m.size ?? 0;
        if (size > options.maxBytes) {
          messages.push({ uid: m.uid, size, skipped: 'too-large' });
          continue;
        }
        const full = await client.fetchOne(String(m.uid), { uid: true, source: true }, { uid: true });
        if (!full || !full.source) continue; // expunged meanwhile
        messages.push({
          uid: m.uid,
          size,
          parsed: toParsed(await simpleParser(full.source, { skipImageLinks: true })),
        });
      }
      return { uidValidity, messages };
    });
  }

  private async session<T>(
    settings: MailboxSettings,
    work: (client: ImapFlow, uidValidity: number) => Promise<T>,
  ): Promise<T> {
    const client = new ImapFlow({
      host: settings.host,
      port: settings.port,
      secure: settings.secure,
      auth: { user: settings.username, pass: settings.password },
      logger: false,
      connectionTimeout: this.connectTimeoutMs,
      greetingTimeout: this.connectTimeoutMs,
      socketTimeout: this.socketTimeoutMs,
      disableAutoIdle: true,
    });
    // A dropped connection is also emitted as an event: it is reported through the failing command.
    client.on('error', () => undefined);
    try {
      await client.connect();
      let uidValidity: number;
      try {
        const box = await client.mailboxOpen(settings.folder, { readOnly: true });
        uidValidity = Number(box.uidValidity);
      } catch (error) {
        const e = error as { serverResponseCode?: string; responseStatus?: string };
        if (e.serverResponseCode === 'NONEXISTENT' || e.responseStatus === 'NO') {
          throw new MailboxError(
            'FOLDER_MISSING',
            `The folder "${settings.folder}" does not exist in the mailbox of ${settings.username}`,
          );
        }
        throw error;
      }
      return await work(client, uidValidity);
    } catch (error) {
      throw describe(error, settings);
    } finally {
      if (client.usable) await client.logout().catch(() => client.close());
      else client.close();
    }
  }
}
