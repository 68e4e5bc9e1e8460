export { OnboardingService, type Clock } from './onboarding.service';
export { OnboardingResolver } from './onboarding.resolver';
export type { OnboardingStepDefinition } from './onboarding-step';
