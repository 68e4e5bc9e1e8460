import type { EntityManager } from 'typeorm';
import type { InboundMessage } from './ticket-channel';
import { TicketChannel } from './ticket-enums';

/**
 * The ticket a customer's message continues, if any: for email the ticket number in the
 * subject (from the ticket's contact address only), then In-Reply-To/References against the
 * thread's own message ids (whoever has them was on the thread); for WhatsApp
 * the sender's latest ticket that is not CLOSED. A CLOSED ticket is never continued.
 */
export async function findThreadTicket(em: EntityManager, inbound: InboundMessage): Promise<string | null> {
  if (inbound.channel === TicketChannel.WHATSAPP) {
    return firstId(
      await em.query(
        `SELECT id FROM tickets WHERE channel = 'WHATSAPP' AND contact_address = $1 AND status <> 'CLOSED' ORDER BY created_at DESC LIMIT 1`,
        [inbound.from.address],
      ),
    );
  }
  const { ticketNumber, messageIds = [] } = inbound.thread ?? {};
  if (ticketNumber !== undefined) {
    // Only from the ticket's own contact: anyone can type a number, and their text must not land in another customer's
    // ticket.
    const byNumber = firstId(
      await em.query(
        `SELECT id FROM tickets WHERE number = $1 AND status <> 'CLOSED' AND lower(contact_address) = lower($2)`,
        [ticketNumber, inbound.from.address],
      ),
    );
    if (byNumber) return byNumber;
  }
  if (!messageIds.length) return null;
  return firstId(
    await em.query(
      `SELECT t.id FROM ticket_messages m JOIN tickets t ON t.id = m.ticket_id
        WHERE m.external_id = ANY($1) AND t.status <> 'CLOSED' ORDER BY m.created_at DESC LIMIT 1`,
      [messageIds],
    ),
  );
}

/** A customer with this email address (any case) or WhatsApp number (digits compared). */
export async function findCustomerByContact(
  em: EntityManager,
  channel: InboundMessage['channel'],
  address: string,
): Promise<string | null> {
  const rows: { id: string }[] =
    channel === TicketChannel.EMAIL
      ? await em.query('SELECT id FROM customers WHERE lower(email) = lower($1) ORDER BY created_at LIMIT 1', [address])
      : await em.query(
          `SELECT id FROM customers WHERE regexp_replace(phone, '\\D', '', 'g') = $1 ORDER BY created_at LIMIT 1`,
          [address.replace(/\D/g, '')],
        );
  return firstId(rows);
}

const firstId = (rows: { id: string }[]): string | null => rows[0]?.id ?? null;
