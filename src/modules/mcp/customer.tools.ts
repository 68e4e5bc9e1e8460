import { z } from 'zod';
import { defineTool, inputs, page, READ_ONLY } from './mcp-tool';

const CUSTOMER = 'id name email phone createdAt updatedAt';

export const customerTools = [
  defineTool({
    name: 'customers_search',
    title: 'Search customers',
    description:
      "Finds the organization's customers by part of their name, email or phone (case-insensitive), or lists them " +
      'all without a query. Use it to find the customerId other tools need. Costs one API call against the plan.',
    input: z.object({
      query: inputs.search.optional().describe('Part of a name, email address or phone number'),
      first: inputs.first,
      after: inputs.after,
    }),
    annotations: READ_ONLY,
    operation: `query McpCustomersSearch($search: String, $first: Int!, $after: String) {
      customers(search: $search, first: $first, after: $after) {
        pageInfo { endCursor hasNextPage } edges { node { ${CUSTOMER} } }
      }
    }`,
    variables: ({ query, first, after }) => ({ search: query, first, after }),
    output: (data) => page(data.customers, (customer: object) => customer),
    untrusted: true,
  }),
  defineTool({
    name: 'customers_get',
    title: 'Get a customer',
    description: 'One customer by id: name, email and phone. Costs one API call against the plan.',
    input: z.object({ id: inputs.id('customer') }),
    annotations: READ_ONLY,
    operation: `query McpCustomerGet($id: ID!) { customer(id: $id) { ${CUSTOMER} } }`,
    variables: (args) => args,
    output: (data) => data.customer as Record<string, unknown>,
    untrusted: true,
  }),
];
