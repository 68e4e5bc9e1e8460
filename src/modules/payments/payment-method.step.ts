import type { OnboardingStepDefinition } from '../onboarding';

/**
 * Done when a card was first saved with Stripe (`payment_method.attached` /
 * `setup_intent.succeeded`) or a plan was first paid through a wallet, whichever came first.
 * It takes the checklist's `add-payment-method` key, which was ticked by hand until billing existed.
 */
export const paymentMethodStep: OnboardingStepDefinition = {
  key: 'add-payment-method',
  title: 'Add a payment method',
  completedAt: async (manager, tenant) =>
    (
      await manager.query(
        `SELECT least(
           (SELECT payment_method_added_at FROM public.stripe_customers WHERE tenant_id = $1),
           (SELECT min(completed_at) FROM public.payment_transactions WHERE tenant_id = $1 AND status = 'COMPLETED')
         ) AS at`,
        [tenant.id],
      )
    )[0].at,
};
