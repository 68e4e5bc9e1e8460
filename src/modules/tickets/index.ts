export { Ticket, TicketMessage, TicketStatusChange } from './ticket.entity';
export { TicketChannel, TicketPriority, TicketStatus } from './ticket-enums';
export { TicketService, type TicketActor } from './ticket.service';
export { TicketResolver } from './ticket.resolver';
export { SlaPolicy } from './sla-policy.entity';
export { SlaPolicyService } from './sla-policy.service';
export { SlaPolicyResolver } from './sla-policy.resolver';
export { SlaStatus } from './sla-status';
export { ticketPermissions } from './ticket.permissions';
