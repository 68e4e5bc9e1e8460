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
