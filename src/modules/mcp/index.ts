export { McpCatalog, type McpCaller } from './mcp-server';
export { mcpEndpoint, type McpEndpointDependencies } from './mcp-endpoint';
export { mcpAccessGate } from './mcp-access';
export { MCP_TOOLS } from './mcp-tools';
export type { OperationResult, RunOperation } from './mcp-tool';
