export {
  StripeGateway,
  WebhookSignatureError,
  type CardSummary,
  type StripeEvent,
  type StripeGatewayOptions,
  type StripeInvoice,
  type StripeSubscription,
  type SubscriptionSummary,
} from './stripe-gateway';
