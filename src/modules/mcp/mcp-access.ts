import type { DataSource } from 'typeorm';
import type { EntitlementService } from '../plans';

/**
 * PLAN_UPGRADE_REQUIRED (with the cheapest plan that has it) unless the organization's plan has `mcp_access`: the
 * plans module's one rule, read fresh on every call (a downgrade applies at once), before the tool's own transaction
 * opens, so the request never holds two pooled connections.
 */
export const mcpAccessGate =
  (entitlements: Pick<EntitlementService, 'requireFeature'>, dataSource: DataSource) =>
  (tenantId: string): Promise<void> =>
    entitlements.requireFeature(dataSource.manager, tenantId, 'mcp_access');
