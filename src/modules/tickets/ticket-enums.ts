import { registerEnumType } from 'type-graphql';

export enum TicketStatus {
  NEW = 'NEW',
  OPEN = 'OPEN',
  PENDING = 'PENDING',
  RESOLVED = 'RESOLVED',
  CLOSED = 'CLOSED',
}
registerEnumType(TicketStatus, { name: 'TicketStatus', description: 'Where a ticket is in its life' });

export enum TicketPriority {
  LOW = 'LOW',
  NORMAL = 'NORMAL',
  HIGH = 'HIGH',
  URGENT = 'URGENT',
}
registerEnumType(TicketPriority, { name: 'TicketPriority' });

export enum TicketChannel {
  API = 'API',
  EMAIL = 'EMAIL',
  WHATSAPP = 'WHATSAPP',
}
registerEnumType(TicketChannel, { name: 'TicketChannel', description: 'Where the ticket came from' });

export enum MessageAuthor {
  TEAM = 'TEAM',
  CUSTOMER = 'CUSTOMER',
}
registerEnumType(MessageAuthor, {
  name: 'MessageAuthor',
  description: 'Who wrote a ticket message: the team (or an API key), or the customer through a channel',
});

/** How far a team reply on an email or WhatsApp ticket got; null for notes and API tickets. */
export enum DeliveryStatus {
  QUEUED = 'QUEUED',
  SENT = 'SENT',
  DELIVERED = 'DELIVERED',
  READ = 'READ',
  FAILED = 'FAILED',
}
registerEnumType(DeliveryStatus, { name: 'DeliveryStatus' });
