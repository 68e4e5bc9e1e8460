import type { EntityManager } from 'typeorm';
import type { ScopedTenant } from '../../core/tenancy/tenant-scope';

/**
 * One item of the onboarding checklist, contributed by the module that owns the
 * state it reflects (like a job definition) and registered in the composition
 * root. With `completedAt` the step follows real state; without it, it is marked
 * by hand (`markOnboardingStep`) until a module can tell.
 */
export interface OnboardingStepDefinition {
  /** Stable kebab-case key, e.g. `create-api-key`; also what `markOnboardingStep` takes. */
  key: string;
  title: string;
  /** When the real state first satisfied the step, or null; runs in the tenant's transaction. */
  completedAt?: (manager: EntityManager, tenant: ScopedTenant) => Promise<Date | null>;
}
