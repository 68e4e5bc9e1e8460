import type { EntityManager } from 'typeorm';
import type { Ticket, TicketMessage } from './ticket.entity';
import type { TicketChannel } from './ticket-enums';

/** A customer's message as a channel (mailbox poll, WhatsApp webhook) received it. */
export interface InboundMessage {
  channel: TicketChannel.EMAIL | TicketChannel.WHATSAPP;
  /** The channel's id of the message (Message-ID, wamid): a second delivery of it is ignored. */
  externalId: string;
  /** An email address or a WhatsApp number (digits, as Meta sends `from`). */
  from: { address: string; name?: string };
  /** The email subject; for WhatsApp, what the new ticket is called. */
  subject: string;
  body: string;
  /** Mail nobody should auto-reply to (Auto-Submitted, Precedence: bulk, …): automation sends it no reply. */
  automatic?: boolean;
  /** Email threading: a `#1042` found in the subject, and the In-Reply-To and References ids. */
  thread?: { ticketNumber?: number; messageIds?: string[] };
}

export type InboundOutcome =
  | { kind: 'duplicate' }
  | {
      kind: 'created' | 'appended';
      ticketId: string;
      ticketNumber: number;
      messageId: string;
      customerId: string | null;
    };

/** A public team reply on a ticket of a channel, handed to that channel in the transaction that stores it. */
export interface TicketReply {
  tenantId: string;
  ticket: Ticket;
  message: TicketMessage;
  /** External ids of the ticket's earlier channel messages, oldest first (an email's References). */
  threadExternalIds: string[];
}

/**
 * How a channel module sends team replies. `queueReply` runs inside the reply's transaction:
 * it must only queue (an outbox row, a pending message), so a rolled-back reply sends nothing,
 * and it may throw an AppError to refuse the reply (e.g. the channel was removed). It returns
 * the external id the sent message will carry when it is known in advance (an email Message-ID).
 */
export interface TicketReplyChannel {
  readonly channel: TicketChannel;
  queueReply(em: EntityManager, reply: TicketReply): Promise<{ externalId?: string }>;
}
