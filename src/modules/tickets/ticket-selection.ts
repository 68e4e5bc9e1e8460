import type { GraphQLResolveInfo } from 'graphql';
import { selectsField } from '../../core/graphql/selection';
import type { TicketThreadSelection } from './ticket.service';

/**
 * Which parts of the ticket thread the client selected, at `path` below the root field
 * (e.g. ['edges', 'node'] for a connection): the root resolver preloads them with the page (elsewhere,
 * TicketResolver.messages/statusHistory batch them).
 */
export function threadSelection(info: GraphQLResolveInfo, path: string[] = []): TicketThreadSelection {
  return { messages: selectsField(info, 'messages', path), statusHistory: selectsField(info, 'statusHistory', path) };
}
