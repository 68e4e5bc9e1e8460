export {
  MailboxError,
  MailboxReader,
  type AutomationHeaders,
  type FetchedMessage,
  type FetchOptions,
  type FetchResult,
  type MailboxErrorKind,
  type MailboxSettings,
  type ParsedMessage,
} from './mailbox-reader';
