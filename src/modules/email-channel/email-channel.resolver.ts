import { hasRole, MemberRole, Policy } from '../../core/authorization';
import { Arg, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type { EntityManager } from 'typeorm';
import type { RequestContext } from '../../core/http/request-context';
import type { ScopedTenant } from '../../core/tenancy/tenant-scope';
import { CurrentTenant, requestTenantTransaction, TenantManager } from '../../core/tenancy/tenant-request';
import { EmailChannel } from './email-channel.entity';
import { ConfigureEmailChannelInput, EmailChannelTestResult } from './email-channel.inputs';
import type { EmailChannelService } from './email-channel.service';

@Resolver(() => EmailChannel)
export class EmailChannelResolver {
  constructor(private readonly emailChannelService: EmailChannelService) {}

  @Policy(hasRole(MemberRole.ADMIN))
  @Query(() => EmailChannel, { nullable: true, description: 'The support mailbox, null when none is configured' })
  emailChannel(@TenantManager() em: EntityManager): Promise<EmailChannel | null> {
    return this.emailChannelService.get(em);
  }

  @Policy(hasRole(MemberRole.ADMIN))
  @Mutation(() => EmailChannel, {
    description:
      'BAD_USER_INPUT PASSWORD_REQUIRED the first time without a password, EMAIL_ADDRESS_REQUIRED when the username is not an address and emailAddress is missing',
  })
  configureEmailChannel(
    @TenantManager() em: EntityManager,
    @CurrentTenant() tenant: ScopedTenant,
    @Arg('input') input: ConfigureEmailChannelInput,
  ): Promise<EmailChannel> {
    return this.emailChannelService.configure(em, tenant.id, input);
  }

  /** Released: the login runs between two short transactions, no connection held while it waits. */
  @Policy(hasRole(MemberRole.ADMIN), { released: true })
  @Mutation(() => EmailChannelTestResult, {
    description: 'Logs in to the mailbox now; the outcome is also kept as lastError. NOT_FOUND without a channel',
  })
  testEmailChannel(@Ctx() ctx: RequestContext): Promise<EmailChannelTestResult> {
    return this.emailChannelService.test(requestTenantTransaction(ctx));
  }

  @Policy(hasRole(MemberRole.ADMIN))
  @Mutation(() => Boolean, {
    description:
      'False when there was none. Email tickets stay; replies on them are refused until a mailbox is configured again',
  })
  removeEmailChannel(@TenantManager() em: EntityManager): Promise<boolean> {
    return this.emailChannelService.remove(em);
  }
}
