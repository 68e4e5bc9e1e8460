import {
  BusinessHoursDocument,
  TenantSettingsDocument,
  UpdateBusinessHoursDocument,
  UpdatePaymentTermsDocument,
  UpdateTenantSettingsDocument,
  type BusinessHoursInput,
  type UpdateTenantSettingsInput,
} from '../../../test/generated/graphql';
import { addMember, signUp, type TestAccount } from '../../../test/support/accounts';
import { nullRefused, refusal } from '../../../test/support/input-errors';
import { startTestApp, type TestApp } from '../../../test/support/test-app';

describe('tenant settings (HTTP, real PostgreSQL)', () => {
  let app: TestApp;
  let owner: TestAccount;

  beforeAll(async () => {
    app = await startTestApp({ AUTH_RATE_LIMIT_PER_HOUR: '1000' });
    owner = await signUp(app, 'sita@himal.test', 'Himal Traders');
  });
  afterAll(() => app.close());

  const asOwner = () => ({ bearer: owner.token, org: owner.tenant.slug });
  const read = async () => (await app.gql(TenantSettingsDocument, {}, asOwner())).data!.tenantSettings;
  const update = (input: UpdateTenantSettingsInput, options = asOwner()) =>
    app.gql(UpdateTenantSettingsDocument, { input }, options);
  const hours = async () => (await app.gql(BusinessHoursDocument, {}, asOwner())).data!.tenantSettings.businessHours;

  it('starts with defaults and stores a complete, normalised business profile', async () => {
    expect(await read()).toMatchObject({
      legalName: null,
      address: null,
      phone: null,
      timezone: 'UTC',
      currency: 'USD',
      locale: 'en',
      logoUrl: null,
      supportEmail: null,
    });
    const res = await update({
      legalName: '  Himal Traders Pvt. Ltd. ',
      address: 'Thamel, Kathmandu 44600\nNepal',
      phone: '+977 1 4412345',
      timezone: 'Asia/Kathmandu',
      currency: 'npr',
      locale: 'ne-np',
      logoUrl: 'https://cdn.himal.test/logo.png',
      supportEmail: 'help@himal.test',
    });
    expect(res.errors).toBeUndefined();
    expect(res.data!.updateTenantSettings).toEqual({
      legalName: 'Himal Traders Pvt. Ltd.',
      address: 'Thamel, Kathmandu 44600\nNepal',
      phone: '+977 1 4412345',
      timezone: 'Asia/Kathmandu',
      currency: 'NPR',
      locale: 'ne-NP',
      logoUrl: 'https://cdn.himal.test/logo.png',
      supportEmail: 'help@himal.test',
    });
    // Only the fields given change; null clears an optional one.
    expect((await update({ logoUrl: null })).data!.updateTenantSettings).toMatchObject({
      logoUrl: null,
      currency: 'NPR',
      legalName: 'Himal Traders Pvt. Ltd.',
    });
  });

  it.each<[string, UpdateTenantSettingsInput, string]>([
    ['an unknown time zone', { timezone: 'Mars/Olympus' }, 'timezone'],
    ['a UTC offset instead of a zone', { timezone: '+05:45' }, 'timezone'],
    ['an unknown currency', { currency: 'EURO' }, 'currency'],
    ['a malformed locale', { locale: 'not a locale' }, 'locale'],
    ['a non-https logo URL', { logoUrl: 'javascript:alert(1)' }, 'logoUrl'],
    ['a plain-http logo URL', { logoUrl: 'http://cdn.example.test/logo.png' }, 'logoUrl'],
    ['a bad support email', { supportEmail: 'help at example' }, 'supportEmail'],
    ['a phone without country code', { phone: '4412345' }, 'phone'],
    ['a blank legal name', { legalName: '   ' }, 'legalName'],
  ])('rejects %s with BAD_USER_INPUT and changes nothing', async (_case, input, property) => {
    const before = await read();
    const res = await update({ legalName: 'Changed Ltd', ...input });
    expect(res.errors![0].extensions.code).toBe('BAD_USER_INPUT');
    expect(res.errors![0].extensions.validationErrors).toEqual([expect.objectContaining({ property })]);
    expect(await read()).toEqual(before);
  });

  it.each(['timezone', 'currency', 'locale'])('refuses to clear the %s, changing nothing', async (property) => {
    const before = await read();
    expect(refusal(await update({ legalName: 'Changed Ltd', [property]: null }))).toMatchObject(nullRefused(property));
    expect(await read()).toEqual(before);
  });

  it('has business hours Monday to Friday 09:00-17:00 by default, replaced whole and stored in week order', async () => {
    const nineToFive = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY'].map((day) => ({
      day,
      opens: '09:00',
      closes: '17:00',
    }));
    expect(await hours()).toEqual(nineToFive);
    const res = await app.gql(
      UpdateBusinessHoursDocument,
      {
        input: {
          businessHours: [
            { day: 'SATURDAY', opens: '10:00', closes: '24:00' },
            { day: 'MONDAY', opens: '13:00', closes: '18:00' },
            { day: 'MONDAY', opens: '08:00', closes: '12:00' },
          ],
        },
      },
      asOwner(),
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.updateTenantSettings.businessHours).toEqual([
      { day: 'MONDAY', opens: '08:00', closes: '12:00' },
      { day: 'MONDAY', opens: '13:00', closes: '18:00' },
      { day: 'SATURDAY', opens: '10:00', closes: '24:00' },
    ]);
    expect((await update({ currency: 'NPR' })).errors).toBeUndefined(); // other fields leave them alone
    expect(await hours()).toHaveLength(3);
  });

  it.each<[string, BusinessHoursInput[] | null, string]>([
    ['closing before opening', [{ day: 'MONDAY', opens: '17:00', closes: '09:00' }], 'INVALID_BUSINESS_HOURS'],
    ['an empty opening', [{ day: 'MONDAY', opens: '09:00', closes: '09:00' }], 'INVALID_BUSINESS_HOURS'],
    [
      'overlapping openings',
      [
        { day: 'TUESDAY', opens: '09:00', closes: '13:00' },
        { day: 'TUESDAY', opens: '12:00', closes: '17:00' },
      ],
      'INVALID_BUSINESS_HOURS',
    ],
    ['under an hour a week', [{ day: 'MONDAY', opens: '09:00', closes: '09:59' }], 'INVALID_BUSINESS_HOURS'],
    ['no openings at all', [], 'VALIDATION'],
    ['a time without leading zero', [{ day: 'MONDAY', opens: '9:00', closes: '17:00' }], 'VALIDATION'],
    ['opening at 24:00', [{ day: 'MONDAY', opens: '24:00', closes: '24:00' }], 'VALIDATION'],
    ['clearing them', null, 'NULL_NOT_ALLOWED'],
  ])('refuses %s with BAD_USER_INPUT and keeps the hours', async (_case, businessHours, reason) => {
    const before = await hours();
    const res = await app.gql(UpdateBusinessHoursDocument, { input: { businessHours } }, asOwner());
    expect(res.errors![0].extensions.code).toBe('BAD_USER_INPUT');
    if (reason === 'VALIDATION')
      expect(res.errors![0].extensions.validationErrors).toEqual([
        expect.objectContaining({ property: 'businessHours' }),
      ]);
    else if (reason === 'NULL_NOT_ALLOWED') expect(refusal(res)).toMatchObject(nullRefused('businessHours'));
    else expect(res.errors![0].extensions).toMatchObject({ reason, field: 'businessHours' });
    expect(await hours()).toEqual(before);
  });

  it('has payment terms of 30 days by default, from 0 to 365; out of range or cleared is refused and changes nothing', async () => {
    const terms = (paymentTermsDays: number | null) =>
      app.gql(UpdatePaymentTermsDocument, { input: { paymentTermsDays } }, asOwner());
    expect((await read()).paymentTermsDays).toBe(30);
    expect((await terms(0)).data!.updateTenantSettings.paymentTermsDays).toBe(0);
    expect((await terms(365)).data!.updateTenantSettings).toEqual({ paymentTermsDays: 365, currency: 'NPR' });
    expect((await update({ currency: 'NPR' })).errors).toBeUndefined(); // other fields leave them alone
    expect((await read()).paymentTermsDays).toBe(365);
    for (const outOfRange of [-1, 366]) {
      const res = await terms(outOfRange);
      expect(res.errors![0].extensions.code).toBe('BAD_USER_INPUT');
      expect(res.errors![0].extensions.validationErrors).toEqual([
        expect.objectContaining({ property: 'paymentTermsDays' }),
      ]);
    }
    expect(refusal(await terms(null))).toMatchObject(nullRefused('paymentTermsDays'));
    expect((await read()).paymentTermsDays).toBe(365);
  });

  it('members read the profile; only ADMIN and OWNER change it', async () => {
    const member = await signUp(app, 'ram@himal.test', 'Ram Co');
    await addMember(app, owner, member, 'MEMBER');
    const asMember = { bearer: member.token, org: owner.tenant.slug };
    expect((await app.gql(TenantSettingsDocument, {}, asMember)).data!.tenantSettings.currency).toBe('NPR');
    const refused = await update({ currency: 'EUR' }, asMember);
    expect(refused.errors![0].extensions).toMatchObject({
      code: 'FORBIDDEN',
      reason: 'INSUFFICIENT_ROLE',
      requiredRole: 'ADMIN',
    });
    expect((await read()).currency).toBe('NPR');
  });
});
