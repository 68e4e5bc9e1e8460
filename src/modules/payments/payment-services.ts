import type { DataSource } from 'typeorm';
import type { AppConfig } from '../../core/config/config';
import { EsewaClient } from '../../integrations/esewa';
import { KhaltiClient } from '../../integrations/khalti';
import type { MailOutbox, MailTemplates } from '../../integrations/mail';
import { StripeGateway } from '../../integrations/stripe';
import type { MembershipService } from '../memberships';
import type { PlanCatalog, PlanService } from '../plans';
import { BillingNotifier } from './billing-notifier';
import { PaymentsResolver } from './payments.resolver';
import { StripeBillingService } from './stripe-billing.service';
import { StripeWebhookService } from './stripe-webhook.service';
import { TrialService } from './trial.service';
import { WalletPaymentService } from './wallet-payment.service';

export interface PaymentServicesDependencies {
  config: AppConfig;
  dataSource: DataSource;
  plans: PlanService;
  catalog: PlanCatalog;
  memberships: Pick<MembershipService, 'members'>;
  outbox: MailOutbox;
  templates: MailTemplates;
  now: () => Date;
}

/** The billing module wired from configuration: a gateway whose secret is not set is simply absent. */
export function createPaymentServices({
  config,
  dataSource,
  plans,
  catalog,
  memberships,
  outbox,
  templates,
  now,
}: PaymentServicesDependencies) {
  const stripe = config.stripe.secretKey
    ? new StripeGateway({
        secretKey: config.stripe.secretKey,
        apiUrl: config.stripe.apiUrl,
        webhookSecret: config.stripe.webhookSecret,
      })
    : undefined;
  const khalti = config.khalti.secretKey
    ? new KhaltiClient({ baseUrl: config.khalti.baseUrl, secretKey: config.khalti.secretKey })
    : undefined;
  const esewa = config.esewa.merchantSecret
    ? new EsewaClient({
        baseUrl: config.esewa.baseUrl,
        statusUrl: config.esewa.statusUrl,
        merchantCode: config.esewa.merchantCode,
        merchantSecret: config.esewa.merchantSecret,
      })
    : undefined;
  const notifier = new BillingNotifier({ members: memberships, outbox, templates, frontendUrl: config.frontendUrl });
  const stripeBilling = new StripeBillingService({ gateway: stripe, prices: config.stripe.prices, plans });
  const walletPayments = new WalletPaymentService({
    khalti,
    esewa,
    plans,
    urls: { success: config.payments.successUrl, failure: config.payments.failureUrl, website: config.frontendUrl },
    now,
  });
  return {
    stripeBilling,
    walletPayments,
    stripeWebhooks: new StripeWebhookService({
      dataSource,
      gateway: stripe,
      prices: config.stripe.prices,
      plans,
      notifier,
    }),
    trials: new TrialService({ dataSource, plans, catalog, notifier, now }),
    resolver: new PaymentsResolver(stripeBilling, walletPayments),
  };
}

export type PaymentServices = ReturnType<typeof createPaymentServices>;
