import { hasRole, MemberRole, Policy } from '../../core/authorization';
import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { EntityManager } from 'typeorm';
import type { RequestContext } from '../../core/http/request-context';
import type { ScopedTenant } from '../../core/tenancy/tenant-scope';
import { CurrentTenant, TenantManager } from '../../core/tenancy/tenant-request';
import { ApiKey } from './api-key.entity';
import { CreateApiKeyInput, CreatedApiKey } from './api-key.inputs';
import { ApiKeyService } from './api-key.service';

@Resolver(() => ApiKey)
export class ApiKeyResolver {
  constructor(private readonly apiKeyService: ApiKeyService) {}

  @Policy(hasRole(MemberRole.ADMIN))
  @Query(() => [ApiKey], {
    description: "The organization's API keys, newest first (revoked and expired ones included)",
  })
  apiKeys(@TenantManager() manager: EntityManager, @CurrentTenant() tenant: ScopedTenant): Promise<ApiKey[]> {
    return this.apiKeyService.list(manager, tenant.id);
  }

  @Policy(hasRole(MemberRole.ADMIN))
  @Mutation(() => CreatedApiKey, {
    description:
      'A key for `Authorization: Bearer <secret>` or `X-API-Key: <secret>`; works at once, within its scopes, for this organization only',
  })
  createApiKey(
    @Arg('input') input: CreateApiKeyInput,
    @TenantManager() manager: EntityManager,
    @CurrentTenant() tenant: ScopedTenant,
    @Ctx() { principal }: RequestContext,
  ): Promise<CreatedApiKey> {
    return this.apiKeyService.create(manager, tenant, principal, input);
  }

  @Policy(hasRole(MemberRole.ADMIN))
  @Mutation(() => ApiKey, { description: 'The key stops working at once, in every process' })
  revokeApiKey(
    @Arg('id', () => ID) id: string,
    @TenantManager() manager: EntityManager,
    @CurrentTenant() tenant: ScopedTenant,
  ): Promise<ApiKey> {
    return this.apiKeyService.revoke(manager, tenant.id, id);
  }
}
