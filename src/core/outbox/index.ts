export {
  OutboxQueue,
  type ClaimedRow,
  type OutboxAttempt,
  type OutboxHandler,
  type OutboxOutcome,
  type OutboxQueueOptions,
  type OutboxReport,
} from './outbox-queue';
export { readOutboxLag } from './outbox-metrics';
export { errorText, retryDelayMs, type RetryPolicy } from './retry-policy';
