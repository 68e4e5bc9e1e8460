import { Arg, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type { EntityManager } from 'typeorm';
import type { RequestContext } from '../../core/http/request-context';
import type { ScopedTenant } from '../../core/tenancy/tenant-scope';
import { CurrentTenant, requestTenantTransaction, TenantManager, TenantScoped } from '../../core/tenancy/tenant-scoped.middleware';
import { EmailChannel } from './email-channel.entity';
import { ConfigureEmailChannelInput, EmailChannelTestResult } from './email-channel.inputs';
import type { EmailChannelService } from './email-channel.service';

@Resolver(() => EmailChannel)
export class EmailChannelResolver {
  constructor(private readonly emailChannelService: EmailChannelService) {}

  @Query(() => EmailChannel, { nullable: true, description: 'The support mailbox, null when none is configured' })
  @TenantScoped()
  emailChannel(@TenantManager() em: EntityManager): Promise<EmailChannel | null> {
    return this.emailChannelService.get(em);
  }

  @Mutation(() => EmailChannel, { description: 'BAD_USER_INPUT PASSWORD_REQUIRED the first time without a password, EMAIL_ADDRESS_REQUIRED when the username is not an address and emailAddress is missing' })
  @TenantScoped()
  configureEmailChannel(
    @TenantManager() em: EntityManager,
    @CurrentTenant() tenant: ScopedTenant,
    @Arg('input') input: ConfigureEmailChannelInput,
  ): Promise<EmailChannel> {
    return this.emailChannelService.configure(em, tenant.id, input);
  }

  /** Not @TenantScoped: the login runs between two short transactions (see checkedThenReleased in its permissions). */
  @Mutation(() => EmailChannelTestResult, { description: 'Logs in to the mailbox now; the outcome is also kept as lastError. NOT_FOUND without a channel' })
  testEmailChannel(@Ctx() ctx: RequestContext): Promise<EmailChannelTestResult> {
    return this.emailChannelService.test(requestTenantTransaction(ctx));
  }

  @Mutation(() => Boolean, { description: 'False when there was none. Email tickets stay; replies on them are refused until a mailbox is configured again' })
  @TenantScoped()
  removeEmailChannel(@TenantManager() em: EntityManager): Promise<boolean> {
    return this.emailChannelService.remove(em);
  }
}
