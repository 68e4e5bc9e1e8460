import type { EntityManager } from 'typeorm';
import { recordEvent } from '../../core/events';
import type { ApiKey } from './api-key.entity';

/** An API key's events (payload v1): its id, name, visible prefix and scopes; never the secret or its hash. */
export function recordApiKeyEvent(
  em: EntityManager,
  type: 'api_key.created' | 'api_key.revoked',
  key: ApiKey,
): Promise<void> {
  const created = type === 'api_key.created';
  return recordEvent(em, {
    type,
    entityId: key.id,
    tenantId: key.tenantId,
    payload: { apiKeyId: key.id, name: key.name, prefix: key.prefix, scopes: key.scopes, expiresAt: key.expiresAt },
    changes: created
      ? [
          { field: 'scopes', before: null, after: key.scopes },
          { field: 'expiresAt', before: null, after: key.expiresAt },
        ]
      : [{ field: 'revokedAt', before: null, after: key.revokedAt }],
  });
}
