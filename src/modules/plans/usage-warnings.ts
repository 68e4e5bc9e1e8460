import type { EntityManager } from 'typeorm';
import type { AppConfig } from '../../core/config/config';
import type { MailOutbox, MailTemplates } from '../../integrations/mail';
import { METRIC_LABELS, monthOf, type UsageMetric } from './usage-metric';

/** Owners hear about a limit when this share of it is used. */
export const WARNING_SHARE = 0.8;

/** Where the front end shows plans, with the feature or metric that sent the user there. */
export const upgradeUrl = (frontendUrl: string, feature: string) =>
  `${frontendUrl}/billing/upgrade?feature=${encodeURIComponent(feature)}`;

export interface UsageWarningsDependencies {
  outbox: MailOutbox;
  templates: MailTemplates;
  config: Pick<AppConfig, 'frontendUrl'>;
  now: () => Date;
}

/**
 * The 80% warning: when an increase crosses 80% of a limit, each OWNER gets one mail,
 * queued in the transaction of the increase (rolled back with it). The outbox key names
 * the tenant, metric and calendar month, so whatever goes up and down, a limit warns
 * each owner at most once a month.
 */
export class UsageWarnings {
  constructor(private readonly deps: UsageWarningsDependencies) {}

  async afterIncrease(
    em: EntityManager,
    tenantId: string,
    metric: UsageMetric,
    before: number,
    after: number,
    limit: number | null,
  ): Promise<void> {
    if (limit === null || limit === 0) return;
    const threshold = Math.ceil(limit * WARNING_SHARE);
    if (before >= threshold || after < threshold) return;
    const owners: { id: string; email: string; first_name: string; organization: string }[] = await em.query(
      `SELECT u.id, u.email, u.first_name, t.name AS organization
         FROM public.memberships m JOIN public.users u ON u.id = m.user_id JOIN public.tenants t ON t.id = m.tenant_id
        WHERE m.tenant_id = $1 AND m.role = 'OWNER'`,
      [tenantId],
    );
    const month = monthOf(this.deps.now()).key;
    for (const owner of owners) {
      await this.deps.outbox.enqueue(em, {
        idempotencyKey: `usage-warning:${tenantId}:${metric}:${month}:${owner.id}`,
        to: owner.email,
        ...this.deps.templates.usageWarning({
          firstName: owner.first_name,
          organizationName: owner.organization,
          what: METRIC_LABELS[metric],
          used: after,
          limit,
          link: upgradeUrl(this.deps.config.frontendUrl, metric),
        }),
      });
    }
  }
}
