import type { EntityManager } from 'typeorm';
import type { MailContent, MailOutbox, MailTemplates } from '../../integrations/mail';
import type { MembershipService } from '../memberships';
import { MemberRole } from '../users';

export interface BillingNotifierDependencies {
  members: Pick<MembershipService, 'members'>;
  outbox: MailOutbox;
  templates: MailTemplates;
  frontendUrl: string;
}

interface Recipient {
  firstName: string;
  organizationName: string;
}

const formatAmount = (minor: number, currency: string) => `${currency.toUpperCase()} ${(minor / 100).toFixed(2)}`;

/**
 * Billing mail to an organization's owners, through the outbox in the caller's
 * transaction: a mail exists exactly when the event that caused it committed, and
 * its idempotency key (per event and owner) keeps a repeated event from mailing twice.
 */
export class BillingNotifier {
  constructor(private readonly deps: BillingNotifierDependencies) {}

  paymentFailed(
    em: EntityManager,
    tenantId: string,
    event: { id: string; amountMinor: number; currency: string },
  ): Promise<number> {
    return this.toOwners(em, tenantId, `payment-failed:${event.id}`, (r) =>
      this.deps.templates.paymentFailed({
        ...r,
        amount: formatAmount(event.amountMinor, event.currency),
        link: `${this.deps.frontendUrl}/billing`,
      }),
    );
  }

  /** Once per trial: the key is the trial's end. */
  trialEnding(em: EntityManager, tenantId: string, trial: { endsAt: Date; planName: string }): Promise<number> {
    return this.toOwners(em, tenantId, `trial-ending:${tenantId}:${trial.endsAt.toISOString()}`, (r) =>
      this.deps.templates.trialEnding({
        ...r,
        planName: trial.planName,
        endsOn: trial.endsAt.toISOString().slice(0, 10),
        link: `${this.deps.frontendUrl}/billing/plans`,
      }),
    );
  }

  /** Returns how many mails were newly enqueued (0 when this event was mailed before). */
  private async toOwners(
    em: EntityManager,
    tenantId: string,
    eventKey: string,
    render: (recipient: Recipient) => MailContent,
  ): Promise<number> {
    const [tenant]: { name: string }[] = await em.query('SELECT name FROM public.tenants WHERE id = $1', [tenantId]);
    if (!tenant) return 0;
    const owners = (await this.deps.members.members(em, tenantId)).filter((m) => m.role === MemberRole.OWNER);
    let enqueued = 0;
    for (const owner of owners) {
      const content = render({ firstName: owner.firstName, organizationName: tenant.name });
      if (
        await this.deps.outbox.enqueue(em, {
          idempotencyKey: `${eventKey}:${owner.userId}`,
          to: owner.email,
          ...content,
        })
      )
        enqueued++;
    }
    return enqueued;
  }
}
