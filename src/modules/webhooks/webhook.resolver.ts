import { Arg, Args, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { EntityManager } from 'typeorm';
import { canRead, canWrite, hasRole, MemberRole, Policy, type AccessRule } from '../../core/authorization';
import type { ScopedTenant } from '../../core/tenancy/tenant-scope';
import { CurrentTenant, TenantManager } from '../../core/tenancy/tenant-request';
import type { WebhookService } from './webhook.service';
import {
  CreateWebhookEndpointInput,
  UpdateWebhookEndpointInput,
  WebhookDeliveriesArgs,
  WebhookDelivery,
  WebhookDeliveryConnection,
  WebhookEndpoint,
  WebhookEndpointWithSecret,
} from './webhook.types';

/** People need ADMIN; an API key needs `webhooks:read` / `webhooks:write` (partners manage their own endpoints). */
function adminOrKey(keyRule: AccessRule): AccessRule {
  const admin = hasRole(MemberRole.ADMIN);
  return {
    name: `${admin.name}|${keyRule.name}`,
    needsOrganization: true,
    apiKeyScopes: keyRule.apiKeyScopes,
    decide: (principal, role) => (principal.kind === 'api-key' ? keyRule : admin).decide(principal, role),
  };
}
const readWebhooks = adminOrKey(canRead('webhooks'));
const writeWebhooks = adminOrKey(canWrite('webhooks'));

const PLAN = 'PLAN_UPGRADE_REQUIRED unless the plan has webhooks';

@Resolver(() => WebhookEndpoint)
export class WebhookResolver {
  constructor(private readonly webhooks: WebhookService) {}

  @Policy(readWebhooks)
  @Query(() => [WebhookEndpoint], { description: "The organization's webhook endpoints, oldest first" })
  webhookEndpoints(@TenantManager() em: EntityManager, @CurrentTenant() tenant: ScopedTenant) {
    return this.webhooks.endpoints.list(em, tenant.id);
  }

  @Policy(readWebhooks)
  @Query(() => WebhookDeliveryConnection, {
    description: 'Deliveries to one endpoint, newest first: status, last response code and latency, attempts',
  })
  webhookDeliveries(
    @TenantManager() em: EntityManager,
    @CurrentTenant() tenant: ScopedTenant,
    @Args() { endpointId, first, after }: WebhookDeliveriesArgs,
  ) {
    return this.webhooks.deliveries(em, tenant.id, endpointId, first, after);
  }

  @Policy(writeWebhooks)
  @Mutation(() => WebhookEndpointWithSecret, {
    description: `The signing secret is returned this once. BAD_USER_INPUT (INVALID_URL, INSECURE_URL, PRIVATE_ADDRESS, UNRESOLVABLE_HOST, UNKNOWN_EVENT_TYPE); ${PLAN}`,
  })
  createWebhookEndpoint(
    @TenantManager() em: EntityManager,
    @CurrentTenant() tenant: ScopedTenant,
    @Arg('input') input: CreateWebhookEndpointInput,
  ) {
    return this.webhooks.endpoints.create(em, tenant.id, input);
  }

  @Policy(writeWebhooks)
  @Mutation(() => WebhookEndpoint, { description: `Only the fields given change; enabled: true re-enables. ${PLAN}` })
  updateWebhookEndpoint(
    @TenantManager() em: EntityManager,
    @CurrentTenant() tenant: ScopedTenant,
    @Arg('id', () => ID) id: string,
    @Arg('input') input: UpdateWebhookEndpointInput,
  ) {
    return this.webhooks.endpoints.update(em, tenant.id, id, input);
  }

  @Policy(writeWebhooks)
  @Mutation(() => Boolean, { description: 'Deletes the endpoint and its delivery log; NOT_FOUND when unknown' })
  deleteWebhookEndpoint(
    @TenantManager() em: EntityManager,
    @CurrentTenant() tenant: ScopedTenant,
    @Arg('id', () => ID) id: string,
  ) {
    return this.webhooks.endpoints.delete(em, tenant.id, id);
  }

  @Policy(writeWebhooks)
  @Mutation(() => WebhookEndpointWithSecret, {
    description: `A new signing secret, used from the next attempt on; returned this once. ${PLAN}`,
  })
  rotateWebhookSecret(
    @TenantManager() em: EntityManager,
    @CurrentTenant() tenant: ScopedTenant,
    @Arg('id', () => ID) id: string,
  ) {
    return this.webhooks.endpoints.rotateSecret(em, tenant.id, id);
  }

  @Policy(writeWebhooks)
  @Mutation(() => WebhookDelivery, {
    description: `Sends a \`webhook.test\` event now and returns the delivery after its first attempt. ${PLAN}`,
  })
  sendTestWebhook(
    @TenantManager() em: EntityManager,
    @CurrentTenant() tenant: ScopedTenant,
    @Arg('endpointId', () => ID) endpointId: string,
  ) {
    return this.webhooks.sendTest(em, tenant.id, endpointId);
  }

  @Policy(writeWebhooks)
  @Mutation(() => WebhookDelivery, {
    description: `Sends a delivery's event again (same body and Tenantql-Event-Id) as a new delivery, attempted now. ${PLAN}`,
  })
  replayWebhookDelivery(
    @TenantManager() em: EntityManager,
    @CurrentTenant() tenant: ScopedTenant,
    @Arg('id', () => ID) id: string,
  ) {
    return this.webhooks.replay(em, tenant.id, id);
  }
}
