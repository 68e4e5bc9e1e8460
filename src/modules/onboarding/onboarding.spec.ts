import {
  CreateApiKeyDocument,
  InviteMemberDocument,
  MarkOnboardingStepDocument,
  OnboardingStatusDocument,
  RevokeApiKeyDocument,
  UpdateTenantSettingsDocument,
} from '../../../test/generated/graphql';
import { addMember, signUp, type TestAccount } from '../../../test/support/accounts';
import { startTestApp, type TestApp } from '../../../test/support/test-app';

describe('onboarding checklist (HTTP, real PostgreSQL)', () => {
  let app: TestApp;
  let owner: TestAccount;

  beforeAll(async () => {
    app = await startTestApp({ AUTH_RATE_LIMIT_PER_HOUR: '1000' });
    owner = await signUp(app, 'nina@onboard.test', 'Onboard Ltd');
  });
  afterAll(() => app.close());

  const asOwner = () => ({ bearer: owner.token, org: owner.tenant.slug });
  const status = async () => {
    const res = await app.gql(OnboardingStatusDocument, {}, asOwner());
    expect(res.errors).toBeUndefined();
    return res.data!.onboardingStatus;
  };
  const done = async () => Object.fromEntries((await status()).steps.map((s) => [s.key, s.completed]));
  const mark = (key: string) => app.gql(MarkOnboardingStepDocument, { key }, asOwner());

  it('steps follow real state: business profile, an invitation, an API key', async () => {
    const initial = await status();
    expect(initial).toMatchObject({ completed: false, completedAt: null, completionPercentage: 0 });
    expect(initial.steps.map((s) => [s.key, s.manual])).toEqual([
      ['business-profile', false],
      ['invite-team', false],
      ['create-api-key', false],
      ['add-payment-method', false], // follows billing (a saved card or a paid plan), can still be ticked by hand
      ['email-channel-configured', false], // follows the support mailbox
      ['whatsapp-configured', false],
      ['add-first-product', false], // follows the catalog
    ]);

    const profile = { legalName: 'Onboard Ltd', address: '1 Main Street', phone: '+44 20 7946 0958' };
    expect((await app.gql(UpdateTenantSettingsDocument, { input: profile }, asOwner())).errors).toBeUndefined();
    const afterProfile = await status();
    expect(afterProfile.steps[0]).toMatchObject({
      key: 'business-profile',
      completed: true,
      completedAt: expect.any(String),
    });
    expect(afterProfile.completionPercentage).toBe(14);
    // Real state: removing the phone makes the profile incomplete again.
    await app.gql(UpdateTenantSettingsDocument, { input: { phone: null } }, asOwner());
    expect((await done())['business-profile']).toBe(false);
    await app.gql(UpdateTenantSettingsDocument, { input: { phone: profile.phone } }, asOwner());

    expect(
      (await app.gql(InviteMemberDocument, { email: 'new@onboard.test', role: 'MEMBER' }, asOwner())).errors,
    ).toBeUndefined();
    const key = await app.gql(CreateApiKeyDocument, { input: { name: 'shop', scopes: ['customers:read'] } }, asOwner());
    // Creating the key counts, even once it is revoked.
    await app.gql(RevokeApiKeyDocument, { id: key.data!.createApiKey.apiKey.id }, asOwner());
    expect(await done()).toEqual({
      'business-profile': true,
      'invite-team': true,
      'create-api-key': true,
      'add-payment-method': false,
      'email-channel-configured': false,
      'whatsapp-configured': false,
      'add-first-product': false,
    });
    expect((await status()).completionPercentage).toBe(43);
  });

  it('steps are ticked by hand; all done completes onboarding, and completion sticks', async () => {
    const unknown = await mark('conquer-the-world');
    expect(unknown.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'UNKNOWN_STEP' });

    expect((await mark('add-payment-method')).data!.markOnboardingStep).toMatchObject({
      completed: false,
      completionPercentage: 57,
    });
    // Marking twice changes nothing.
    expect((await mark('add-payment-method')).data!.markOnboardingStep.completionPercentage).toBe(57);
    await mark('email-channel-configured');
    await mark('whatsapp-configured');
    const last = (await mark('add-first-product')).data!.markOnboardingStep;
    expect(last).toMatchObject({ completed: true, completionPercentage: 100 });

    const finished = await status();
    expect(finished.completedAt).not.toBeNull();
    // State that regresses later does not reopen onboarding.
    await app.gql(UpdateTenantSettingsDocument, { input: { address: null } }, asOwner());
    expect(await status()).toMatchObject({
      completed: true,
      completedAt: finished.completedAt,
      completionPercentage: 86,
    });
  });

  it('members see the checklist; only ADMIN and OWNER tick steps', async () => {
    const viewer = await signUp(app, 'vera@onboard.test', 'Vera Co');
    await addMember(app, owner, viewer, 'VIEWER');
    const options = { bearer: viewer.token, org: owner.tenant.slug };
    expect((await app.gql(OnboardingStatusDocument, {}, options)).data!.onboardingStatus.completed).toBe(true);
    const refused = await app.gql(MarkOnboardingStepDocument, { key: 'email-channel-configured' }, options);
    expect(refused.errors![0].extensions).toMatchObject({ code: 'FORBIDDEN', requiredRole: 'ADMIN' });
  });
});
