import {
  AcceptInvitationDocument,
  CreateApiKeyDocument,
  CreateCustomerDocument,
  CustomersDocument,
  InvitationsDocument,
  InviteMemberDocument,
  LeaveOrganizationDocument,
  MeDocument,
  MembersDocument,
  RemoveMemberDocument,
  RevokeInvitationDocument,
  UpdateMemberRoleDocument,
  UpdateTenantSettingsDocument,
} from '../../../test/generated/graphql';
import { addMember, invitationToken, signUp, type TestAccount } from '../../../test/support/accounts';
import { startMailTestApp, TEST_FRONTEND_URL, type MailTestApp } from '../../../test/support/mail-test-app';
import { tokenFromLink, type SmtpTestServer } from '../../../test/support/smtp-test-server';
import type { TestApp } from '../../../test/support/test-app';

const FRONTEND = TEST_FRONTEND_URL;

describe('organizations and roles (HTTP, real PostgreSQL, real SMTP)', () => {
  let app: TestApp;
  let smtp: SmtpTestServer;
  let setup: MailTestApp;

  beforeAll(async () => {
    setup = await startMailTestApp();
    ({ app, smtp } = setup);
  });
  afterAll(() => setup.close());

  const as = (account: TestAccount, org = account.tenant.slug) => ({ bearer: account.token, org });

  it('invites by mail; only the invited account accepts, once, and joins with the role', async () => {
    const owner = await signUp(app, 'olivia@acme.test', 'Acme Trading');
    const invited = await app.gql(InviteMemberDocument, { email: 'Bob@Example.com', role: 'MEMBER' }, as(owner));
    expect(invited.errors).toBeUndefined();
    expect(invited.data!.inviteMember).toMatchObject({ email: 'Bob@Example.com', role: 'MEMBER' });
    expect(new Date(invited.data!.inviteMember.expiresAt).getTime()).toBeGreaterThan(Date.now() + 6.9 * 86_400_000);
    expect((await app.gql(InvitationsDocument, {}, as(owner))).data!.invitations.map((i) => i.email)).toEqual([
      'Bob@Example.com',
    ]);

    // The mail went through the outbox in the invitation's transaction; the link is built from FRONTEND_URL.
    await app.services.mailOutbox.deliverDue();
    const mail = smtp.messages.find((m) => m.to[0].toLowerCase() === 'bob@example.com')!;
    expect(mail.subject).toBe('olivia Tester invited you to Acme Trading on Acme Cloud');
    expect(mail.text).toContain(`${FRONTEND}/accept-invitation?token=`);
    const token = tokenFromLink(mail, '/accept-invitation');

    const bob = await signUp(app, 'bob@example.com', 'Bob Repairs', { verified: false });
    const carol = await signUp(app, 'carol@example.com', 'Carol Cakes');
    const stolen = await app.gql(AcceptInvitationDocument, { token }, { bearer: carol.token });
    expect(stolen.errors![0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'INVITATION_EMAIL_MISMATCH' });

    const accepted = await app.gql(AcceptInvitationDocument, { token }, { bearer: bob.token });
    expect(accepted.errors).toBeUndefined();
    expect(accepted.data!.acceptInvitation).toEqual({
      role: 'MEMBER',
      tenant: { id: owner.tenant.id, slug: owner.tenant.slug, name: 'Acme Trading' },
    });
    const again = await app.gql(AcceptInvitationDocument, { token }, { bearer: bob.token });
    expect(again.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVALID_TOKEN' });

    const members = (await app.gql(MembersDocument, {}, as(owner))).data!.members;
    expect(members.map((m) => [m.email, m.role])).toEqual([
      ['olivia@acme.test', 'OWNER'],
      ['bob@example.com', 'MEMBER'],
    ]);
    const me = (await app.gql(MeDocument, {}, { bearer: bob.token })).data!.me;
    // Following the mailed link proved the address.
    expect(me.emailVerified).toBe(true);
    expect(me.memberships.map((m) => [m.tenant.slug, m.role])).toEqual([
      ['bob-repairs', 'OWNER'],
      [owner.tenant.slug, 'MEMBER'],
    ]);
    expect((await app.gql(InvitationsDocument, {}, as(owner))).data!.invitations).toEqual([]);
  });

  it('refuses invitations from unconfirmed addresses; a new invitation replaces the pending one; revoked and expired links fail', async () => {
    const unverified = await signUp(app, 'una@example.com', 'Una Unverified', { verified: false });
    const refused = await app.gql(InviteMemberDocument, { email: 'x@example.com', role: 'VIEWER' }, as(unverified));
    expect(refused.errors![0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'EMAIL_NOT_VERIFIED' });

    const owner = await signUp(app, 'otto@example.com', 'Otto Optics');
    const dave = await signUp(app, 'dave@example.com', 'Dave Dairy');
    const first = (await app.gql(InviteMemberDocument, { email: dave.email, role: 'VIEWER' }, as(owner))).data!
      .inviteMember;
    const second = (await app.gql(InviteMemberDocument, { email: dave.email, role: 'ADMIN' }, as(owner))).data!
      .inviteMember;
    const replaced = await app.gql(
      AcceptInvitationDocument,
      { token: await invitationToken(app, first.id) },
      { bearer: dave.token },
    );
    expect(replaced.errors![0].extensions.reason).toBe('INVALID_TOKEN');

    expect((await app.gql(RevokeInvitationDocument, { id: second.id }, as(owner))).data!.revokeInvitation).toBe(true);
    const revoked = await app.gql(
      AcceptInvitationDocument,
      { token: await invitationToken(app, second.id) },
      { bearer: dave.token },
    );
    expect(revoked.errors![0].extensions.reason).toBe('INVALID_TOKEN');

    const third = (await app.gql(InviteMemberDocument, { email: dave.email, role: 'ADMIN' }, as(owner))).data!
      .inviteMember;
    await app.dataSource.query(`UPDATE public.invitations SET expires_at = now() - interval '1 second' WHERE id = $1`, [
      third.id,
    ]);
    const expired = await app.gql(
      AcceptInvitationDocument,
      { token: await invitationToken(app, third.id) },
      { bearer: dave.token },
    );
    expect(expired.errors![0].extensions.reason).toBe('INVALID_TOKEN');
    expect((await app.gql(MembersDocument, {}, as(owner))).data!.members).toHaveLength(1);

    await addMember(app, owner, dave, 'VIEWER');
    const twice = await app.gql(InviteMemberDocument, { email: dave.email, role: 'MEMBER' }, as(owner));
    expect(twice.errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'ALREADY_MEMBER' });
  });

  it("answers NOT_FOUND for an unknown, revoked or other organization's invitation, revoking nothing", async () => {
    const owner = await signUp(app, 'rita@example.com', 'Rita Rugs');
    const other = await signUp(app, 'oscar@example.com', 'Oscar Oils');
    const erin = await signUp(app, 'erin@example.com', 'Erin Eggs');
    const invite = async (role: 'MEMBER' | 'VIEWER') =>
      (await app.gql(InviteMemberDocument, { email: erin.email, role }, as(owner))).data!.inviteMember;
    const revoke = (id: string, by: TestAccount) => app.gql(RevokeInvitationDocument, { id }, as(by));
    const invitation = await invite('MEMBER');

    expect((await revoke(invitation.id, other)).errors![0].extensions).toMatchObject({ code: 'NOT_FOUND' });
    const unknown = await revoke('00000000-0000-4000-8000-000000000000', owner);
    expect(unknown.errors![0].extensions).toMatchObject({ code: 'NOT_FOUND' });
    const pending = (await app.gql(InvitationsDocument, {}, as(owner))).data!.invitations;
    expect(pending.map((i) => i.id)).toEqual([invitation.id]);

    expect((await revoke(invitation.id, owner)).data!.revokeInvitation).toBe(true);
    expect((await revoke(invitation.id, owner)).errors![0].extensions).toMatchObject({ code: 'NOT_FOUND' });

    // The other organization's attempt leaves the invitation valid: it is accepted afterwards.
    const fresh = await invite('VIEWER');
    expect((await revoke(fresh.id, other)).errors![0].extensions.code).toBe('NOT_FOUND');
    const token = await invitationToken(app, fresh.id);
    const accepted = await app.gql(AcceptInvitationDocument, { token }, { bearer: erin.token });
    expect(accepted.errors).toBeUndefined();
    expect(accepted.data!.acceptInvitation.role).toBe('VIEWER');
  });

  describe('role checks', () => {
    let owner: TestAccount;
    let admin: TestAccount;
    let member: TestAccount;
    let viewer: TestAccount;

    beforeAll(async () => {
      owner = await signUp(app, 'ruth@roles.test', 'Roles Inc');
      admin = await signUp(app, 'adam@roles.test', 'Adam Co');
      member = await signUp(app, 'mia@roles.test', 'Mia Co');
      viewer = await signUp(app, 'victor@roles.test', 'Victor Co');
      await addMember(app, owner, admin, 'ADMIN');
      await addMember(app, owner, member, 'MEMBER');
      await addMember(app, owner, viewer, 'VIEWER');
    });
    const inRoles = (account: TestAccount) => as(account, owner.tenant.slug);
    const customerCount = async () => (await app.gql(CustomersDocument, {}, inRoles(owner))).data!.customers.totalCount;

    it('a VIEWER reads but every mutation is FORBIDDEN and writes nothing', async () => {
      expect((await app.gql(CustomersDocument, {}, inRoles(viewer))).errors).toBeUndefined();
      const before = await customerCount();
      const write = await app.gql(CreateCustomerDocument, { input: { name: 'Nope' } }, inRoles(viewer));
      expect(write.errors![0].extensions).toMatchObject({
        code: 'FORBIDDEN',
        reason: 'INSUFFICIENT_ROLE',
        requiredRole: 'MEMBER',
      });
      const settings = await app.gql(
        UpdateTenantSettingsDocument,
        { input: { legalName: 'Nope Ltd' } },
        inRoles(viewer),
      );
      expect(settings.errors![0].extensions).toMatchObject({ code: 'FORBIDDEN', requiredRole: 'ADMIN' });
      expect(await customerCount()).toBe(before);
    });

    it('a MEMBER writes tenant data but cannot manage members or API keys', async () => {
      expect(
        (await app.gql(CreateCustomerDocument, { input: { name: 'By member' } }, inRoles(member))).errors,
      ).toBeUndefined();
      const invite = await app.gql(InviteMemberDocument, { email: 'new@roles.test', role: 'VIEWER' }, inRoles(member));
      expect(invite.errors![0].extensions).toMatchObject({
        code: 'FORBIDDEN',
        reason: 'INSUFFICIENT_ROLE',
        requiredRole: 'ADMIN',
      });
      const demote = await app.gql(
        UpdateMemberRoleDocument,
        { userId: viewer.userId, role: 'MEMBER' },
        inRoles(member),
      );
      expect(demote.errors![0].extensions.code).toBe('FORBIDDEN');
      const key = await app.gql(
        CreateApiKeyDocument,
        { input: { name: 'k', scopes: ['customers:read'] } },
        inRoles(member),
      );
      expect(key.errors![0].extensions.code).toBe('FORBIDDEN');
    });

    it('an ADMIN manages members but cannot grant, change or remove ownership', async () => {
      const promoted = await app.gql(
        UpdateMemberRoleDocument,
        { userId: viewer.userId, role: 'MEMBER' },
        inRoles(admin),
      );
      expect(promoted.data!.updateMemberRole).toEqual({ userId: viewer.userId, role: 'MEMBER' });
      const toOwner = await app.gql(UpdateMemberRoleDocument, { userId: member.userId, role: 'OWNER' }, inRoles(admin));
      expect(toOwner.errors![0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'OWNER_REQUIRED' });
      const inviteOwner = await app.gql(
        InviteMemberDocument,
        { email: 'boss@roles.test', role: 'OWNER' },
        inRoles(admin),
      );
      expect(inviteOwner.errors![0].extensions.reason).toBe('OWNER_REQUIRED');
      const removeOwner = await app.gql(RemoveMemberDocument, { userId: owner.userId }, inRoles(admin));
      expect(removeOwner.errors![0].extensions.reason).toBe('OWNER_REQUIRED');
      const unknown = await app.gql(
        RemoveMemberDocument,
        { userId: '00000000-0000-4000-8000-000000000000' },
        inRoles(admin),
      );
      expect(unknown.errors![0].extensions.code).toBe('NOT_FOUND');

      expect((await app.gql(RemoveMemberDocument, { userId: viewer.userId }, inRoles(admin))).data!.removeMember).toBe(
        true,
      );
      const gone = await app.gql(CustomersDocument, {}, inRoles(viewer));
      expect(gone.errors![0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'NOT_A_MEMBER' });
    });
  });

  it('the last OWNER cannot be demoted, removed or leave (CONFLICT); with a second OWNER they can', async () => {
    const owner = await signUp(app, 'lena@last.test', 'Last Owner Ltd');
    const partner = await signUp(app, 'pat@last.test', 'Pat Co');
    await addMember(app, owner, partner, 'MEMBER');

    const demote = await app.gql(UpdateMemberRoleDocument, { userId: owner.userId, role: 'ADMIN' }, as(owner));
    expect(demote.errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'LAST_OWNER' });
    const remove = await app.gql(RemoveMemberDocument, { userId: owner.userId }, as(owner));
    expect(remove.errors![0].extensions.reason).toBe('LAST_OWNER');
    const leave = await app.gql(LeaveOrganizationDocument, {}, as(owner));
    expect(leave.errors![0].extensions.reason).toBe('LAST_OWNER');

    expect(
      (await app.gql(UpdateMemberRoleDocument, { userId: partner.userId, role: 'OWNER' }, as(owner))).errors,
    ).toBeUndefined();
    // Both demoting themselves at once: one wins, the other sees it and keeps the organization owned.
    const both = await Promise.all(
      [owner, partner].map((who) =>
        app.gql(UpdateMemberRoleDocument, { userId: who.userId, role: 'ADMIN' }, as(who, owner.tenant.slug)),
      ),
    );
    expect(both.filter((r) => r.errors?.[0].extensions.reason === 'LAST_OWNER')).toHaveLength(1);
    const [{ owners }] = await app.dataSource.query(
      `SELECT count(*)::int AS owners FROM public.memberships WHERE tenant_id = $1 AND role = 'OWNER'`,
      [owner.tenant.id],
    );
    expect(owners).toBe(1);

    const stillOwner = both.findIndex((r) => r.errors) === 0 ? owner : partner;
    const other = stillOwner === owner ? partner : owner;
    expect((await app.gql(LeaveOrganizationDocument, {}, as(other, owner.tenant.slug))).data!.leaveOrganization).toBe(
      true,
    );
    expect(
      (await app.gql(MembersDocument, {}, as(stillOwner, owner.tenant.slug))).data!.members.map((m) => m.userId),
    ).toEqual([stillOwner.userId]);
  });

  it('a user of organization A naming organization B gets FORBIDDEN and nothing is read or written in B', async () => {
    const alice = await signUp(app, 'alice@a.test', 'Org A');
    const bert = await signUp(app, 'bert@b.test', 'Org B');
    expect((await app.gql(CreateCustomerDocument, { input: { name: 'B secret' } }, as(bert))).errors).toBeUndefined();

    const read = await app.gql(CustomersDocument, {}, as(alice, bert.tenant.slug));
    expect(read.errors![0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'NOT_A_MEMBER' });
    expect(read.data).toBeNull();
    for (const org of [bert.tenant.slug, bert.tenant.id]) {
      const write = await app.gql(CreateCustomerDocument, { input: { name: 'Planted by A' } }, as(alice, org));
      expect(write.errors![0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'NOT_A_MEMBER' });
      const invite = await app.gql(InviteMemberDocument, { email: 'spy@a.test', role: 'OWNER' }, as(alice, org));
      expect(invite.errors![0].extensions.code).toBe('FORBIDDEN');
    }
    const [{ schema_name: schema }] = await app.dataSource.query(
      'SELECT schema_name FROM public.tenants WHERE id = $1',
      [bert.tenant.id],
    );
    expect(await app.dataSource.query(`SELECT name FROM "${schema}".customers`)).toEqual([{ name: 'B secret' }]);
    const [{ invitations }] = await app.dataSource.query(
      'SELECT count(*)::int AS invitations FROM public.invitations WHERE tenant_id = $1',
      [bert.tenant.id],
    );
    expect(invitations).toBe(0);
  });
});
