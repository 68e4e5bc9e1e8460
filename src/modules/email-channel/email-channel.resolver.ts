import { Arg, Mutation, Query, Resolver } from 'type-graphql';
import type { EntityManager } from 'typeorm';
import type { ScopedTenant } from '../../core/tenancy/tenant-scope';
import { CurrentTenant, TenantManager, TenantScoped } from '../../core/tenancy/tenant-scoped.middleware';
import { EmailChannel } from './email-channel.entity';
import { ConfigureEmailChannelInput, EmailChannelTestResult } from './email-channel.inputs';
import type { EmailChannelService } from './email-channel.service';

@Resolver(() => EmailChannel)
@TenantScoped()
export class EmailChannelResolver {
  constructor(private readonly emailChannelService: EmailChannelService) {}

  @Query(() => EmailChannel, { nullable: true, description: 'The support mailbox, null when none is configured' })
  emailChannel(@TenantManager() em: EntityManager): Promise<EmailChannel | null> {
    return this.emailChannelService.get(em);
  }

  @Mutation(() => EmailChannel, { description: 'BAD_USER_INPUT PASSWORD_REQUIRED the first time without a password, EMAIL_ADDRESS_REQUIRED when the username is not an address and emailAddress is missing' })
  configureEmailChannel(
    @TenantManager() em: EntityManager,
    @CurrentTenant() tenant: ScopedTenant,
    @Arg('input') input: ConfigureEmailChannelInput,
  ): Promise<EmailChannel> {
    return this.emailChannelService.configure(em, tenant.id, input);
  }

  @Mutation(() => EmailChannelTestResult, { description: 'Logs in to the mailbox now; the outcome is also kept as lastError. NOT_FOUND without a channel' })
  testEmailChannel(@TenantManager() em: EntityManager, @CurrentTenant() tenant: ScopedTenant): Promise<EmailChannelTestResult> {
    return this.emailChannelService.test(em, tenant.id);
  }

  @Mutation(() => Boolean, { description: 'False when there was none. Email tickets stay; replies on them are refused until a mailbox is configured again' })
  removeEmailChannel(@TenantManager() em: EntityManager): Promise<boolean> {
    return this.emailChannelService.remove(em);
  }
}
