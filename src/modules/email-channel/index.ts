export { EmailChannel } from './email-channel.entity';
export {
  EmailChannelService,
  emailChannelConfiguredStep,
  MAILBOX_POLL_JOB,
  type IngestOutcome,
  type MailboxToPoll,
} from './email-channel.service';
export { EmailChannelResolver } from './email-channel.resolver';
export { EmailReplyChannel } from './email-reply-channel';
export { EMAIL_REPLY_KEY_PREFIX, recordEmailReplyDelivery } from './email-reply-delivery';
export { resealEmailChannelSecrets } from './email-channel-reseal';
