import { hasRole, MemberRole, Policy } from '../../core/authorization';
import { Arg, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { EntityManager } from 'typeorm';
import { BadUserInputError } from '../../core/errors/app-error';
import type { ScopedTenant } from '../../core/tenancy/tenant-scope';
import { CurrentTenant, TenantManager } from '../../core/tenancy/tenant-request';
import { PlanCode } from '../plans';
import { PaymentTransaction } from './payment-transaction.entity';
import {
  InitiatePaymentInput,
  PaymentMethod,
  PaymentRedirect,
  PlanChangePayload,
  SetupIntentPayload,
  VerifyPaymentInput,
} from './payments.inputs';
import { StripeBillingService } from './stripe-billing.service';
import { WalletPaymentService } from './wallet-payment.service';

/** Billing of the organization in X-Organization-ID: cards and subscriptions with Stripe, one-off wallet payments. */
@Resolver()
export class PaymentsResolver {
  constructor(
    private readonly stripeBilling: StripeBillingService,
    private readonly walletPayments: WalletPaymentService,
  ) {}

  @Policy(hasRole(MemberRole.ADMIN))
  @Query(() => [PaymentMethod], { description: 'Cards saved with Stripe' })
  paymentMethods(@TenantManager() em: EntityManager, @CurrentTenant() tenant: ScopedTenant): Promise<PaymentMethod[]> {
    return this.stripeBilling.paymentMethods(em, tenant);
  }

  @Policy(hasRole(MemberRole.ADMIN))
  @Query(() => [PaymentTransaction], { description: 'Payments for plans, newest first' })
  paymentTransactions(
    @TenantManager() em: EntityManager,
    @CurrentTenant() tenant: ScopedTenant,
    @Arg('first', () => Int, { defaultValue: 20 }) first: number,
  ): Promise<PaymentTransaction[]> {
    if (first < 1 || first > 100) throw new BadUserInputError('first must be between 1 and 100', { field: 'first' });
    return this.walletPayments.list(em, tenant.id, first);
  }

  @Policy(hasRole(MemberRole.ADMIN))
  @Mutation(() => SetupIntentPayload, {
    description: 'Starts saving a card (no charge); Stripe.js completes it with the client secret',
  })
  createSetupIntent(
    @TenantManager() em: EntityManager,
    @CurrentTenant() tenant: ScopedTenant,
  ): Promise<SetupIntentPayload> {
    return this.stripeBilling.createSetupIntent(em, tenant);
  }

  @Policy(hasRole(MemberRole.ADMIN))
  @Mutation(() => PaymentMethod, { description: 'Subscription invoices are charged to this card from now on' })
  setDefaultPaymentMethod(
    @TenantManager() em: EntityManager,
    @CurrentTenant() tenant: ScopedTenant,
    @Arg('id', () => ID) id: string,
  ): Promise<PaymentMethod> {
    return this.stripeBilling.setDefaultPaymentMethod(em, tenant, id);
  }

  @Policy(hasRole(MemberRole.ADMIN))
  @Mutation(() => PaymentMethod, { description: 'Removes a saved card' })
  detachPaymentMethod(
    @TenantManager() em: EntityManager,
    @CurrentTenant() tenant: ScopedTenant,
    @Arg('id', () => ID) id: string,
  ): Promise<PaymentMethod> {
    return this.stripeBilling.detachPaymentMethod(em, tenant, id);
  }

  @Policy(hasRole(MemberRole.ADMIN))
  @Mutation(() => PlanChangePayload, {
    description:
      'Subscribes to a paid plan with the default card (or changes it, prorated); FREE cancels. The plan changes once Stripe reports the payment',
  })
  changePlan(
    @TenantManager() em: EntityManager,
    @CurrentTenant() tenant: ScopedTenant,
    @Arg('plan', () => PlanCode) plan: PlanCode,
  ): Promise<PlanChangePayload> {
    return this.stripeBilling.changePlan(em, tenant, plan);
  }

  @Policy(hasRole(MemberRole.ADMIN))
  @Mutation(() => PaymentRedirect, {
    description: 'Starts paying one month of a plan with Khalti or eSewa; send the payer where it says',
  })
  initiatePayment(
    @TenantManager() em: EntityManager,
    @CurrentTenant() tenant: ScopedTenant,
    @Arg('input') input: InitiatePaymentInput,
  ): Promise<PaymentRedirect> {
    return this.walletPayments.initiatePayment(em, tenant, input);
  }

  @Policy(hasRole(MemberRole.ADMIN))
  @Mutation(() => PaymentTransaction, {
    description:
      'Asks the gateway whether the payment arrived (and for the right amount); COMPLETED activates the plan, once however often it is asked',
  })
  verifyPayment(
    @TenantManager() em: EntityManager,
    @CurrentTenant() tenant: ScopedTenant,
    @Arg('input') input: VerifyPaymentInput,
  ): Promise<PaymentTransaction> {
    return this.walletPayments.verifyPayment(em, tenant, input);
  }
}
