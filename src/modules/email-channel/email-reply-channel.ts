import type { EntityManager } from 'typeorm';
import { ConflictError } from '../../core/errors/app-error';
import type { MailOutbox, MailTemplates } from '../../integrations/mail';
import { TicketChannel, type TicketReply, type TicketReplyChannel } from '../tickets';
import { domainOf, replySubject, type EmailChannelService } from './email-channel.service';
import { emailReplyKey } from './email-reply-delivery';

export interface EmailReplyChannelDependencies {
  channels: Pick<EmailChannelService, 'get'>;
  outbox: Pick<MailOutbox, 'enqueue'>;
  templates: Pick<MailTemplates, 'ticketReply'>;
  companyNameOf: (em: EntityManager, tenantId: string) => Promise<string>;
}

/** Long threads keep their first and latest ids: headers stay small, clients still thread. */
const MAX_REFERENCES = 20;

/**
 * Team replies on EMAIL tickets: queued in the outbox in the reply's transaction, with its own
 * Message-ID (returned, so the customer's answer threads by In-Reply-To), In-Reply-To and
 * References from the thread, and the mailbox as Reply-To. The outbox row tracks the sending;
 * once it is settled the message becomes SENT or FAILED (recordEmailReplyDelivery).
 */
export class EmailReplyChannel implements TicketReplyChannel {
  readonly channel = TicketChannel.EMAIL;

  constructor(private readonly deps: EmailReplyChannelDependencies) {}

  async queueReply(
    em: EntityManager,
    { tenantId, ticket, message, threadExternalIds }: TicketReply,
  ): Promise<{ externalId: string }> {
    const mailbox = await this.deps.channels.get(em);
    if (!mailbox)
      throw new ConflictError('Email replies cannot be sent: no support mailbox is configured', {
        reason: 'CHANNEL_NOT_CONFIGURED',
      });
    if (!ticket.contactAddress)
      throw new ConflictError('The ticket has no email address to reply to', { reason: 'NO_CONTACT_ADDRESS' });
    const messageId = `<ticket-message-${message.id}@${domainOf(mailbox.emailAddress)}>`;
    const references =
      threadExternalIds.length > MAX_REFERENCES
        ? [threadExternalIds[0], ...threadExternalIds.slice(1 - MAX_REFERENCES)]
        : threadExternalIds;
    const companyName = await this.deps.companyNameOf(em, tenantId);
    await this.deps.outbox.enqueue(em, {
      ...this.deps.templates.ticketReply({ subject: replySubject(ticket.number, ticket.subject), body: message.body }),
      idempotencyKey: emailReplyKey(tenantId, message.id),
      to: ticket.contactAddress,
      fromName: companyName,
      replyTo: mailbox.emailAddress,
      messageId,
      headers: references.length
        ? {
            'In-Reply-To': references[references.length - 1],
            References: references.join(' '),
            'X-Loop': mailbox.emailAddress,
          }
        : { 'X-Loop': mailbox.emailAddress },
    });
    return { externalId: messageId };
  }
}
