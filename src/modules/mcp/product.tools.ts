import { z } from 'zod';
import { capText, defineTool, inputs, page, READ_ONLY } from './mcp-tool';

const PRODUCT = 'id sku name description unit unitPrice currency taxRate isOwnProduct active';

export const productTools = [
  defineTool({
    name: 'products_search',
    title: 'Search the product catalog',
    description:
      "Searches the organization's products and services by name, description and SKU (all words must match); " +
      'active ones unless asked otherwise. Prices are per unit, in the currency given, before tax (taxRate in ' +
      'percent). Use it before quotes_generate to check what can be offered. Costs one API call against the plan.',
    input: z.object({
      query: inputs.search.optional().describe('Words that must all match; without it, the whole catalog'),
      active: z.boolean().default(true),
      first: inputs.first,
      after: inputs.after,
    }),
    annotations: READ_ONLY,
    operation: `query McpProductsSearch($search: String, $active: Boolean, $first: Int!, $after: String) {
      products(search: $search, active: $active, first: $first, after: $after) {
        pageInfo { endCursor hasNextPage } edges { node { ${PRODUCT} } }
      }
    }`,
    variables: ({ query, ...rest }) => ({ search: query, ...rest }),
    output: (data) =>
      page(data.products, (product: { description: string | null }) => ({
        ...product,
        description: capText(product.description, 500),
      })),
    untrusted: true,
  }),
];
