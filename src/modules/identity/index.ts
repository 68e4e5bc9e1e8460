export { ProviderTokenVerifier, PROVIDER_ALGORITHMS } from './provider-token-verifier';
export { ProviderSignIn } from './provider-sign-in.service';
export { ProviderSignInError } from './provider-sign-in-error';
export { ExternalTenants } from './external-tenants';
export { ClerkWebhookService, type ClerkWebhookOutcome } from './clerk-webhook.service';
export { clerkWebhookRoute, CLERK_WEBHOOK_PATH } from './clerk-webhook.route';
export { checkProvider, discoverProvider } from './provider-discovery';
export { organizationClaims, memberRoleOf } from './organization-claims';
