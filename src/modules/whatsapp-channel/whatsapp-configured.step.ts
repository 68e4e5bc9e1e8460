import type { OnboardingStepDefinition } from '../onboarding';

/** Done while the organization has a WhatsApp number connected (since it was first connected). */
export const whatsAppConfiguredStep: OnboardingStepDefinition = {
  key: 'whatsapp-configured',
  title: 'Connect WhatsApp',
  completedAt: async (manager, tenant) =>
    (await manager.query('SELECT created_at AS at FROM public.whatsapp_channels WHERE tenant_id = $1', [tenant.id]))[0]
      ?.at ?? null,
};
