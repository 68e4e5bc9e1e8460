import { z } from 'zod';
import { defineTool, READ_ONLY } from './mcp-tool';

/** The metrics of the plan, as `entitlement` names them. */
const METRICS = ['api_calls', 'tickets', 'quotes', 'customers', 'invoices', 'team_members'] as const;
const ENTITLEMENT = 'feature allowed limit used remaining resetsAt upgradeUrl';

export const usageTools = [
  defineTool({
    name: 'usage_get',
    title: "Get usage against the plan's limits",
    description:
      "What the organization used this month (or now, for customers and team members) against its plan's limits, " +
      'and what remains (null: unlimited). Check it before a batch of work: API calls, tickets and quotes are ' +
      'counted by tools too. API calls are counted a few seconds behind. Costs one API call.',
    input: z.object({}),
    annotations: READ_ONLY,
    operation: `query McpUsage {
      ${METRICS.map((m) => `${m}: entitlement(feature: "${m}") { ${ENTITLEMENT} }`).join('\n')}
    }`,
    variables: () => ({}),
    output: (data) => ({ metrics: METRICS.map((metric) => data[metric]) }),
    untrusted: false,
  }),
];
