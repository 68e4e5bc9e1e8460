import type { FieldNode, GraphQLResolveInfo, SelectionSetNode } from 'graphql';

/** Fields named `name` directly in `set` (fragments included). */
function fieldsNamed(info: GraphQLResolveInfo, set: SelectionSetNode | undefined, name: string): FieldNode[] {
  return (set?.selections ?? []).flatMap((s) => {
    if (s.kind === 'Field') return s.name.value === name ? [s] : [];
    if (s.kind === 'InlineFragment') return fieldsNamed(info, s.selectionSet, name);
    return fieldsNamed(info, info.fragments[s.name.value]?.selectionSet, name);
  });
}

/**
 * Whether the client asked for `field` directly under the resolved field (fragments included),
 * or under `path` below it (e.g. ['edges', 'node'] for a connection's items).
 * Costly optional parts (counts, preloaded threads) are loaded only when selected.
 */
export function selectsField(info: GraphQLResolveInfo, field: string, path: string[] = []): boolean {
  let nodes: readonly FieldNode[] = info.fieldNodes;
  for (const step of path) nodes = nodes.flatMap((node) => fieldsNamed(info, node.selectionSet, step));
  return nodes.some((node) => fieldsNamed(info, node.selectionSet, field).length > 0);
}
