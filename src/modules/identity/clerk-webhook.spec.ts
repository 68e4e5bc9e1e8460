import { randomBytes, randomUUID } from 'node:crypto';
import { Webhook } from 'svix';
import { startOidcProvider, type TestOidcProvider } from '../../../test/support/oidc-provider';
import { startTestApp, type TestApp } from '../../../test/support/test-app';

const SECRET = `whsec_${randomBytes(24).toString('base64')}`;
const signer = new Webhook(SECRET);
const MEMBERS = '{ members { userId role } }';

interface Delivery {
  id?: string;
  signedAt?: Date;
  secret?: Webhook;
}

describe('Clerk webhooks (signed by the svix package) and auto-provisioning (real oidc-provider, real PostgreSQL)', () => {
  let provider: TestOidcProvider;
  let app: TestApp;

  beforeAll(async () => {
    provider = await startOidcProvider();
    app = await startTestApp({ ...provider.env, CLERK_WEBHOOK_SECRET: SECRET, OIDC_AUTO_PROVISION: 'true' });
  });
  afterAll(async () => {
    await app?.close();
    await provider?.close();
  });

  async function deliver(type: string, data: Record<string, unknown>, delivery: Delivery = {}) {
    const id = delivery.id ?? `msg_${randomUUID()}`;
    const signedAt = delivery.signedAt ?? new Date();
    const body = JSON.stringify({ type, object: 'event', data });
    const response = await fetch(`${app.url}/webhooks/clerk`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'svix-id': id,
        'svix-timestamp': String(Math.floor(signedAt.getTime() / 1000)),
        'svix-signature': (delivery.secret ?? signer).sign(id, signedAt, body),
      },
      body,
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  const tenantOf = async (organizationId: string) =>
    (
      await app.dataSource.query(
        'SELECT id, slug, name, status FROM public.tenants WHERE external_organization_id = $1',
        [organizationId],
      )
    )[0] as { id: string; slug: string; name: string; status: string } | undefined;
  const membership = (organizationId: string, userId: string, role: string, updatedAt = Date.now()) => ({
    id: `orgmem_${randomUUID()}`,
    role,
    organization: { id: organizationId },
    public_user_data: { user_id: userId, identifier: `${userId}@x.test` },
    updated_at: updatedAt,
  });
  const userIdOf = async (subject: string) =>
    (await app.dataSource.query('SELECT user_id FROM public.external_identities WHERE subject = $1', [subject]))[0]
      ?.user_id as string | undefined;

  it('refuses a forged or stale signature with 400 and changes nothing', async () => {
    const data = { id: 'org_forged', name: 'Forged', slug: 'forged' };
    const forged = await deliver('organization.created', data, {
      secret: new Webhook(`whsec_${randomBytes(24).toString('base64')}`),
    });
    const stale = await deliver('organization.created', data, { signedAt: new Date(Date.now() - 10 * 60_000) });
    for (const res of [forged, stale]) {
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        errors: [{ message: 'Invalid signature', extensions: { code: 'BAD_USER_INPUT', reason: 'INVALID_SIGNATURE' } }],
      });
    }
    expect(await tenantOf('org_forged')).toBeUndefined();
    const [{ count }] = await app.dataSource.query(
      `SELECT count(*)::int AS count FROM public.webhook_events WHERE provider = 'CLERK'`,
    );
    expect(count).toBe(0);
  });

  it('provisions, renames and archives the tenant; the same delivery twice is applied once', async () => {
    const created = { id: 'org_acme', name: 'Acme', slug: 'acme' };
    const first = await deliver('organization.created', created, { id: 'msg_acme_created' });
    const again = await deliver('organization.created', created, { id: 'msg_acme_created' });
    expect([first.body.outcome, again.body.outcome]).toEqual(['APPLIED', 'DUPLICATE']);
    expect(await tenantOf('org_acme')).toMatchObject({ slug: 'acme', name: 'Acme', status: 'ACTIVE' });

    expect((await deliver('organization.updated', { ...created, name: 'Acme Inc' })).body.outcome).toBe('APPLIED');
    expect(await tenantOf('org_acme')).toMatchObject({ name: 'Acme Inc' });

    const alice = await provider.token({
      sub: 'user_acme_alice',
      claims: { org_id: 'org_acme', org_role: 'org:admin' },
    });
    expect((await app.gql(MEMBERS, {}, { bearer: alice, org: 'org_acme' })).errors).toBeUndefined();
    expect((await deliver('organization.deleted', { id: 'org_acme', deleted: true })).body.outcome).toBe('APPLIED');
    expect(await tenantOf('org_acme')).toMatchObject({ status: 'ARCHIVED' });
    const refused = await app.gql(MEMBERS, {}, { bearer: alice, org: 'org_acme' });
    expect(refused.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'TENANT_ARCHIVED' });
  });

  it('applies memberships announced before the user signed in, and a removal wins over the old claims', async () => {
    await deliver('organization.created', { id: 'org_beta', name: 'Beta', slug: 'beta' });
    await deliver('organizationMembership.created', membership('org_beta', 'user_bea', 'org:admin'));
    // First sign-in, with no organization claims: the announced membership applies.
    const plain = await provider.token({ sub: 'user_bea' });
    const members = await app.gql(MEMBERS, {}, { bearer: plain, org: 'org_beta' });
    const bea = await userIdOf('user_bea');
    expect(members.data).toEqual({ members: [{ userId: bea, role: 'ADMIN' }] });

    const withClaims = await provider.token({ sub: 'user_bea', claims: { org_id: 'org_beta', org_role: 'org:admin' } });
    await deliver('organizationMembership.updated', membership('org_beta', 'user_bea', 'org:member'));
    expect((await app.gql(MEMBERS, {}, { bearer: plain, org: 'org_beta' })).data).toEqual({
      members: [{ userId: bea, role: 'MEMBER' }],
    });
    await deliver('organizationMembership.deleted', membership('org_beta', 'user_bea', 'org:member'));
    // The token issued before the removal still says org:admin of org_beta: refused all the same.
    const next = await app.gql(MEMBERS, {}, { bearer: withClaims, org: 'org_beta' });
    expect(next.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'NOT_A_MEMBER' });
  });

  it('is order-tolerant: an older membership event after a newer removal is STALE', async () => {
    await deliver('organization.created', { id: 'org_gamma', name: 'Gamma', slug: 'gamma' });
    const token = await provider.token({ sub: 'user_gil', claims: { email: 'gil@g.test', email_verified: true } });
    await app.gql('{ me { id } }', {}, { bearer: token });
    const gil = await userIdOf('user_gil');
    const removed = await deliver('organizationMembership.deleted', membership('org_gamma', 'user_gil', 'org:member'));
    const late = await deliver(
      'organizationMembership.created',
      membership('org_gamma', 'user_gil', 'org:member', Date.now() - 60_000),
    );
    expect([removed.body.outcome, late.body.outcome]).toEqual(['APPLIED', 'STALE']);
    const tenant = await tenantOf('org_gamma');
    expect(
      await app.dataSource.query('SELECT 1 FROM public.memberships WHERE tenant_id = $1 AND user_id = $2', [
        tenant!.id,
        gil,
      ]),
    ).toEqual([]);
  });

  it('is order-tolerant for organizations: an older rename is STALE, a deletion before its creation stays final', async () => {
    const now = Date.now();
    await deliver('organization.created', { id: 'org_delta', name: 'Delta', slug: 'delta', updated_at: now - 60_000 });
    const renamed = await deliver('organization.updated', { id: 'org_delta', name: 'Delta 2', updated_at: now });
    const older = await deliver('organization.updated', { id: 'org_delta', name: 'Delta 1', updated_at: now - 30_000 });
    expect([renamed.body.outcome, older.body.outcome]).toEqual(['APPLIED', 'STALE']);
    expect(await tenantOf('org_delta')).toMatchObject({ name: 'Delta 2' });
    // A time no date can hold counts as the signing time, not a 500.
    const odd = await deliver('organization.created', { id: 'org_zeta', name: 'Zeta', slug: 'zeta', updated_at: 1e20 });
    expect([odd.status, odd.body.outcome]).toEqual([200, 'APPLIED']);

    // Control order first: created, then deleted, archives (the test above); here the deletion arrives first.
    const deleted = await deliver('organization.deleted', { id: 'org_epsilon', deleted: true });
    const late = await deliver('organization.created', {
      id: 'org_epsilon',
      name: 'Epsilon',
      slug: 'epsilon',
      updated_at: now - 60_000,
    });
    expect([deleted.body.outcome, late.body.outcome]).toEqual(['APPLIED', 'STALE']);
    expect(await tenantOf('org_epsilon')).toBeUndefined();
    // Nor does a token still naming it provision it on first use (OIDC_AUTO_PROVISION is on here).
    const token = await provider.token({ sub: 'user_eve', claims: { org_id: 'org_epsilon', org_role: 'org:admin' } });
    const refused = await app.gql(MEMBERS, {}, { bearer: token, org: 'org_epsilon' });
    expect(refused.errors?.[0].extensions).toMatchObject({ code: 'NOT_FOUND', reason: 'ORGANIZATION_DELETED' });
    expect(await tenantOf('org_epsilon')).toBeUndefined();
  });

  it('updates the profile (user.updated) and unlinks the account with its memberships (user.deleted)', async () => {
    await deliver('organizationMembership.created', membership('org_beta', 'user_hal', 'org:member'));
    await app.gql('{ me { id } }', {}, { bearer: await provider.token({ sub: 'user_hal' }) });
    const hal = (await userIdOf('user_hal'))!;
    const updated = await deliver('user.updated', {
      id: 'user_hal',
      first_name: 'Hal',
      last_name: 'Jordan',
      primary_email_address_id: 'idn_1',
      email_addresses: [{ id: 'idn_1', email_address: 'hal@h.test', verification: { status: 'verified' } }],
      updated_at: Date.now(),
    });
    expect(updated.body.outcome).toBe('APPLIED');
    const [user] = await app.dataSource.query(
      'SELECT email, first_name, email_verified_at IS NOT NULL AS verified FROM public.users WHERE id = $1',
      [hal],
    );
    expect(user).toEqual({ email: 'hal@h.test', first_name: 'Hal', verified: true });
    // An address the provider has not verified never becomes the account's.
    const unverified = await deliver('user.updated', {
      id: 'user_hal',
      first_name: 'Hal',
      last_name: 'Jordan',
      primary_email_address_id: 'idn_2',
      email_addresses: [{ id: 'idn_2', email_address: 'hal@elsewhere.test', verification: { status: 'unverified' } }],
      updated_at: Date.now() + 1,
    });
    expect(unverified.body.outcome).toBe('APPLIED');
    const [kept] = await app.dataSource.query('SELECT email FROM public.users WHERE id = $1', [hal]);
    expect(kept.email).toBe('hal@h.test');

    expect((await deliver('user.deleted', { id: 'user_hal', deleted: true })).body.outcome).toBe('APPLIED');
    expect(await userIdOf('user_hal')).toBeUndefined();
    expect(await app.dataSource.query('SELECT 1 FROM public.memberships WHERE user_id = $1', [hal])).toEqual([]);
  });

  it('provisions an organization on first use when OIDC_AUTO_PROVISION=true', async () => {
    const token = await provider.token({
      sub: 'user_ivy',
      claims: { org_id: 'org_new', org_role: 'org:admin', org_slug: 'brand-new' },
    });
    const res = await app.gql(MEMBERS, {}, { bearer: token, org: 'org_new' });
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({ members: [{ userId: await userIdOf('user_ivy'), role: 'ADMIN' }] });
    expect(await tenantOf('org_new')).toMatchObject({ slug: 'brand-new', status: 'ACTIVE' });
  });
});
