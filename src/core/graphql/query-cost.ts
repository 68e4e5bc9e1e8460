import type { ApolloServerPlugin } from '@apollo/server';
import {
  getNamedType,
  getNullableType,
  GraphQLError,
  isCompositeType,
  isListType,
  Kind,
  type DocumentNode,
  type FieldNode,
  type GraphQLArgument,
  type GraphQLField,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { BadUserInputError } from '../errors/app-error';

/** Items assumed for a list without a `first` argument (a ticket's messages, a quote's line items, …). */
export const UNPAGED_LIST_SIZE = 10;

/**
 * The cost model: an upper bound of the OBJECTS (rows) an operation can resolve. Every object
 * field costs 1 per parent row, scalars nothing; a field with a `first` argument (a connection)
 * multiplies its subtree by `first` (the value sent, variables included; its `edges` list is
 * then not counted again); any other list multiplies by UNPAGED_LIST_SIZE. Introspection is free.
 * So `tickets(first: 50)` with customer, assignee, articles and messages costs 1,800, and
 * `customers(first: 100) { tickets(first: 100) { … } }` over 100,000: refused at 5,000.
 */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> = {},
): number {
  const fragments = new Map(
    document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === 'FragmentDefinition')
      .map((d) => [d.name.value, d]),
  );
  const costOf = (set: SelectionSetNode | undefined, parent: GraphQLCompositeType, seen: Set<string>): number => {
    let cost = 0;
    for (const selection of set?.selections ?? []) {
      if (selection.kind === 'InlineFragment') {
        const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        if (isCompositeType(type)) cost += costOf(selection.selectionSet, type, seen);
      } else if (selection.kind === 'FragmentSpread') {
        const fragment = fragments.get(selection.name.value);
        const type = fragment && schema.getType(fragment.typeCondition.name.value);
        if (fragment && isCompositeType(type) && !seen.has(fragment.name.value))
          cost += costOf(fragment.selectionSet, type, new Set(seen).add(fragment.name.value));
      } else if (selection.selectionSet && !selection.name.value.startsWith('__') && 'getFields' in parent) {
        const field = parent.getFields()[selection.name.value];
        const shape = field && shapeOf(field, parent);
        if (!shape?.type) continue;
        const rows = shape.first ? firstOf(shape.first, selection, variables) : shape.rows;
        cost += rows * (1 + costOf(selection.selectionSet, shape.type, seen));
      }
    }
    return cost;
  };
  const root = schema.getRootType(operation.operation);
  return root ? costOf(operation.selectionSet, root, new Set()) : 0;
}

/** What the cost needs of a field, worked out once per schema field (graphql's type checks are slow in development). */
interface FieldShape {
  /** The object type below it; null for scalars and enums (free). */
  type: GraphQLCompositeType | null;
  /** Its `first` argument, when it has one. */
  first?: GraphQLArgument;
  /** Rows per parent row without `first`: UNPAGED_LIST_SIZE for a list (but a connection's `edges`), else 1. */
  rows: number;
}

const shapes = new WeakMap<GraphQLField<unknown, unknown>, FieldShape>();

function shapeOf(field: GraphQLField<unknown, unknown>, parent: GraphQLCompositeType): FieldShape {
  let shape = shapes.get(field);
  if (!shape) {
    const named = getNamedType(field.type);
    const isEdges = field.name === 'edges' && parent.name.endsWith('Connection');
    shape = {
      type: isCompositeType(named) ? named : null,
      first: field.args.find((arg) => arg.name === 'first'),
      rows: isListType(getNullableType(field.type)) && !isEdges ? UNPAGED_LIST_SIZE : 1,
    };
    shapes.set(field, shape);
  }
  return shape;
}

/** The `first` sent (a literal or a variable), else its default; at least 1. */
function firstOf(arg: GraphQLArgument, node: FieldNode, variables: Record<string, unknown>): number {
  const value = node.arguments?.find((a) => a.name.value === 'first')?.value;
  const sent =
    value?.kind === Kind.INT
      ? Number(value.value)
      : value?.kind === Kind.VARIABLE
        ? variables[value.name.value]
        : arg.defaultValue;
  return Math.max(1, Number(sent) || 1);
}

/** Costs of operations sent without variables, per parsed document (Apollo keeps a parsed document per query text). */
const costsWithoutVariables = new WeakMap<DocumentNode, WeakMap<OperationDefinitionNode, number>>();

/** `operationCost`, worked out once per document and operation when no variables can change a `first`. */
function cachedOperationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> | undefined,
): number {
  if (variables && Object.keys(variables).length) return operationCost(schema, document, operation, variables);
  let costs = costsWithoutVariables.get(document);
  if (!costs) costsWithoutVariables.set(document, (costs = new WeakMap()));
  let cost = costs.get(operation);
  if (cost === undefined) costs.set(operation, (cost = operationCost(schema, document, operation)));
  return cost;
}

/**
 * Refuses an operation whose cost (`operationCost`, with its variables) exceeds `maxCost`, before
 * anything runs: BAD_USER_INPUT with reason QUERY_COST_EXCEEDED, its cost and the limit (HTTP 400).
 */
export function queryCostPlugin<TContext extends object>(maxCost: number): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operation, request }) {
          if (!operation) return;
          const cost = cachedOperationCost(schema, document, operation, request.variables);
          if (cost <= maxCost) return;
          const message = `The query costs ${cost}, more than the limit of ${maxCost} (about the objects it can read; ask for fewer items)`;
          const refusal = new BadUserInputError(message, { reason: 'QUERY_COST_EXCEEDED', cost, maxCost });
          throw new GraphQLError(message, {
            originalError: refusal,
            extensions: { code: refusal.code, http: { status: 400 } },
          });
        },
      };
    },
  };
}
