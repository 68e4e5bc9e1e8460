import { articleTools } from './article.tools';
import { customerTools } from './customer.tools';
import type { McpTool } from './mcp-tool';
import { productTools } from './product.tools';
import { quoteTools } from './quote.tools';
import { ticketTools } from './ticket.tools';
import { usageTools } from './usage.tools';

/** Every tool of the MCP server, in the order `tools/list` shows them. */
export const MCP_TOOLS: readonly McpTool[] = [
  ...ticketTools,
  ...customerTools,
  ...articleTools,
  ...productTools,
  ...quoteTools,
  ...usageTools,
];
