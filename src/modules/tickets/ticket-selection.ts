import type { FieldNode, GraphQLResolveInfo, SelectionSetNode } from 'graphql';
import type { TicketThreadSelection } from './ticket.service';

/** Fields named `name` directly in `set` (fragments included). */
function fieldsNamed(info: GraphQLResolveInfo, set: SelectionSetNode | undefined, name: string): FieldNode[] {
  return (set?.selections ?? []).flatMap((s) => {
    if (s.kind === 'Field') return s.name.value === name ? [s] : [];
    if (s.kind === 'InlineFragment') return fieldsNamed(info, s.selectionSet, name);
    return fieldsNamed(info, info.fragments[s.name.value]?.selectionSet, name);
  });
}

/**
 * Which parts of the ticket thread the client selected, at `path` below the root field
 * (e.g. ['edges', 'node'] for a connection): they are loaded inside the root resolver's transaction.
 */
export function threadSelection(info: GraphQLResolveInfo, path: string[] = []): TicketThreadSelection {
  let nodes: readonly FieldNode[] = info.fieldNodes;
  for (const step of path) nodes = nodes.flatMap((node) => fieldsNamed(info, node.selectionSet, step));
  const selects = (field: string) => nodes.some((node) => fieldsNamed(info, node.selectionSet, field).length > 0);
  return { messages: selects('messages'), statusHistory: selects('statusHistory') };
}
