export { OnboardingService, type Clock } from './onboarding.service';
export { OnboardingResolver } from './onboarding.resolver';
export { onboardingPermissions } from './onboarding.permissions';
export type { OnboardingStepDefinition } from './onboarding-step';
