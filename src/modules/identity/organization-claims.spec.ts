import { MemberRole } from '../../core/authorization/member-role';
import { memberRoleOf, organizationClaims } from './organization-claims';

const clerk = { issuer: 'https://clerk.example.test', audience: 'api' };

describe('organization claims', () => {
  it("reads Clerk's v1 and v2 session-token claims", () => {
    expect(organizationClaims({ org_id: 'org_1', org_role: 'org:admin', org_slug: 'one' }, clerk)).toEqual({
      organizationId: 'org_1',
      role: MemberRole.ADMIN,
      slug: 'one',
    });
    expect(organizationClaims({ o: { id: 'org_2', rol: 'member', slg: 'two' } }, clerk)).toEqual({
      organizationId: 'org_2',
      role: MemberRole.MEMBER,
      slug: 'two',
    });
    expect(organizationClaims({ org_id: 'org_3' }, clerk)).toEqual({ organizationId: 'org_3', role: null });
    expect(organizationClaims({ sub: 'user_1' }, clerk)).toBeUndefined();
    expect(organizationClaims({ org_id: 'not allowed: spaces' }, clerk)).toBeUndefined();
  });

  it('follows configured paths: dotted into nested claims, or a namespaced claim name', () => {
    const auth0 = { ...clerk, orgClaim: 'org_id', roleClaim: 'https://tenantql.example/role', ownerRole: 'owner' };
    expect(organizationClaims({ org_id: 'org_a', 'https://tenantql.example/role': 'owner' }, auth0)).toMatchObject({
      organizationId: 'org_a',
      role: MemberRole.OWNER,
    });
    const keycloak = { ...clerk, orgClaim: 'tenant.id', roleClaim: 'tenant.role' };
    expect(organizationClaims({ tenant: { id: 'kc-1', role: 'viewer' } }, keycloak)).toMatchObject({
      organizationId: 'kc-1',
      role: MemberRole.VIEWER,
    });
  });

  it('maps roles: OWNER only through the configured owner role, unknown roles to VIEWER', () => {
    expect(memberRoleOf('org:admin')).toBe(MemberRole.ADMIN);
    expect(memberRoleOf('basic_member')).toBe(MemberRole.MEMBER);
    expect(memberRoleOf('org:owner')).toBe(MemberRole.VIEWER);
    expect(memberRoleOf('org:owner', 'org:owner')).toBe(MemberRole.OWNER);
    expect(memberRoleOf('OWNER', 'owner')).toBe(MemberRole.OWNER);
    expect(memberRoleOf('org:billing')).toBe(MemberRole.VIEWER);
  });
});
