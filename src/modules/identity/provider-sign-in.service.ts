import { createHash, randomBytes } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { MemberRole } from '../../core/authorization/member-role';
import type { Principal } from '../../core/http/request-context';
import type { PasswordHasher } from '../auth';
import type { MembershipService } from '../memberships';
import type { ExternalProfile, UserService } from '../users';
import type { ExternalTenants } from './external-tenants';
import { organizationClaims, type OrganizationClaims } from './organization-claims';
import { ProviderSignInError } from './provider-sign-in-error';
import type { ProviderTokenVerifier, VerifiedProviderToken } from './provider-token-verifier';

type UserPrincipal = Extract<Principal, { kind: 'user' }>;

export interface ProviderSignInDependencies {
  dataSource: DataSource;
  verifier: ProviderTokenVerifier;
  users: Pick<UserService, 'findByEmail' | 'createExternal'>;
  memberships: Pick<MembershipService, 'setProviderRole'>;
  externalTenants: ExternalTenants;
  hasher: Pick<PasswordHasher, 'hash'>;
  /** Provision a provider organization with no tenant on first use (OIDC_AUTO_PROVISION). */
  autoProvision: boolean;
}

/** What one statement tells about a provider subject: their account, and the claimed organization's state. */
interface SubjectRow {
  user_id: string;
  email_verified: boolean;
  suspended: boolean;
  tenant_id: string | null;
  member_role: MemberRole | null;
  removed_at: Date | null;
}

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}$/;
const text = (value: unknown) => (typeof value === 'string' ? value.trim() : '');

/** Profile claims: OpenID's standard ones, else Clerk's customary session-token names. */
function profileOf(payload: VerifiedProviderToken['payload']): ExternalProfile | { email?: undefined } {
  const email = text(payload.email);
  if (!EMAIL.test(email)) return {};
  const name = text(payload.name).split(/\s+/);
  return {
    email,
    emailVerified: payload.email_verified === true,
    firstName: text(payload.given_name) || text(payload.first_name) || name[0] || '',
    lastName: text(payload.family_name) || text(payload.last_name) || name.slice(1).join(' '),
  };
}

/**
 * Signs a provider user in from their access token, for every request: one statement finds their account
 * and, when the token names an organization, its tenant, their membership and any removal the provider
 * announced since the token was issued. First sight creates the account just in time (or links the built-in
 * account with the same address when the provider says it is verified); the token's organization role is
 * written to the membership table (only when it changed), so every policy reads one source.
 */
export class ProviderSignIn {
  constructor(private readonly deps: ProviderSignInDependencies) {}

  claimsProviderIssuer(token: string): boolean {
    return this.deps.verifier.claimsProviderIssuer(token);
  }

  async authenticate(token: string): Promise<UserPrincipal> {
    const verified = await this.deps.verifier.verify(token);
    const { provider, payload } = verified;
    const claims = organizationClaims(payload, provider);
    const row = (await this.lookup(provider.issuer, payload.sub, claims)) ?? (await this.firstSight(verified, claims));
    if (row.suspended) throw new ProviderSignInError('ACCOUNT_SUSPENDED', 'This account is suspended');
    if (claims) await this.applyClaims(verified, claims, row);
    return { kind: 'user', userId: row.user_id, emailVerified: row.email_verified };
  }

  private async lookup(
    provider: string,
    subject: string,
    claims: OrganizationClaims | undefined,
    manager: EntityManager = this.deps.dataSource.manager,
  ): Promise<SubjectRow | undefined> {
    const [row]: SubjectRow[] = await manager.query(
      `SELECT i.user_id, u.email_verified_at IS NOT NULL AS email_verified, u.suspended_at IS NOT NULL AS suspended,
              t.id AS tenant_id, m.role AS member_role, x.removed_at
         FROM public.external_identities i JOIN public.users u ON u.id = i.user_id
         LEFT JOIN public.tenants t ON t.external_organization_id = $3 AND t.external_provider = $1
         LEFT JOIN public.memberships m ON m.tenant_id = t.id AND m.user_id = i.user_id
         LEFT JOIN public.external_memberships x ON x.provider = $1 AND x.organization_id = $3 AND x.subject = $2
        WHERE i.provider = $1 AND i.subject = $2`,
      [provider, subject, claims?.organizationId ?? null],
    );
    return row;
  }

  /**
   * The account of a subject seen for the first time, serialised per subject (two first requests at once make
   * one account). A built-in account is linked only through an address the provider says it verified; an
   * unverified (or missing) address that another account uses is not taken: the new account gets a
   * placeholder address (`….invalid`, never delivered) until the provider sends a usable one.
   */
  private async firstSight(verified: VerifiedProviderToken, claims: OrganizationClaims | undefined) {
    const { provider, payload } = verified;
    const profile = profileOf(payload);
    const secretHash = await this.deps.hasher.hash(randomBytes(32).toString('base64url'));
    return this.deps.dataSource.transaction(async (em) => {
      await em.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`${provider.issuer} ${payload.sub}`]);
      const known = await this.lookup(provider.issuer, payload.sub, claims, em);
      if (known) return known;
      const existing = profile.email ? await this.deps.users.findByEmail(profile.email, { manager: em }) : null;
      const linked = existing && profile.email && profile.emailVerified ? existing : null;
      const userId = linked?.id ?? (await this.createAccount(em, verified, profile, !existing, secretHash));
      await em.query(
        `INSERT INTO public.external_identities (provider, subject, user_id, email, email_verified, created_user)
         VALUES ($1, $2, $3, $4, $5, $6)`,
        [
          provider.issuer,
          payload.sub,
          userId,
          profile.email ?? null,
          profile.email ? profile.emailVerified : false,
          !linked,
        ],
      );
      await this.deps.externalTenants.applyAnnounced(em, provider.issuer, { subject: payload.sub });
      return (await this.lookup(provider.issuer, payload.sub, claims, em))!;
    });
  }

  /** A new account: with the token's address, or a placeholder when it has none that is free to use. */
  private async createAccount(
    em: EntityManager,
    { provider, payload }: VerifiedProviderToken,
    profile: ReturnType<typeof profileOf>,
    addressFree: boolean,
    secretHash: string,
  ): Promise<string> {
    const placeholder = {
      firstName: '',
      lastName: '',
      ...profile,
      email: placeholderEmail(provider.issuer, payload.sub),
      emailVerified: false,
    };
    const usable = addressFree && profile.email ? profile : placeholder;
    return (await this.deps.users.createExternal(em, usable, secretHash)).id;
  }

  /**
   * The token's organization role goes to the membership table. A removal the provider announced after the
   * token was issued wins (the token still carries the old claims); an OWNER is not demoted by a claim.
   */
  private async applyClaims(verified: VerifiedProviderToken, claims: OrganizationClaims, row: SubjectRow) {
    const { provider, payload } = verified;
    let tenantId = row.tenant_id;
    if (!tenantId) {
      if (!this.deps.autoProvision) {
        throw new ProviderSignInError(
          'ORGANIZATION_NOT_PROVISIONED',
          'This organization has not been set up here yet',
          404,
        );
      }
      const organization = { id: claims.organizationId, slug: claims.slug };
      tenantId = (
        await this.deps.dataSource.transaction(async (em) => {
          // A token issued before the deletion still names it: a deleted organization is not provisioned again.
          if (await this.deps.externalTenants.wasDeleted(em, provider.issuer, organization.id)) {
            throw new ProviderSignInError('ORGANIZATION_DELETED', 'This organization was deleted', 404);
          }
          return this.deps.externalTenants.provisionOrganization(em, provider.issuer, organization);
        })
      ).id;
    }
    const removedSinceIssued = row.removed_at && row.removed_at.getTime() >= (payload.iat ?? 0) * 1000;
    if (!claims.role || removedSinceIssued || row.member_role === claims.role) return;
    if (row.member_role === MemberRole.OWNER && claims.role !== MemberRole.OWNER) return;
    await this.deps.memberships.setProviderRole(this.deps.dataSource.manager, tenantId, row.user_id, claims.role);
  }
}

function placeholderEmail(issuer: string, subject: string): string {
  return `${createHash('sha256').update(`${issuer} ${subject}`).digest('hex').slice(0, 32)}@external.invalid`;
}
