import { LRUCache } from 'lru-cache';
import type { DataSource, EntityManager } from 'typeorm';
import { BadUserInputError, NotFoundError } from '../../core/errors/app-error';
import type { Principal } from '../../core/http/request-context';
import type { RevocationCheck, RevocationSource } from '../../core/revocation/revocation-feed';
import { isUuid } from '../../core/tenancy/tenant-schema';
import type { ScopedTenant } from '../../core/tenancy/tenant-scope';
import type { OnboardingStepDefinition } from '../onboarding';
import { generateApiKeySecret, hashApiKeySecret, isWellFormedApiKey, type ApiKeyEnvironment } from './api-key-secret';
import { ApiKey } from './api-key.entity';
import { recordApiKeyEvent } from './api-key.events';
import type { CreateApiKeyInput, CreatedApiKey } from './api-key.inputs';
import type { ApiKeyUsageRecorder } from './api-key-usage';
import type { EntitlementService } from '../plans';

export type ApiKeyPrincipal = Extract<Principal, { kind: 'api-key' }>;

export type InvalidApiKeyReason = 'INVALID_API_KEY' | 'API_KEY_REVOKED' | 'API_KEY_EXPIRED';

/** A presented key that does not authenticate; `authenticate` (src/app) answers it with 401. */
export class InvalidApiKeyError extends Error {
  constructor(readonly reason: InvalidApiKeyReason) {
    super(
      reason === 'API_KEY_REVOKED'
        ? 'API key revoked'
        : reason === 'API_KEY_EXPIRED'
          ? 'API key expired'
          : 'Invalid API key',
    );
  }
}

export interface ApiKeyServiceDependencies {
  dataSource: DataSource;
  environment: ApiKeyEnvironment;
  /** Scopes a key may be given: those the field policies check (src/app/permissions.ts). */
  scopes: readonly string[];
  usage: ApiKeyUsageRecorder;
  /** API access is a plan feature (`api_access`). */
  entitlements: Pick<EntitlementService, 'requireFeature'>;
  /** Verified keys kept in process: how long at most, how many. */
  cache: { ttlMs: number; max: number };
  /** The revocation feed's check of `REVOKED_API_KEYS_CHANNEL`; without it nothing is cached. */
  revoked?: RevocationCheck;
}

/** What the trigger of migration 1765018000000 notifies on with the id of each revoked (or deleted) key. */
export const REVOKED_API_KEYS_CHANNEL = 'tenantql_revoked_api_keys';
/** A cached copy made just before a revocation lives `ttlMs` more: the feed keeps the entry a little longer. */
const RETENTION_MARGIN_MS = 60_000;

interface VerifiedKey {
  id: string;
  tenantId: string;
  scopes: string[];
  expiresAt: number | null;
}

/** Revoked API keys as a source of the process's revocation feed. */
export function revokedApiKeysSource(dataSource: DataSource, cacheTtlMs: number): RevocationSource {
  return {
    channel: REVOKED_API_KEYS_CHANNEL,
    retentionMs: cacheTtlMs + RETENTION_MARGIN_MS,
    load: async (client, withinMs) =>
      (
        await client.query<{ id: string; revokedAt: Date }>(
          `SELECT id::text, revoked_at AS "revokedAt" FROM public.api_keys
            WHERE revoked_at > now() - $1 * interval '1 millisecond'`,
          [withinMs],
        )
      ).rows,
    // While the listener is down: a key revoked or gone is refused.
    lookup: async (id) =>
      (await dataSource.query('SELECT 1 FROM public.api_keys WHERE id = $1 AND revoked_at IS NULL', [id])).length === 0,
  };
}

/**
 * API keys of organizations. A presented key is looked up by the SHA-256 of the secret
 * (unique index, one round trip) the first time, then kept in a bounded in-process cache
 * for a short while: a new key works at once, and a revoked one stops at once in every
 * process, since the revocation feed (NOTIFY on commit) is checked on every use.
 */
export class ApiKeyService {
  private readonly verified: LRUCache<string, VerifiedKey>;

  constructor(private readonly deps: ApiKeyServiceDependencies) {
    this.verified = new LRUCache({ max: deps.cache.max, ttl: deps.cache.ttlMs });
  }

  get scopes(): readonly string[] {
    return this.deps.scopes;
  }

  async authenticate(presented: string): Promise<ApiKeyPrincipal> {
    if (!isWellFormedApiKey(presented)) throw new InvalidApiKeyError('INVALID_API_KEY');
    const hash = hashApiKeySecret(presented);
    const cacheKey = hash.toString('base64');
    const key = this.verified.get(cacheKey) ?? (await this.lookUp(hash, cacheKey));
    if (await this.deps.revoked?.isRevoked(key.id)) {
      this.verified.delete(cacheKey);
      throw new InvalidApiKeyError('API_KEY_REVOKED');
    }
    if (key.expiresAt !== null && key.expiresAt <= Date.now()) throw new InvalidApiKeyError('API_KEY_EXPIRED');
    this.deps.usage.record(key.id);
    return { kind: 'api-key', apiKeyId: key.id, tenantId: key.tenantId, scopes: key.scopes };
  }

  /** The key in the database; cached once verified (only with a revocation feed to drop it). */
  private async lookUp(hash: Buffer, cacheKey: string): Promise<VerifiedKey> {
    const [key]: {
      id: string;
      tenant_id: string;
      scopes: string[];
      expires_at: Date | null;
      revoked_at: Date | null;
    }[] = await this.deps.dataSource.query(
      'SELECT id, tenant_id, scopes, expires_at, revoked_at FROM public.api_keys WHERE secret_hash = $1',
      [hash],
    );
    if (!key) throw new InvalidApiKeyError('INVALID_API_KEY');
    if (key.revoked_at) throw new InvalidApiKeyError('API_KEY_REVOKED');
    const verified = {
      id: key.id,
      tenantId: key.tenant_id,
      scopes: key.scopes,
      expiresAt: key.expires_at?.getTime() ?? null,
    };
    if (this.deps.revoked) this.verified.set(cacheKey, verified);
    return verified;
  }

  /** Stores only the hash; the secret goes back to the caller once. */
  async create(
    manager: EntityManager,
    tenant: ScopedTenant,
    actor: Principal,
    input: CreateApiKeyInput,
  ): Promise<CreatedApiKey> {
    await this.deps.entitlements.requireFeature(manager, tenant.id, 'api_access');
    const scopes = [...new Set(input.scopes.map((s) => s.trim()))].sort();
    const unknown = scopes.filter((s) => !this.deps.scopes.includes(s));
    if (unknown.length) {
      throw new BadUserInputError(`Unknown scope(s): ${unknown.join(', ')}`, {
        reason: 'UNKNOWN_SCOPE',
        allowedScopes: this.deps.scopes,
      });
    }
    if (input.expiresAt && input.expiresAt.getTime() <= Date.now()) {
      throw new BadUserInputError('expiresAt must be in the future', { reason: 'EXPIRY_IN_PAST' });
    }
    const { secret, hash, prefix } = generateApiKeySecret(this.deps.environment);
    const apiKey = await manager.save(
      manager.create(ApiKey, {
        tenantId: tenant.id,
        name: input.name.trim(),
        prefix,
        secretHash: hash,
        scopes,
        createdBy: actor.kind === 'user' ? actor.userId : null,
        expiresAt: input.expiresAt ?? null,
        lastUsedAt: null,
        revokedAt: null,
      }),
    );
    await recordApiKeyEvent(manager, 'api_key.created', apiKey);
    return { apiKey, secret };
  }

  /** Newest first, revoked and expired ones included. */
  async list(manager: EntityManager, tenantId: string): Promise<ApiKey[]> {
    const keys = await manager.find(ApiKey, { where: { tenantId }, order: { createdAt: 'DESC' } });
    return keys.map((key) => this.withUnwrittenUse(key));
  }

  async revoke(manager: EntityManager, tenantId: string, id: string): Promise<ApiKey> {
    const key = isUuid(id) ? await manager.findOneBy(ApiKey, { id, tenantId }) : null;
    if (!key) throw new NotFoundError('API key', id);
    if (!key.revokedAt) {
      key.revokedAt = new Date();
      await manager.update(ApiKey, { id }, { revokedAt: key.revokedAt });
      await recordApiKeyEvent(manager, 'api_key.revoked', key);
      // This process need not wait for the NOTIFY: its next use of the key reads the database (committed by then).
      this.forgetVerified(id);
    }
    return this.withUnwrittenUse(key);
  }

  /** Writes the batched `lastUsedAt` values now (tests, shutdown). */
  flushUsage(): Promise<void> {
    return this.deps.usage.flush();
  }

  private forgetVerified(id: string): void {
    for (const [cacheKey, key] of this.verified.entries()) if (key.id === id) this.verified.delete(cacheKey);
  }

  private withUnwrittenUse(key: ApiKey): ApiKey {
    const unwritten = this.deps.usage.unwritten(key.id);
    if (unwritten && (!key.lastUsedAt || unwritten > key.lastUsedAt)) key.lastUsedAt = unwritten;
    return key;
  }
}

/** Onboarding: done once a key was created (revoking it later does not undo the step). */
export const createApiKeyStep: OnboardingStepDefinition = {
  key: 'create-api-key',
  title: 'Create an API key',
  completedAt: async (manager, tenant) =>
    (await manager.query('SELECT min(created_at) AS at FROM public.api_keys WHERE tenant_id = $1', [tenant.id]))[0].at,
};
