export { OnboardingService, REMINDER_DAYS, type Clock, type ReminderOutcome, type InitializeOutcome } from './onboarding.service';
export { OnboardingResolver } from './onboarding.resolver';
export { OnboardingStatus, OnboardingStepStatus } from './onboarding.types';
export { onboardingPermissions } from './onboarding.permissions';
export type { OnboardingStepDefinition } from './onboarding-step';
