import type { Principal } from './request-context';

/** Who acted, as recorded on what they wrote: `user:<id>`, `api-key:<id>` or `platform-admin`. */
export function actorLabel(principal: Principal): string {
  if (principal.kind === 'user') return `user:${principal.userId}`;
  if (principal.kind === 'api-key') return `api-key:${principal.apiKeyId}`;
  return principal.kind;
}
