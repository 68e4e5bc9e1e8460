import type { EntityManager } from 'typeorm';
import type { AppConfig } from '../../core/config/config';
import { BadUserInputError } from '../../core/errors/app-error';
import type { Principal } from '../../core/http/request-context';
import type { ScopedTenant } from '../../core/tenancy/tenant-scope';
import type { MailOutbox, MailTemplates } from '../../integrations/mail';
import { localClock } from './local-clock';
import type { OnboardingStepDefinition } from './onboarding-step';
import { OnboardingStatus, OnboardingStepStatus } from './onboarding.types';

/** Reminder emails go out this many days (calendar days in the tenant's timezone) after the tenant was created. */
const REMINDER_DAYS = [3, 7] as const;
/** A reminder whose day passed without a run (process down) still goes out the day after; never later. */
const REMINDER_GRACE_DAYS = 2;
const STEP_KEY = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** The time onboarding reasons with; tests pass a controllable one. */
export type Clock = () => Date;

export interface OnboardingServiceDependencies {
  /** The checklist, in display order: each module contributes its steps (see OnboardingStepDefinition). */
  steps: OnboardingStepDefinition[];
  config: Pick<AppConfig, 'frontendUrl'> & { onboarding: AppConfig['onboarding'] };
  outbox: MailOutbox;
  templates: MailTemplates;
  /** The tenant's IANA timezone (its business settings). */
  timezoneOf: (manager: EntityManager) => Promise<string>;
  now: Clock;
}

export type ReminderOutcome =
  | { kind: 'not-due' }
  | { kind: 'completed' }
  | { kind: 'already-sent'; day: number }
  | { kind: 'sent'; day: number; recipients: number };

export interface InitializeOutcome {
  /** False when the tenant had been initialised before (nothing changed). */
  initialized: boolean;
  status: OnboardingStatus;
}

const earliest = (...dates: (Date | null | undefined)[]) =>
  dates.filter((d): d is Date => !!d).reduce<Date | null>((min, d) => (!min || d < min ? d : min), null);
const latest = (dates: (Date | null)[]) =>
  dates.reduce<Date | null>((max, d) => (d && (!max || d > max) ? d : max), null);

/**
 * The onboarding checklist of a tenant and its reminder emails. Steps follow real
 * state where a module can tell (`completedAt`) and can always be ticked by hand.
 * Completion is recorded the first time it is seen (`onboarding_state.completed_at`),
 * so it sticks when steps are added later or state changes. Every method runs in
 * the tenant's transaction (`manager`).
 */
export class OnboardingService {
  private readonly steps: OnboardingStepDefinition[];

  constructor(private readonly deps: OnboardingServiceDependencies) {
    const keys = new Set<string>();
    for (const step of deps.steps) {
      if (!STEP_KEY.test(step.key) || keys.has(step.key))
        throw new Error(`Onboarding step key ${JSON.stringify(step.key)} is invalid or registered twice`);
      keys.add(step.key);
    }
    this.steps = [...deps.steps];
  }

  async status(manager: EntityManager, tenant: ScopedTenant): Promise<OnboardingStatus> {
    const marks: { step_key: string; marked_at: Date }[] = await manager.query(
      'SELECT step_key, marked_at FROM onboarding_marks',
    );
    const [state]: { completed_at: Date | null }[] = await manager.query('SELECT completed_at FROM onboarding_state');
    const markedAt = new Map(marks.map((m) => [m.step_key, m.marked_at]));
    const steps: OnboardingStepStatus[] = [];
    for (const step of this.steps) {
      const completedAt = earliest(await step.completedAt?.(manager, tenant), markedAt.get(step.key));
      steps.push(
        Object.assign(new OnboardingStepStatus(), {
          key: step.key,
          title: step.title,
          completed: !!completedAt,
          completedAt,
          manual: !step.completedAt,
        }),
      );
    }
    const done = steps.filter((s) => s.completed).length;
    const allDone = done === steps.length;
    let completedAt = state?.completed_at ?? null;
    if (!completedAt && allDone) {
      // Recorded the first time it is seen, so completion sticks when steps are added later or state changes.
      completedAt = latest(steps.map((s) => s.completedAt));
      await manager.query(
        `INSERT INTO onboarding_state (id, completed_at) VALUES (1, $1)
         ON CONFLICT (id) DO UPDATE SET completed_at = coalesce(onboarding_state.completed_at, EXCLUDED.completed_at)`,
        [completedAt],
      );
    }
    return Object.assign(new OnboardingStatus(), {
      completed: !!completedAt,
      completedAt,
      completionPercentage: steps.length ? Math.round((done / steps.length) * 100) : 100,
      steps,
    });
  }

  /** Ticks a step off by hand (any step: e.g. "invite a team member" for a business of one). */
  async markStep(
    manager: EntityManager,
    tenant: ScopedTenant,
    key: string,
    actor: Principal,
  ): Promise<OnboardingStatus> {
    if (!this.steps.some((s) => s.key === key)) {
      throw new BadUserInputError(`Unknown onboarding step "${key}"`, {
        reason: 'UNKNOWN_STEP',
        steps: this.steps.map((s) => s.key),
      });
    }
    await manager.query(
      'INSERT INTO onboarding_marks (step_key, marked_by) VALUES ($1, $2) ON CONFLICT (step_key) DO NOTHING',
      [key, actor.kind === 'user' ? actor.userId : null],
    );
    return this.status(manager, tenant);
  }

  /**
   * For the hourly reminders job: from the configured hour on, in the tenant's timezone,
   * on day 3 and day 7 after the tenant was created (or the day after, if that run was
   * missed), the owners get one reminder while onboarding is incomplete. The reminder is
   * recorded in the transaction that writes its outbox rows, so it goes out at most once.
   */
  async sendDueReminder(manager: EntityManager, tenant: ScopedTenant): Promise<ReminderOutcome> {
    const day = await this.dueReminderDay(manager, tenant);
    if (day === undefined) return { kind: 'not-due' };
    const status = await this.status(manager, tenant);
    if (status.completed) return { kind: 'completed' };
    const recorded: unknown[] = await manager.query(
      'INSERT INTO onboarding_reminders (day, sent_at) VALUES ($1, $2) ON CONFLICT (day) DO NOTHING RETURNING day',
      [day, this.deps.now()],
    );
    if (!recorded.length) return { kind: 'already-sent', day };
    const owners: { id: string; email: string; first_name: string; organization: string }[] = await manager.query(
      `SELECT u.id, u.email, u.first_name, t.name AS organization
         FROM public.memberships m JOIN public.users u ON u.id = m.user_id JOIN public.tenants t ON t.id = m.tenant_id
        WHERE m.tenant_id = $1 AND m.role = 'OWNER'`,
      [tenant.id],
    );
    const remainingSteps = status.steps.filter((s) => !s.completed).map((s) => s.title);
    for (const owner of owners) {
      await this.deps.outbox.enqueue(manager, {
        idempotencyKey: `onboarding-reminder:${tenant.id}:${day}:${owner.id}`,
        to: owner.email,
        ...this.deps.templates.onboardingReminder({
          firstName: owner.first_name,
          organizationName: owner.organization,
          completionPercentage: status.completionPercentage,
          remainingSteps,
          link: `${this.deps.config.frontendUrl}/onboarding`,
        }),
      });
    }
    return { kind: 'sent', day, recipients: owners.length };
  }

  /** `npm run onboarding:init`: records the state of a tenant that predates onboarding (idempotent). */
  async initialize(manager: EntityManager, tenant: ScopedTenant): Promise<InitializeOutcome> {
    const inserted: unknown[] = await manager.query(
      'INSERT INTO onboarding_state (id) VALUES (1) ON CONFLICT (id) DO NOTHING RETURNING id',
    );
    return { initialized: inserted.length > 0, status: await this.status(manager, tenant) };
  }

  /**
   * The creation times of the tenants a reminder may be due for: the job visits no other. Too old: past the last
   * reminder's grace days. Too young: `d` calendar days in one zone take more than `d - 1` days of elapsed time, less
   * an hour when a DST change falls in between.
   */
  reminderWindow(): { createdAfter: Date; createdBefore: Date } {
    const now = this.deps.now().getTime();
    // + 1: timezones run up to a day apart
    const oldest = REMINDER_DAYS[REMINDER_DAYS.length - 1] + REMINDER_GRACE_DAYS + 1;
    const youngest = (REMINDER_DAYS[0] - 1) * 86_400_000 - 3_600_000;
    return { createdAfter: new Date(now - oldest * 86_400_000), createdBefore: new Date(now - youngest) };
  }

  private async dueReminderDay(manager: EntityManager, tenant: ScopedTenant): Promise<number | undefined> {
    const [{ created_at: createdAt }]: { created_at: Date }[] = await manager.query(
      'SELECT created_at FROM public.tenants WHERE id = $1',
      [tenant.id],
    );
    const timeZone = await this.deps.timezoneOf(manager);
    const now = localClock(this.deps.now(), timeZone);
    if (now.hour < this.deps.config.onboarding.reminderHour) return undefined;
    const age = now.day - localClock(createdAt, timeZone).day;
    return REMINDER_DAYS.find((day) => age >= day && age < day + REMINDER_GRACE_DAYS);
  }
}
