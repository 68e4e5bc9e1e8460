import type { Request, Response } from 'express';
import type { DataSource } from 'typeorm';
import type { AppConfig } from '../config/config';
import { matchesAdminSecret } from './admin-secret';

export type JobsState = 'running' | 'stopped' | 'disabled';

export interface HealthDependencies {
  dataSource: DataSource;
  version: string;
  jobsState: () => JobsState;
  isShuttingDown: () => boolean;
  /** The MCP endpoint's path when it is served (src/modules/mcp): reported so operators see it is up. */
  mcpEndpoint?: string;
  /** Whether this caller may read the version (see `versionVisibility`). */
  showsVersionTo: (req: Request) => boolean;
}

/**
 * The version tells an attacker which known bugs to try: anonymous callers see it outside production
 * only; in production a caller presenting the metrics token (`Authorization: Bearer`) or the admin
 * secret (`X-Admin-Secret`) does.
 */
export function versionVisibility(config: Pick<AppConfig, 'isProduction' | 'adminSecret' | 'metrics'>) {
  return (req: Request): boolean => {
    if (!config.isProduction) return true;
    const bearer = /^Bearer (.+)$/.exec(req.get('authorization') ?? '')?.[1] ?? '';
    const adminSecret = req.get('x-admin-secret') ?? '';
    return matchesAdminSecret(bearer, config.metrics.token) || matchesAdminSecret(adminSecret, config.adminSecret);
  };
}

const DB_CHECK_TIMEOUT_MS = 2000;

async function databaseReachable(dataSource: DataSource): Promise<boolean> {
  if (!dataSource.isInitialized) return false;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), DB_CHECK_TIMEOUT_MS)));
  try {
    return await Promise.race([
      dataSource.query('SELECT 1').then(
        () => true,
        () => false,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** `GET /health`: what an operator reads. 503 names the failing part. */
export function healthHandler(deps: HealthDependencies) {
  return async (req: Request, res: Response) => {
    const database = (await databaseReachable(deps.dataSource)) ? 'connected' : 'disconnected';
    const jobs = deps.jobsState();
    const healthy = database === 'connected' && jobs !== 'stopped' && !deps.isShuttingDown();
    res.status(healthy ? 200 : 503).json({
      status: healthy ? 'healthy' : 'unhealthy',
      uptime: Math.round(process.uptime()),
      database,
      jobs,
      ...(deps.mcpEndpoint ? { mcp: { status: 'serving', endpoint: deps.mcpEndpoint } } : {}),
      ...(deps.showsVersionTo(req) ? { version: deps.version } : {}),
      ...(deps.isShuttingDown() ? { shuttingDown: true } : {}),
    });
  };
}

/** `GET /ready`: what a load balancer reads. Not ready while shutting down or without a database. */
export function readinessHandler(deps: HealthDependencies) {
  return async (_req: Request, res: Response) => {
    const ready = !deps.isShuttingDown() && (await databaseReachable(deps.dataSource));
    res.status(ready ? 200 : 503).json({ ready });
  };
}
