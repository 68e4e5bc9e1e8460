import { Webhook, WebhookVerificationError } from 'svix';
import type { DataSource, EntityManager } from 'typeorm';
import { rawWrite } from '../../core/database/raw-write';
import { ConflictError } from '../../core/errors/app-error';
import type { MembershipService } from '../memberships';
import type { TenantService } from '../tenants';
import type { UserService } from '../users';
import type { ExternalTenants } from './external-tenants';
import { memberRoleOf } from './organization-claims';

/** APPLIED; DUPLICATE (this svix-id was processed); STALE (older than what was applied); IGNORED (nothing to do). */
export type ClerkWebhookOutcome = 'APPLIED' | 'DUPLICATE' | 'STALE' | 'IGNORED';

export class ClerkSignatureError extends Error {}

/** The fields of Clerk's payloads this API reads (`data` of https://clerk.com/docs/webhooks/overview events). */
interface ClerkData {
  id?: string;
  name?: string;
  slug?: string;
  role?: string;
  updated_at?: number;
  organization?: { id?: string; name?: string; slug?: string };
  public_user_data?: { user_id?: string };
  first_name?: string | null;
  last_name?: string | null;
  primary_email_address_id?: string | null;
  email_addresses?: { id?: string; email_address?: string; verification?: { status?: string } | null }[];
}

export interface ClerkEvent {
  type: string;
  data: ClerkData;
}

export interface ClerkWebhookDependencies {
  dataSource: DataSource;
  secret?: string;
  externalTenants: ExternalTenants;
  tenants: Pick<TenantService, 'findExternal' | 'rename' | 'archive'>;
  users: Pick<UserService, 'updateExternal'>;
  memberships: Pick<MembershipService, 'setProviderRole' | 'removeProviderMember'>;
}

/**
 * Applies Clerk's webhooks (delivered through Svix) to the primary provider's tenants, members and accounts.
 * Each delivery's `svix-id` is recorded in `public.webhook_events` in the transaction of its effect, so a
 * redelivery changes nothing; organization, membership and profile events carry Clerk's `updated_at` (a deletion:
 * its signing time) and one older than what was applied is STALE, so deliveries may arrive in any order.
 */
export class ClerkWebhookService {
  private readonly webhook?: Webhook;

  constructor(private readonly deps: ClerkWebhookDependencies) {
    this.webhook = deps.secret ? new Webhook(deps.secret) : undefined;
  }

  /** Signature secret and a provider to apply events to. */
  get configured(): boolean {
    return !!this.webhook && !!this.deps.externalTenants.primaryProvider;
  }

  /** Throws ClerkSignatureError unless the raw body carries a valid Svix signature timestamped within 5 minutes. */
  verify(rawBody: Buffer, headers: Record<string, string | undefined>): ClerkEvent {
    try {
      const event = this.webhook!.verify(rawBody, {
        'svix-id': headers['svix-id'] ?? '',
        'svix-timestamp': headers['svix-timestamp'] ?? '',
        'svix-signature': headers['svix-signature'] ?? '',
      }) as Partial<ClerkEvent>;
      if (typeof event?.type !== 'string' || typeof event.data !== 'object' || event.data === null)
        throw new ClerkSignatureError('not a Clerk event');
      return event as ClerkEvent;
    } catch (error) {
      if (error instanceof WebhookVerificationError) throw new ClerkSignatureError(error.message);
      throw error;
    }
  }

  process(event: ClerkEvent, deliveryId: string, signedAt: Date): Promise<ClerkWebhookOutcome> {
    return this.deps.dataSource.transaction(async (em) => {
      const fresh: unknown[] = await em.query(
        `INSERT INTO public.webhook_events (provider, event_id, type, outcome) VALUES ('CLERK', $1, $2, 'RECEIVED')
         ON CONFLICT (provider, event_id) DO NOTHING RETURNING event_id`,
        [deliveryId, event.type.slice(0, 100)],
      );
      if (!fresh.length) return 'DUPLICATE';
      // Clerk's time of the change; its signing time when that is missing or no date (a number past JS dates).
      const updatedAt = new Date(typeof event.data.updated_at === 'number' ? event.data.updated_at : Number.NaN);
      const at = Number.isNaN(updatedAt.getTime()) ? signedAt : updatedAt;
      const outcome = await this.apply(em, event, at);
      await em.query(`UPDATE public.webhook_events SET outcome = $2 WHERE provider = 'CLERK' AND event_id = $1`, [
        deliveryId,
        outcome,
      ]);
      return outcome;
    });
  }

  private get provider(): string {
    return this.deps.externalTenants.primaryProvider!;
  }

  private apply(em: EntityManager, { type, data }: ClerkEvent, at: Date): Promise<ClerkWebhookOutcome> {
    switch (type) {
      case 'organization.created':
      case 'organization.updated':
        return this.organizationChanged(em, data, at);
      case 'organization.deleted':
        return this.organizationDeleted(em, data, at);
      case 'organizationMembership.created':
      case 'organizationMembership.updated':
        return this.membershipChanged(em, data, at, false);
      case 'organizationMembership.deleted':
        return this.membershipChanged(em, data, at, true);
      case 'user.updated':
        return this.userUpdated(em, data, at);
      case 'user.deleted':
        return this.userDeleted(em, data);
      default:
        return Promise.resolve('IGNORED');
    }
  }

  /**
   * Provisioned when new (also when `updated` comes first), renamed otherwise; STALE when older than the last
   * organization event applied, or after the organization's deletion.
   */
  private async organizationChanged(em: EntityManager, data: ClerkData, at: Date): Promise<ClerkWebhookOutcome> {
    if (!data.id) return 'IGNORED';
    if (!(await this.deps.externalTenants.recordOrganizationEvent(em, this.provider, data.id, at, false)))
      return 'STALE';
    const existing = await this.deps.tenants.findExternal(this.provider, data.id, em);
    if (!existing) {
      await this.deps.externalTenants.provisionOrganization(em, this.provider, {
        id: data.id,
        name: data.name,
        slug: data.slug,
      });
      return 'APPLIED';
    }
    if (!data.name?.trim() || data.name.trim() === existing.name) return 'IGNORED';
    await this.deps.tenants.rename(existing.id, data.name, em);
    return 'APPLIED';
  }

  /**
   * Archived: the schema and its data stay, no request is served. Recorded also when no tenant exists yet, so a
   * late `organization.created` does not provision it.
   */
  private async organizationDeleted(em: EntityManager, data: ClerkData, at: Date): Promise<ClerkWebhookOutcome> {
    if (!data.id) return 'IGNORED';
    if (!(await this.deps.externalTenants.recordOrganizationEvent(em, this.provider, data.id, at, true)))
      return 'STALE';
    const tenant = await this.deps.tenants.findExternal(this.provider, data.id, em);
    if (!tenant || tenant.status === 'ARCHIVED') return 'APPLIED';
    try {
      // In the delivery's transaction: recorded as processed only with its effect.
      await this.deps.tenants.archive(tenant.id, 'Deleted at the identity provider', em);
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      return 'STALE';
    }
    return 'APPLIED';
  }

  /**
   * The provider's view of the membership is recorded first (only when newer than the recorded one), then
   * applied when the user and the tenant exist; otherwise it applies when they appear.
   */
  private async membershipChanged(
    em: EntityManager,
    data: ClerkData,
    at: Date,
    removed: boolean,
  ): Promise<ClerkWebhookOutcome> {
    const organizationId = data.organization?.id;
    const subject = data.public_user_data?.user_id;
    if (!organizationId || !subject) return 'IGNORED';
    const role = removed || !data.role ? null : memberRoleOf(data.role);
    const recorded: unknown[] = await em.query(
      `INSERT INTO public.external_memberships AS x (provider, organization_id, subject, role, removed_at, event_at)
       VALUES ($1, $2, $3, $4, CASE WHEN $5 THEN $6::timestamptz END, $6)
       ON CONFLICT (provider, organization_id, subject) DO UPDATE
         SET role = EXCLUDED.role, removed_at = EXCLUDED.removed_at, event_at = EXCLUDED.event_at
       WHERE x.event_at <= EXCLUDED.event_at
       RETURNING 1`,
      [this.provider, organizationId, subject, role, removed, at],
    );
    if (!recorded.length) return 'STALE';
    const [target]: { tenant_id: string; user_id: string }[] = await em.query(
      `SELECT t.id AS tenant_id, i.user_id FROM public.tenants t, public.external_identities i
        WHERE t.external_provider = $1 AND t.external_organization_id = $2 AND i.provider = $1 AND i.subject = $3`,
      [this.provider, organizationId, subject],
    );
    if (!target) return 'APPLIED';
    if (removed) await this.deps.memberships.removeProviderMember(em, target.tenant_id, target.user_id);
    else if (role) await this.deps.memberships.setProviderRole(em, target.tenant_id, target.user_id, role);
    return 'APPLIED';
  }

  private async userUpdated(em: EntityManager, data: ClerkData, at: Date): Promise<ClerkWebhookOutcome> {
    const primary = data.email_addresses?.find((address) => address.id === data.primary_email_address_id);
    if (!data.id || !primary?.email_address) return 'IGNORED';
    const emailVerified = primary.verification?.status === 'verified';
    const {
      rows: [identity],
    } = await rawWrite<{ user_id: string }>(
      em,
      `UPDATE public.external_identities SET email = $3, email_verified = $4, profile_event_at = $5, updated_at = now()
        WHERE provider = $1 AND subject = $2 AND (profile_event_at IS NULL OR profile_event_at <= $5)
        RETURNING user_id`,
      [this.provider, data.id, primary.email_address, emailVerified, at],
    );
    if (!identity) return (await this.identityExists(em, data.id)) ? 'STALE' : 'IGNORED';
    await this.deps.users.updateExternal(em, identity.user_id, {
      email: primary.email_address,
      emailVerified,
      firstName: data.first_name ?? '',
      lastName: data.last_name ?? '',
    });
    return 'APPLIED';
  }

  /**
   * The link goes, and with it the memberships of the provider's organizations; the account itself stays
   * (a linked built-in account keeps its password sign-in, a provider-made one can no longer sign in).
   */
  private async userDeleted(em: EntityManager, data: ClerkData): Promise<ClerkWebhookOutcome> {
    if (!data.id) return 'IGNORED';
    const {
      rows: [identity],
    } = await rawWrite<{ user_id: string }>(
      em,
      'DELETE FROM public.external_identities WHERE provider = $1 AND subject = $2 RETURNING user_id',
      [this.provider, data.id],
    );
    if (!identity) return 'IGNORED';
    const tenants: { tenant_id: string }[] = await em.query(
      `SELECT m.tenant_id FROM public.memberships m JOIN public.tenants t ON t.id = m.tenant_id
        WHERE m.user_id = $1 AND t.external_provider = $2`,
      [identity.user_id, this.provider],
    );
    for (const { tenant_id } of tenants)
      await this.deps.memberships.removeProviderMember(em, tenant_id, identity.user_id);
    return 'APPLIED';
  }

  private async identityExists(em: EntityManager, subject: string): Promise<boolean> {
    const rows: unknown[] = await em.query(
      'SELECT 1 FROM public.external_identities WHERE provider = $1 AND subject = $2',
      [this.provider, subject],
    );
    return rows.length > 0;
  }
}
