import { parse, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { buildAppSchema } from '../../app/schema';
import { TicketsScreenDocument } from '../../../test/generated/graphql';
import { operationCost } from './query-cost';

const MAX_COST = 5000;

describe('query cost (objects an operation can read)', () => {
  let schema: GraphQLSchema;
  beforeAll(async () => {
    schema = await buildAppSchema();
  });
  const cost = (source: string | typeof TicketsScreenDocument, variables?: Record<string, unknown>) => {
    const document = typeof source === 'string' ? parse(source) : source;
    return operationCost(schema, document, document.definitions[0] as OperationDefinitionNode, variables);
  };

  it('lets ordinary screen queries through, growing with the page size', () => {
    const fiftyTickets = cost(TicketsScreenDocument, { first: 50 });
    // tickets × (connection + edge × (node + customer + assignee + 10 articles + 10 messages × (message + author)) +
    // pageInfo)
    expect(fiftyTickets).toBe(50 * (1 + (1 + (1 + 1 + 1 + 10 + 10 * (1 + 1))) + 1));
    expect(cost(TicketsScreenDocument, { first: 100 })).toBeLessThan(MAX_COST);
    expect(cost(TicketsScreenDocument, { first: 10 })).toBeLessThan(fiftyTickets / 4);
    // Refused by graphql-armor's cost (6,128 > 5,000) although it reads 50 rows and their threads.
    const scalars =
      'id number subject description status priority channel customerId assigneeId tags contactAddress firstResponseDueAt resolutionDueAt slaBusinessHoursOnly resolvedAt slaStatus';
    const thread =
      'statusHistory { id fromStatus toStatus changedByUserId changedAt } messages { id body internal authorUserId author createdAt }';
    expect(
      cost(
        `{ tickets(first: 50) { totalCount edges { cursor node { ${scalars} ${thread} } } pageInfo { hasNextPage endCursor } } }`,
      ),
    ).toBeLessThan(1500);
  });

  it('refuses fan-out: nested connections multiply', () => {
    const fanOut =
      '{ customers(first: 100) { edges { node { tickets(first: 100) { edges { node { id messages { id } } } } } } } }';
    expect(cost(fanOut)).toBeGreaterThan(100 * 100);
    expect(
      cost(
        'query($n: Int!) { customers(first: $n) { edges { node { tickets(first: $n) { edges { node { id } } } } } } }',
        { n: 100 },
      ),
    ).toBeGreaterThan(MAX_COST);
    expect(
      cost(
        'query($n: Int!) { customers(first: $n) { edges { node { tickets(first: $n) { edges { node { id } } } } } } }',
        { n: 5 },
      ),
    ).toBeLessThan(200);
  });

  it('counts fragments once per use and introspection not at all', () => {
    const withFragment = 'query { ticket(id: "1") { ...T } } fragment T on Ticket { id customer { id } }';
    expect(cost(withFragment)).toBe(1 + 1);
    expect(cost('{ __schema { types { name fields { name } } } }')).toBe(0);
  });
});
