import { Like, type EntityManager } from 'typeorm';
import type { SecretBox } from '../../core/crypto/secret-box';
import { BadUserInputError, NotFoundError } from '../../core/errors/app-error';
import { markTenantDue } from '../../core/jobs/tenant-due-work';
import type { TenantTransaction } from '../../core/tenancy/tenant-request';
import {
  MailboxError,
  type FetchedMessage,
  type FetchOptions,
  type FetchResult,
  type MailboxReader,
  type MailboxSettings,
  type ParsedMessage,
} from '../../integrations/imap';
import type { MailOutbox, MailTemplates } from '../../integrations/mail';
import type { OnboardingStepDefinition } from '../onboarding';
import { TicketChannel, type InboundMessage, type InboundOutcome, type TicketService } from '../tickets';
import { EmailChannel } from './email-channel.entity';
import type { ConfigureEmailChannelInput, EmailChannelTestResult } from './email-channel.inputs';
import { bareAddress, carriesOurLoop, isAutomatic } from './mail-automation';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** Starts lastError when the outbox gave up on a team reply (as the WhatsApp channel words it). */
const REPLY_FAILED = 'A reply could not be sent: ';
/** Mail stamped by the IMAP server (whole seconds, its own clock) shortly before configuring is read too. */
const CLOCK_SLACK_MS = 5 * 60_000;
/** Only the `[#1042]` our own subjects carry threads by number: a bare "#5512" is often an order number. */
const TICKET_TAG = /\[#(\d{1,9})\]/;

export interface EmailChannelServiceDependencies {
  secrets: SecretBox;
  reader: Pick<MailboxReader, 'testConnection' | 'fetchSince'>;
  tickets: Pick<TicketService, 'receiveFromCustomer'>;
  outbox: Pick<MailOutbox, 'enqueue'>;
  templates: Pick<MailTemplates, 'ticketReceived'>;
  /** How mail to customers names the organization (its legal name, else its name). */
  companyNameOf: (em: EntityManager, tenantId: string) => Promise<string>;
  /** DEFAULT_FROM_EMAIL: mail from it is ours, never acknowledged. */
  platformFrom: string;
  /** EMAIL_MAX_MESSAGE_BYTES: larger mail stays on the server, skipped. */
  maxMessageBytes: number;
  /** Messages read per mailbox and poll; the rest waits for the next poll. */
  maxMessagesPerPoll?: number;
  now?: () => Date;
}

/** One mailbox's settings and watermark, read in a short transaction before the IMAP session. */
export interface MailboxToPoll {
  settings: MailboxSettings;
  fetch: FetchOptions;
  emailAddress: string;
}

export type IngestOutcome =
  | InboundOutcome['kind']
  | 'skipped-too-large'
  | 'ignored-own-loop'
  | 'ignored-no-sender'
  /** Another run got there first, or the mailbox was reconfigured meanwhile. */
  | 'already-handled';

export const passwordContext = (tenantId: string) => `email-channel:${tenantId}:password`;
export const domainOf = (address: string) => address.slice(address.lastIndexOf('@') + 1);

/** "Re: [#1042] Printer on fire" from any "Re:/Fwd:" and tag the subject already has. */
export const replySubject = (ticketNumber: number, subject: string): string =>
  `Re: [#${ticketNumber}] ${subject
    .replace(/^((re|fwd?|aw|sv)\s*:\s*)+/i, '')
    .replace(TICKET_TAG, '')
    .trim()}`;

/** The job that polls support mailboxes; also its key in public.tenant_due_work. */
export const MAILBOX_POLL_JOB = 'email.mailbox.poll';

/**
 * The support mailbox of one organization: its settings (password sealed with ENCRYPTION_KEY,
 * never returned), the connection test, and turning polled mail into tickets. Methods that
 * take a manager run in the caller's tenant transaction; `fetch` is the only network I/O of a
 * poll and runs outside any transaction.
 */
export class EmailChannelService {
  private readonly maxMessagesPerPoll: number;
  private readonly now: () => Date;

  constructor(private readonly deps: EmailChannelServiceDependencies) {
    this.maxMessagesPerPoll = deps.maxMessagesPerPoll ?? 50;
    this.now = deps.now ?? (() => new Date());
  }

  get(em: EntityManager): Promise<EmailChannel | null> {
    return em.findOneBy(EmailChannel, { id: 1 });
  }

  /** A changed host, port, user or folder is another mailbox: reading starts over from now. */
  async configure(em: EntityManager, tenantId: string, input: ConfigureEmailChannelInput): Promise<EmailChannel> {
    const existing = await em.findOne(EmailChannel, { where: { id: 1 }, lock: { mode: 'pessimistic_write' } });
    if (!existing && !input.password)
      throw new BadUserInputError('The mailbox password is required', {
        reason: 'PASSWORD_REQUIRED',
        field: 'password',
      });
    const username = input.username.trim();
    const emailAddress = input.emailAddress?.trim() || (EMAIL.test(username) ? username : null);
    if (!emailAddress) {
      throw new BadUserInputError('emailAddress is required when the username is not an email address', {
        reason: 'EMAIL_ADDRESS_REQUIRED',
        field: 'emailAddress',
      });
    }
    const mailbox = {
      imapHost: input.imapHost.trim().toLowerCase().replace(/\.$/, ''),
      imapPort: input.imapPort,
      username,
      folder: input.folder.trim(),
    };
    const moved =
      !existing || (Object.keys(mailbox) as (keyof typeof mailbox)[]).some((key) => existing[key] !== mailbox[key]);
    const channel = existing ?? em.create(EmailChannel, { id: 1 });
    Object.assign(channel, mailbox, { secure: input.secure, emailAddress, pollEnabled: input.pollEnabled });
    if (input.password) channel.passwordSealed = this.deps.secrets.seal(input.password, passwordContext(tenantId));
    if (moved)
      Object.assign(channel, {
        readingSince: this.now(),
        uidValidity: null,
        lastUid: 0,
        lastError: null,
        lastErrorAt: null,
      });
    // Polled from the next run on: the poll job visits only organizations marked due (then at every run).
    if (channel.pollEnabled) await markTenantDue(em, MAILBOX_POLL_JOB, this.now());
    return em.save(channel);
  }

  async remove(em: EntityManager): Promise<boolean> {
    return ((await em.delete(EmailChannel, { id: 1 })).affected ?? 0) > 0;
  }

  /**
   * Reads the settings, logs in with no transaction open (a mailbox may take seconds to answer), then records the
   * outcome.
   */
  async test(inTenant: TenantTransaction): Promise<EmailChannelTestResult> {
    const settings = await inTenant(async (em, tenant) => {
      const channel = await this.get(em);
      if (!channel) throw new NotFoundError('Email channel');
      return this.settingsOf(channel, tenant.id);
    });
    let error: string | null = null;
    try {
      await this.deps.reader.testConnection(settings);
    } catch (failure) {
      if (!(failure instanceof MailboxError)) throw failure;
      error = failure.message;
    }
    await inTenant((em) => this.recordError(em, error));
    return { ok: !error, error };
  }

  /** The mailbox to poll, or null when there is none or polling is off. */
  async mailboxToPoll(em: EntityManager, tenantId: string): Promise<MailboxToPoll | null> {
    const channel = await this.get(em);
    if (!channel?.pollEnabled) return null;
    return {
      settings: this.settingsOf(channel, tenantId),
      emailAddress: channel.emailAddress,
      fetch: {
        uidValidity: channel.uidValidity,
        lastUid: channel.lastUid,
        // After a UIDVALIDITY change, mail since the last poll is read again: dedupe by Message-ID drops what was seen.
        since: new Date(
          (channel.uidValidity === null
            ? channel.readingSince
            : (channel.lastPolledAt ?? channel.readingSince)
          ).getTime() - CLOCK_SLACK_MS,
        ),
        maxMessages: this.maxMessagesPerPoll,
        maxBytes: this.deps.maxMessageBytes,
      },
    };
  }

  /** The IMAP session of a poll: no transaction is open meanwhile. Throws MailboxError. */
  fetch(mailbox: MailboxToPoll): Promise<FetchResult> {
    return this.deps.reader.fetchSince(mailbox.settings, mailbox.fetch);
  }

  /**
   * One polled message, in its own transaction: into a ticket (with an acknowledgement unless
   * it is automatic mail), and the watermark moves past it in the same transaction, so a crash
   * between messages neither loses nor repeats one. LIMIT_EXCEEDED (tickets) rolls it all back.
   */
  async ingest(
    em: EntityManager,
    tenantId: string,
    mailbox: MailboxToPoll,
    uidValidity: number,
    message: FetchedMessage,
  ): Promise<IngestOutcome> {
    const channel = await em.findOne(EmailChannel, { where: { id: 1 }, lock: { mode: 'pessimistic_write' } });
    const { settings } = mailbox;
    const same =
      channel &&
      channel.imapHost === settings.host &&
      channel.username === settings.username &&
      channel.folder === settings.folder;
    if (!same || (channel.uidValidity === uidValidity && channel.lastUid >= message.uid)) return 'already-handled';
    const outcome = await this.receive(em, tenantId, mailbox, uidValidity, message);
    await em.update(EmailChannel, { id: 1 }, { uidValidity, lastUid: message.uid });
    return outcome;
  }

  /** After a poll: when it ran and what failed (null clears the error). */
  async recordPoll(em: EntityManager, error: string | null): Promise<void> {
    await em.update(EmailChannel, { id: 1 }, { lastPolledAt: this.now(), ...this.errorFields(error) });
  }

  /**
   * After the outbox settled a team reply: a failure becomes lastError; a success clears only a
   * reply's failure, since mail sent by SMTP says nothing of whether the mailbox can be read.
   */
  async recordReply(em: EntityManager, error: string | null): Promise<void> {
    if (error) await this.recordError(em, `${REPLY_FAILED}${error}`);
    else await em.update(EmailChannel, { id: 1, lastError: Like(`${REPLY_FAILED}%`) }, this.errorFields(null));
  }

  private async receive(
    em: EntityManager,
    tenantId: string,
    mailbox: MailboxToPoll,
    uidValidity: number,
    message: FetchedMessage,
  ): Promise<IngestOutcome> {
    const mail = message.parsed;
    if (!mail) return 'skipped-too-large';
    if (carriesOurLoop(mail.headers, mailbox.emailAddress)) return 'ignored-own-loop';
    if (!mail.from) return 'ignored-no-sender';
    const tag = TICKET_TAG.exec(mail.subject);
    const automatic = isAutomatic(mail.headers, mail.from.address, [
      mailbox.emailAddress,
      bareAddress(this.deps.platformFrom),
    ]);
    const inbound: InboundMessage = {
      channel: TicketChannel.EMAIL,
      automatic,
      // Mail without a Message-ID gets one that is stable across polls of this folder.
      externalId: mail.messageId ?? `<${uidValidity}.${message.uid}@${mailbox.settings.host}>`,
      from: mail.from,
      subject: mail.subject,
      body: mail.text || '(no text)',
      thread: {
        ticketNumber: tag ? Number(tag[1]) : undefined,
        messageIds: [mail.inReplyTo, ...mail.references].filter((id): id is string => !!id),
      },
    };
    const outcome = await this.deps.tickets.receiveFromCustomer(em, tenantId, inbound);
    if (outcome.kind === 'created' && !automatic) {
      await this.acknowledge(
        em,
        tenantId,
        mailbox.emailAddress,
        outcome,
        { ...mail, from: mail.from },
        inbound.externalId,
      );
    }
    return outcome.kind;
  }

  /**
   * RFC 3834 §3: marked auto-replied (plus our X-Loop and Exchange's suppression), threaded under the customer's mail.
   */
  private async acknowledge(
    em: EntityManager,
    tenantId: string,
    address: string,
    { ticketId, ticketNumber }: { ticketId: string; ticketNumber: number },
    mail: ParsedMessage & { from: { address: string; name?: string } },
    inReplyTo: string,
  ) {
    const companyName = await this.deps.companyNameOf(em, tenantId);
    const content = this.deps.templates.ticketReceived({
      customerName: mail.from.name || mail.from.address,
      companyName,
      ticketNumber,
      ticketSubject: mail.subject.trim() || '(no subject)',
    });
    await this.deps.outbox.enqueue(em, {
      ...content,
      idempotencyKey: `ticket-ack:${tenantId}:${ticketId}`,
      to: mail.from.address,
      fromName: companyName,
      replyTo: address,
      messageId: `<ticket-ack-${ticketId}@${domainOf(address)}>`,
      headers: {
        'In-Reply-To': inReplyTo,
        References: inReplyTo,
        'Auto-Submitted': 'auto-replied',
        'X-Auto-Response-Suppress': 'All',
        'X-Loop': address,
      },
    });
  }

  private async recordError(em: EntityManager, error: string | null): Promise<void> {
    await em.update(EmailChannel, { id: 1 }, this.errorFields(error));
  }

  private errorFields(error: string | null) {
    return { lastError: error, lastErrorAt: error ? this.now() : null };
  }

  private settingsOf(channel: EmailChannel, tenantId: string): MailboxSettings {
    return {
      host: channel.imapHost,
      port: channel.imapPort,
      secure: channel.secure,
      username: channel.username,
      password: this.deps.secrets.open(channel.passwordSealed, passwordContext(tenantId)),
      folder: channel.folder,
    };
  }
}

/** Onboarding: done once a support mailbox is configured (and undone when it is removed). */
export const emailChannelConfiguredStep: OnboardingStepDefinition = {
  key: 'email-channel-configured',
  title: 'Connect your support mailbox',
  completedAt: async (manager) => (await manager.query('SELECT min(created_at) AS at FROM email_channels'))[0].at,
};
