import { z } from 'zod';
import { NotFoundError } from '../../core/errors/app-error';
import { capText, defineTool, inputs, page, READ_ONLY, writes } from './mcp-tool';

const STATUSES = ['NEW', 'OPEN', 'PENDING', 'RESOLVED', 'CLOSED'] as const;
const PRIORITIES = ['LOW', 'NORMAL', 'HIGH', 'URGENT'] as const;
/** A thread longer than this shows its newest messages (the transcript resource has the whole of it). */
const MESSAGES_SHOWN = 50;

const TICKET = `id number subject description status priority channel customerId assigneeId tags
  createdAt updatedAt resolvedAt slaStatus firstResponseDueAt resolutionDueAt`;
const LIST = `totalCount pageInfo { endCursor hasNextPage } edges { node { ${TICKET} } }`;

interface TicketNode {
  description: string;
  messages?: { body: string }[];
  [field: string]: unknown;
}

const summary = (ticket: TicketNode) => ({ ...ticket, description: capText(ticket.description, 500) });

const listOperation = (name: string) => `query ${name}($filter: TicketFilter, $first: Int!, $after: String) {
  tickets(filter: $filter, first: $first, after: $after) { ${LIST} }
}`;

const COSTS_ONE_CALL = 'Costs one API call against the plan.';

export const ticketTools = [
  defineTool({
    name: 'tickets_list',
    title: 'List tickets',
    description:
      'Lists helpdesk tickets, newest first, filtered by status, priority, assignee or customer. Use it to find work ' +
      `(e.g. every NEW ticket) or a customer's tickets; use tickets_search to find tickets by words. ${COSTS_ONE_CALL}`,
    input: z.object({
      status: z.enum(STATUSES).optional(),
      priority: z.enum(PRIORITIES).optional(),
      assigneeId: inputs.id('assigned team member').optional(),
      customerId: inputs.id('customer').optional(),
      first: inputs.first,
      after: inputs.after,
    }),
    annotations: READ_ONLY,
    operation: listOperation('McpTicketsList'),
    variables: ({ first, after, ...filter }) => ({ filter, first, after }),
    output: (data) => page(data.tickets, summary),
    untrusted: true,
  }),
  defineTool({
    name: 'tickets_search',
    title: 'Search tickets',
    description:
      'Finds tickets whose subject or description contains the words (case-insensitive), newest first. Use it when ' +
      `a customer refers to an earlier problem. ${COSTS_ONE_CALL}`,
    input: z.object({
      query: inputs.search.describe('Words to find in the subject or description'),
      status: z.enum(STATUSES).optional(),
      first: inputs.first,
      after: inputs.after,
    }),
    annotations: READ_ONLY,
    operation: listOperation('McpTicketsSearch'),
    variables: ({ query, status, first, after }) => ({ filter: { search: query, status }, first, after }),
    output: (data) => page(data.tickets, summary),
    untrusted: true,
  }),
  defineTool({
    name: 'tickets_get',
    title: 'Get a ticket with its messages',
    description:
      'One ticket with its conversation (customer messages, team replies and internal notes, oldest first; the ' +
      `newest ${MESSAGES_SHOWN} when longer). Give its id or its number (#1042 is 1042). Read it before replying. ` +
      COSTS_ONE_CALL,
    input: z.object({
      ticket: z
        .union([inputs.id('ticket'), z.number().int().min(1).max(2_147_483_647)])
        .describe('The ticket id, or its number'),
    }),
    annotations: READ_ONLY,
    operation: `query McpTicketGet($id: ID!, $byId: Boolean!, $number: Int) {
      ticket(id: $id) @include(if: $byId) { ...McpTicket }
      tickets(filter: { number: $number }, first: 1) @skip(if: $byId) { edges { node { ...McpTicket } } }
    }
    fragment McpTicket on Ticket { ${TICKET} messages { id author internal body createdAt deliveryStatus } }`,
    variables: ({ ticket }) =>
      typeof ticket === 'number' ? { id: '', byId: false, number: ticket } : { id: ticket, byId: true },
    output: (data, { ticket: ref }) => {
      const byNumber = data.tickets as { edges: { node: TicketNode }[] } | undefined;
      const ticket = (data.ticket as TicketNode | undefined) ?? byNumber?.edges[0]?.node;
      if (!ticket) throw new NotFoundError(`Ticket #${ref}`);
      const messages = ticket.messages ?? [];
      return {
        ...ticket,
        messages: messages.slice(-MESSAGES_SHOWN).map((m) => ({ ...m, body: capText(m.body, 4000) })),
        olderMessagesNotShown: Math.max(messages.length - MESSAGES_SHOWN, 0),
      };
    },
    untrusted: true,
  }),
  defineTool({
    name: 'tickets_create',
    title: 'Open a ticket',
    description:
      'Opens a new ticket (API channel) for the team to work on; nothing is sent to anyone. Counts one against the ' +
      "plan's monthly tickets limit (LIMIT_EXCEEDED when reached) and one API call. Search first to avoid duplicates.",
    input: z.object({
      subject: inputs.text(200),
      description: z.string().trim().max(10_000).default(''),
      priority: z.enum(PRIORITIES).default('NORMAL'),
      customerId: inputs.id('customer').optional(),
      tags: z.array(z.string().trim().min(1).max(50)).max(10).default([]),
    }),
    annotations: writes({ destructive: false, idempotent: false }),
    operation: `mutation McpTicketCreate($input: CreateTicketInput!) { createTicket(input: $input) { ${TICKET} } }`,
    variables: (input) => ({ input }),
    output: (data) => summary(data.createTicket as TicketNode),
    untrusted: true,
  }),
  defineTool({
    name: 'tickets_add_note',
    title: 'Add an internal note',
    description:
      'Adds an internal note to a ticket: for the team only, never sent to the customer. Use it to record findings ' +
      `or a suggested answer for a person to review. ${COSTS_ONE_CALL}`,
    input: z.object({ ticketId: inputs.id('ticket'), body: inputs.text(10_000) }),
    annotations: writes({ destructive: false, idempotent: false }),
    operation: `mutation McpTicketNote($ticketId: ID!, $body: String!) {
      addTicketMessage(ticketId: $ticketId, body: $body, internal: true) { id author internal body createdAt }
    }`,
    variables: (args) => args,
    output: (data) => data.addTicketMessage as Record<string, unknown>,
    untrusted: true,
  }),
  defineTool({
    name: 'tickets_reply',
    title: 'Reply to the customer',
    description:
      "Sends a public reply to the customer on the ticket's channel (email or WhatsApp; API tickets keep it in the " +
      'thread). It cannot be taken back: read the ticket first, and prefer tickets_add_note when a person should ' +
      `review the answer. ${COSTS_ONE_CALL}`,
    input: z.object({ ticketId: inputs.id('ticket'), body: inputs.text(10_000) }),
    annotations: { ...writes({ destructive: false, idempotent: false }), openWorldHint: true },
    operation: `mutation McpTicketReply($ticketId: ID!, $body: String!) {
      addTicketMessage(ticketId: $ticketId, body: $body, internal: false) {
        id author internal body createdAt deliveryStatus
      }
    }`,
    variables: (args) => args,
    output: (data) => data.addTicketMessage as Record<string, unknown>,
    untrusted: true,
  }),
  defineTool({
    name: 'tickets_set_status',
    title: 'Set the status of a ticket',
    description:
      'Moves a ticket to NEW, OPEN, PENDING (waiting on the customer: stops the SLA clock), RESOLVED or CLOSED. ' +
      `Every change is kept in its history. ${COSTS_ONE_CALL}`,
    input: z.object({ ticketId: inputs.id('ticket'), status: z.enum(STATUSES) }),
    annotations: writes({ destructive: false, idempotent: true }),
    operation: `mutation McpTicketStatus($id: ID!, $status: TicketStatus!) {
      updateTicket(id: $id, input: { status: $status }) { ${TICKET} }
    }`,
    variables: ({ ticketId, status }) => ({ id: ticketId, status }),
    output: (data) => summary(data.updateTicket as TicketNode),
    untrusted: true,
  }),
  defineTool({
    name: 'tickets_set_priority',
    title: 'Set the priority of a ticket',
    description: `Sets a ticket's priority (LOW, NORMAL, HIGH, URGENT). ${COSTS_ONE_CALL}`,
    input: z.object({ ticketId: inputs.id('ticket'), priority: z.enum(PRIORITIES) }),
    annotations: writes({ destructive: false, idempotent: true }),
    operation: `mutation McpTicketPriority($id: ID!, $priority: TicketPriority!) {
      updateTicket(id: $id, input: { priority: $priority }) { ${TICKET} }
    }`,
    variables: ({ ticketId, priority }) => ({ id: ticketId, priority }),
    output: (data) => summary(data.updateTicket as TicketNode),
    untrusted: true,
  }),
  defineTool({
    name: 'tickets_assign',
    title: 'Assign a ticket',
    description:
      'Assigns a ticket to a team member (their user id), or unassigns it with assigneeId null. NOT_FOUND unless ' +
      `the person is a member of the organization. ${COSTS_ONE_CALL}`,
    input: z.object({ ticketId: inputs.id('ticket'), assigneeId: inputs.id('team member').nullable() }),
    annotations: writes({ destructive: false, idempotent: true }),
    operation: `mutation McpTicketAssign($id: ID!, $assigneeId: ID) {
      assignTicket(id: $id, assigneeId: $assigneeId) { ${TICKET} }
    }`,
    variables: ({ ticketId, assigneeId }) => ({ id: ticketId, assigneeId }),
    output: (data) => summary(data.assignTicket as TicketNode),
    untrusted: true,
  }),
];
