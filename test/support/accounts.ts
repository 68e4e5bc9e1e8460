import {
  AcceptInvitationDocument,
  InviteMemberDocument,
  RegisterDocument,
  type MemberRole,
} from '../generated/graphql';
import { tokenFromLink, type ReceivedMail } from './smtp-test-server';
import type { TestApp } from './test-app';

export const TEST_PASSWORD = 'a perfectly fine passphrase';

export interface TestAccount {
  email: string;
  userId: string;
  /** Access token for `bearer`. */
  token: string;
  /** The organization created at sign-up, which the account OWNs. */
  tenant: { id: string; slug: string };
}

function assertNoErrors(what: string, res: { errors?: unknown }): void {
  if (res.errors) throw new Error(`${what} failed: ${JSON.stringify(res.errors)}`);
}

/**
 * Signs up through the API (user + organization it owns). `verified` (default) confirms
 * the address directly in the database: for tests whose subject is not verification.
 */
export async function signUp(
  app: TestApp,
  email: string,
  businessName: string,
  options: { verified?: boolean } = {},
): Promise<TestAccount> {
  const input = { email, password: TEST_PASSWORD, firstName: email.split('@')[0], lastName: 'Tester', businessName };
  const res = await app.gql(RegisterDocument, { input }, { admin: false });
  assertNoErrors(`register ${email}`, res);
  const { accessToken, user, tenant } = res.data!.register;
  if (options.verified ?? true)
    await app.dataSource.query('UPDATE public.users SET email_verified_at = now() WHERE id = $1', [user.id]);
  return { email, userId: user.id, token: accessToken, tenant: { id: tenant!.id, slug: tenant!.slug } };
}

/** The accept-invitation token from the invitation mail in the outbox (what SMTP would carry). */
export async function invitationToken(app: TestApp, invitationId: string): Promise<string> {
  const [mail]: { subject: string; text: string }[] = await app.dataSource.query(
    'SELECT subject, text FROM public.email_outbox WHERE idempotency_key = $1',
    [`invitation:${invitationId}`],
  );
  return tokenFromLink(mail as ReceivedMail, '/accept-invitation');
}

/** `inviter` invites `invitee` to the inviter's organization with `role`, and `invitee` accepts. */
export async function addMember(
  app: TestApp,
  inviter: TestAccount,
  invitee: TestAccount,
  role: MemberRole,
): Promise<void> {
  const invited = await app.gql(
    InviteMemberDocument,
    { email: invitee.email, role },
    { bearer: inviter.token, org: inviter.tenant.slug },
  );
  assertNoErrors(`invite ${invitee.email}`, invited);
  const token = await invitationToken(app, invited.data!.inviteMember.id);
  assertNoErrors(
    `accept by ${invitee.email}`,
    await app.gql(AcceptInvitationDocument, { token }, { bearer: invitee.token }),
  );
}
