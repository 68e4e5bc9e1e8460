import { hasRole, MemberRole, Policy } from '../../core/authorization';
import { Arg, Mutation, Query, Resolver } from 'type-graphql';
import type { EntityManager } from 'typeorm';
import type { ScopedTenant } from '../../core/tenancy/tenant-scope';
import { CurrentTenant, TenantManager } from '../../core/tenancy/tenant-request';
import type { WhatsAppChannelService } from './whatsapp-channel.service';
import { ConfigureWhatsAppChannelInput, WhatsAppChannel } from './whatsapp-channel.types';

@Resolver(() => WhatsAppChannel)
export class WhatsAppChannelResolver {
  constructor(private readonly channels: WhatsAppChannelService) {}

  @Policy(hasRole(MemberRole.VIEWER))
  @Query(() => WhatsAppChannel, {
    nullable: true,
    description: "The organization's WhatsApp number, null when none is connected",
  })
  whatsAppChannel(
    @TenantManager() em: EntityManager,
    @CurrentTenant() tenant: ScopedTenant,
  ): Promise<WhatsAppChannel | null> {
    return this.channels.get(em, tenant.id);
  }

  @Policy(hasRole(MemberRole.ADMIN))
  @Mutation(() => WhatsAppChannel, {
    description:
      'Connects (or replaces) the WhatsApp number; PLAN_UPGRADE_REQUIRED unless the plan has whatsapp_channel, CONFLICT when another organization uses the number id',
  })
  configureWhatsAppChannel(
    @TenantManager() em: EntityManager,
    @CurrentTenant() tenant: ScopedTenant,
    @Arg('input') input: ConfigureWhatsAppChannelInput,
  ): Promise<WhatsAppChannel> {
    return this.channels.configure(em, tenant.id, input);
  }

  @Policy(hasRole(MemberRole.ADMIN))
  @Mutation(() => Boolean, { description: 'False when no number was connected; replies still queued fail' })
  removeWhatsAppChannel(@TenantManager() em: EntityManager, @CurrentTenant() tenant: ScopedTenant): Promise<boolean> {
    return this.channels.remove(em, tenant.id);
  }
}
