import { z } from 'zod';
import { defineTool, inputs, READ_ONLY, writes } from './mcp-tool';

const QUOTE = `id number title status currency customerId validUntil subtotal discount tax total sentAt createdAt
  lineItems { position description productId quantity unitPrice taxRate discountPercent subtotal tax total }`;

export const quoteTools = [
  defineTool({
    name: 'quotes_generate',
    title: 'Generate a quote from a request',
    description:
      'Drafts a DRAFT quote for a customer from a free-text request (e.g. "50 metres of Cat6 cable, 3 access points"), ' +
      'priced from the catalog with server-side totals. Nothing is sent: review it with quotes_get, then quotes_send. ' +
      "Counts one against the plan's monthly quotes limit (LIMIT_EXCEEDED when reached) and one API call; " +
      'BAD_USER_INPUT NO_MATCHING_PRODUCTS when nothing in the catalog matches.',
    input: z.object({
      customerId: inputs.id('customer'),
      quoteTitle: inputs.text(200),
      customerRequest: inputs.text(2_000).describe('What the customer asked for, in their words'),
      currency: z
        .string()
        .regex(/^[A-Z]{3}$/)
        .optional()
        .describe("ISO 4217 code; defaults to the organization's"),
      validUntil: z
        .string()
        .regex(/^\d{4}-\d{2}-\d{2}$/)
        .optional()
        .describe('Last valid day, YYYY-MM-DD; defaults to 30 days from today'),
    }),
    annotations: writes({ destructive: false, idempotent: false }),
    operation: `mutation McpQuoteGenerate($input: GenerateQuoteInput!) {
      generateQuote(input: $input) { generatedBy fallbackReason quote { ${QUOTE} } }
    }`,
    variables: (input) => ({ input }),
    output: (data) => data.generateQuote as Record<string, unknown>,
    untrusted: true,
  }),
  defineTool({
    name: 'quotes_get',
    title: 'Get a quote with its totals',
    description:
      'One quote with its lines and totals (subtotal, discount, tax, total; decimal strings in its currency) and ' +
      'status. Costs one API call against the plan.',
    input: z.object({ id: inputs.id('quote') }),
    annotations: READ_ONLY,
    operation: `query McpQuoteGet($id: ID!) { quote(id: $id) { ${QUOTE} } }`,
    variables: (args) => args,
    output: (data) => data.quote as Record<string, unknown>,
    untrusted: true,
  }),
  defineTool({
    name: 'quotes_send',
    title: 'Send a quote to the customer',
    description:
      "Emails the customer the quote's PDF and makes it SENT. It cannot be taken back: confirm with a person first. " +
      'CONFLICT (QUOTE_NOT_DRAFT, QUOTE_EXPIRED) unless it is a DRAFT; BAD_USER_INPUT (CUSTOMER_HAS_NO_EMAIL). ' +
      'Costs one API call against the plan.',
    input: z.object({ id: inputs.id('quote') }),
    annotations: { ...writes({ destructive: false, idempotent: false }), openWorldHint: true },
    operation: `mutation McpQuoteSend($id: ID!) { sendQuote(id: $id) { ${QUOTE} } }`,
    variables: (args) => args,
    output: (data) => data.sendQuote as Record<string, unknown>,
    untrusted: true,
  }),
];
