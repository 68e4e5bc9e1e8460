import type { BenchContext } from '../bench-context';
import type { ProductionServer } from '../production-server';

/** The API the scale bench measures: `startProductionServer`. */
export type ScaleServer = ProductionServer;

/** One GraphQL POST as the platform admin, optionally in an organization. */
export function adminRequest(context: BenchContext, query: string, organization?: string) {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-admin-secret': context.config.adminSecret!,
  };
  if (organization) headers['x-organization-id'] = organization;
  return { method: 'POST' as const, path: '/graphql', headers, body: JSON.stringify({ query }) };
}

/** Sends one request and returns its parsed answer; any error or non-200 is thrown (a bench of errors is worthless). */
export async function sendGraphql<T>(server: ScaleServer, request: ReturnType<typeof adminRequest>): Promise<T> {
  const response = await fetch(`${server.url}${request.path}`, request);
  const text = await response.text();
  const parsed = JSON.parse(text) as { data?: T; errors?: unknown };
  if (response.status !== 200 || parsed.errors || !parsed.data) {
    throw new Error(`GraphQL request failed: ${response.status} ${text.slice(0, 500)}`);
  }
  return parsed.data;
}
