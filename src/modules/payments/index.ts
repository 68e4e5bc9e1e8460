export { PaymentProvider, PaymentStatus, PaymentTransaction } from './payment-transaction.entity';
export { PaymentsResolver } from './payments.resolver';
export { paymentMethodStep } from './payment-method.step';
export { StripeWebhookService, type WebhookOutcome } from './stripe-webhook.service';
export { stripeWebhookHandler } from './stripe-webhook.route';
export { TrialService, TRIAL_REMINDER_DAYS, type TrialRunSummary } from './trial.service';
export { createPaymentServices, type PaymentServices } from './payment-services';
