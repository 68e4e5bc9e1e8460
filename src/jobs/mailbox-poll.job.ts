import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { mapWithConcurrency } from '../core/concurrency';
import { LimitExceededError } from '../core/errors/app-error';
import type { JobDefinition } from '../core/jobs/job-definition';
import { runInSchema, type ScopedTenant } from '../core/tenancy/tenant-scope';
import { MailboxError } from '../integrations/imap';
import {
  MAILBOX_POLL_JOB,
  type EmailChannelService,
  type IngestOutcome,
  type MailboxToPoll,
} from '../modules/email-channel';
import { sweepDueTenants, type SweepDependencies } from './tenant-fan-out';

export { MAILBOX_POLL_JOB };
/** Mailboxes read at once: each is one IMAP session (and, per message, one short transaction). */
const CONCURRENCY = 4;

export interface MailboxPollDependencies extends SweepDependencies {
  dataSource: DataSource;
  emailChannels: Pick<EmailChannelService, 'mailboxToPoll' | 'fetch' | 'ingest' | 'recordPoll'>;
  config: { emailChannel: { pollInterval: string } };
}

export interface MailboxPollSummary {
  tenantId: string;
  outcomes: Partial<Record<IngestOutcome, number>>;
  /** What was recorded as the channel's lastError; null when the poll succeeded. */
  error: string | null;
}

/**
 * One organization's mailbox: the IMAP session runs outside any transaction, then each message
 * is taken in its own short transaction with the watermark. A mailbox that cannot be read, or
 * a full tickets limit, stops this mailbox's run (nothing is lost: the watermark stays before
 * the message) and is recorded as lastError; lastPolledAt is recorded either way.
 */
export async function pollMailbox(
  deps: MailboxPollDependencies,
  tenant: ScopedTenant,
  mailbox: MailboxToPoll,
  logger: Logger,
): Promise<MailboxPollSummary> {
  const inTenant = <T>(work: Parameters<typeof runInSchema<T>>[2]) =>
    runInSchema(deps.dataSource, tenant.schema, work, tenant);
  const outcomes: MailboxPollSummary['outcomes'] = {};
  let error: string | null = null;
  try {
    const { uidValidity, messages } = await deps.emailChannels.fetch(mailbox);
    for (const message of messages) {
      const outcome = await inTenant((em) => deps.emailChannels.ingest(em, tenant.id, mailbox, uidValidity, message));
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    }
  } catch (failure) {
    if (failure instanceof MailboxError) error = failure.message;
    else if (failure instanceof LimitExceededError) error = `New mail waits in the mailbox: ${failure.message}`;
    else {
      logger.error({ err: failure, tenantId: tenant.id }, 'mailbox poll failed');
      error =
        'Mail could not be processed (an internal error, logged); it stays in the mailbox and is retried on the next poll';
    }
  }
  await inTenant((em) => deps.emailChannels.recordPoll(em, error));
  return { tenantId: tenant.id, outcomes, error };
}

/**
 * Every EMAIL_POLL_INTERVAL: the support mailbox of each active organization with polling on becomes tickets.
 * Only organizations with a mailbox are visited (configuring one marks it due; while it stays configured it is due
 * at every run). Settings are read in one short transaction per tenant, then mailboxes are read a few at a time;
 * one broken mailbox never stops the others.
 */
export function mailboxPollJob(deps: MailboxPollDependencies): JobDefinition {
  return {
    name: MAILBOX_POLL_JOB,
    every: deps.config.emailChannel.pollInterval,
    concurrency: 1,
    async run(_data, context) {
      const due: { tenant: ScopedTenant; mailbox: MailboxToPoll }[] = [];
      await sweepDueTenants(MAILBOX_POLL_JOB, deps, context, async (em, tenant) => {
        const mailbox = await deps.emailChannels.mailboxToPoll(em, tenant.id);
        if (mailbox) due.push({ tenant, mailbox });
        return { counts: {}, nextDueAt: mailbox && deps.now() };
      });
      const summaries = await mapWithConcurrency(due, CONCURRENCY, async ({ tenant, mailbox }) => {
        const summary = await pollMailbox(deps, tenant, mailbox, context.logger).catch((err: unknown) => {
          context.logger.error({ err, tenantId: tenant.id }, 'mailbox poll could not record its outcome');
          return null;
        });
        await context.touch();
        return summary;
      });
      const failed = summaries.filter((s) => !s || s.error).length;
      // A mailbox that fails is mostly the organization's settings (shown on its channel), internal errors are
      // logged above: a routine poll is debug.
      context.logger[failed ? 'info' : 'debug']({ mailboxes: due.length, failed }, 'mailboxes polled');
    },
  };
}
