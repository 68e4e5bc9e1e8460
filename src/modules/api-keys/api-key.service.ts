import type { DataSource, EntityManager } from 'typeorm';
import { BadUserInputError, NotFoundError } from '../../core/errors/app-error';
import type { Principal } from '../../core/http/request-context';
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
}

/**
 * API keys of organizations. Every request with a key looks it up by the SHA-256 of
 * the secret (unique index, one round trip, no cache): a new key works at once and a
 * revoked one stops at once, in every process.
 */
export class ApiKeyService {
  constructor(private readonly deps: ApiKeyServiceDependencies) {}

  get scopes(): readonly string[] {
    return this.deps.scopes;
  }

  async authenticate(presented: string): Promise<ApiKeyPrincipal> {
    if (!isWellFormedApiKey(presented)) throw new InvalidApiKeyError('INVALID_API_KEY');
    const [key]: {
      id: string;
      tenant_id: string;
      scopes: string[];
      expires_at: Date | null;
      revoked_at: Date | null;
    }[] = await this.deps.dataSource.query(
      'SELECT id, tenant_id, scopes, expires_at, revoked_at FROM public.api_keys WHERE secret_hash = $1',
      [hashApiKeySecret(presented)],
    );
    if (!key) throw new InvalidApiKeyError('INVALID_API_KEY');
    if (key.revoked_at) throw new InvalidApiKeyError('API_KEY_REVOKED');
    if (key.expires_at && key.expires_at.getTime() <= Date.now()) throw new InvalidApiKeyError('API_KEY_EXPIRED');
    this.deps.usage.record(key.id);
    return { kind: 'api-key', apiKeyId: key.id, tenantId: key.tenant_id, scopes: key.scopes };
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
    }
    return this.withUnwrittenUse(key);
  }

  /** Writes the batched `lastUsedAt` values now (tests, shutdown). */
  flushUsage(): Promise<void> {
    return this.deps.usage.flush();
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
