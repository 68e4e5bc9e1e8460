import type { JWTPayload } from 'jose';
import type { OidcProviderConfig } from '../../core/config/config';
import { MemberRole } from '../../core/authorization/member-role';
import { EXTERNAL_ORGANIZATION_PATTERN } from '../../core/tenancy/tenant-schema';

/** The organization a provider token speaks for, and the caller's role there (null: the membership table decides). */
export interface OrganizationClaims {
  organizationId: string;
  role: MemberRole | null;
  slug?: string;
}

/** Clerk's session-token claims: v1 `org_id`/`org_role`/`org_slug`, v2 `o.id`/`o.rol`/`o.slg`. */
const CLERK_PATHS = { org: ['org_id', 'o.id'], role: ['org_role', 'o.rol'], slug: ['org_slug', 'o.slg'] };

/** A claim named exactly `path` (Auth0's namespaced `https://…/role`), else the dotted path into nested claims. */
function claimAt(payload: JWTPayload, path: string): unknown {
  if (path in payload) return payload[path];
  return path
    .split('.')
    .reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], payload);
}

function firstString(payload: JWTPayload, paths: string[]): string | undefined {
  for (const path of paths) {
    const value = claimAt(payload, path);
    if (typeof value === 'string' && value !== '') return value;
  }
  return undefined;
}

/**
 * `org:admin`/`admin` → ADMIN, `org:member`/`member`/`basic_member` → MEMBER, `org:viewer`/`viewer` → VIEWER;
 * OWNER only for the provider's `ownerRole`. Any other role counts as VIEWER (least privilege).
 */
export function memberRoleOf(raw: string, ownerRole?: string): MemberRole {
  const bare = (value: string) => value.toLowerCase().replace(/^org:/, '');
  const role = bare(raw);
  if (ownerRole && role === bare(ownerRole)) return MemberRole.OWNER;
  if (role === 'admin') return MemberRole.ADMIN;
  if (role === 'member' || role === 'basic_member') return MemberRole.MEMBER;
  return MemberRole.VIEWER;
}

/** The token's organization claims (configured paths, else Clerk's); undefined when it names no organization. */
export function organizationClaims(payload: JWTPayload, provider: OidcProviderConfig): OrganizationClaims | undefined {
  const organizationId = firstString(payload, provider.orgClaim ? [provider.orgClaim] : CLERK_PATHS.org);
  if (!organizationId || !EXTERNAL_ORGANIZATION_PATTERN.test(organizationId)) return undefined;
  const role = firstString(payload, provider.roleClaim ? [provider.roleClaim] : CLERK_PATHS.role);
  return {
    organizationId,
    role: role ? memberRoleOf(role, provider.ownerRole) : null,
    slug: firstString(payload, CLERK_PATHS.slug),
  };
}
