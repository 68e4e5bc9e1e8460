import {
  ApiKeysDocument,
  CreateApiKeyDocument,
  CreateCustomerDocument,
  CurrentTenantDocument,
  CustomersDocument,
  MeDocument,
  RevokeApiKeyDocument,
} from '../../../test/generated/graphql';
import { apiKeyScopes } from '../../app/permissions';
import { signUp, type TestAccount } from '../../../test/support/accounts';
import { blankRefused, refusal } from '../../../test/support/input-errors';
import { startTestApp, type TestApp } from '../../../test/support/test-app';
import { sleep, waitFor } from '../../../test/faults/dedicated-postgres';

describe('API keys (HTTP, real PostgreSQL)', () => {
  let app: TestApp;
  let owner: TestAccount;

  beforeAll(async () => {
    app = await startTestApp({ AUTH_RATE_LIMIT_PER_HOUR: '1000' });
    owner = await signUp(app, 'kim@keys.test', 'Key Holders');
  });
  afterAll(() => app.close());

  const createKey = async (scopes: string[], account = owner, name = 'integration') => {
    const res = await app.gql(
      CreateApiKeyDocument,
      { input: { name, scopes } },
      { bearer: account.token, org: account.tenant.slug },
    );
    expect(res.errors).toBeUndefined();
    return res.data!.createApiKey;
  };
  const withBearer = (secret: string, org?: string) => ({
    admin: false,
    org,
    headers: { authorization: `Bearer ${secret}` },
  });
  const withHeader = (secret: string, org?: string) => ({ admin: false, org, headers: { 'x-api-key': secret } });

  it('is a plan feature: FREE organizations get PLAN_UPGRADE_REQUIRED and no key', async () => {
    const free = await signUp(app, 'fay@keys.test', 'Free Riders');
    await app.dataSource.transaction((em) => app.services.plans.cancelToFree(em, free.tenant.id));
    const res = await app.gql(
      CreateApiKeyDocument,
      { input: { name: 'x', scopes: ['customers:read'] } },
      { bearer: free.token, org: free.tenant.slug },
    );
    expect(res.errors![0].extensions).toMatchObject({
      code: 'PLAN_UPGRADE_REQUIRED',
      feature: 'api_access',
      requiredPlan: 'STARTER',
    });
    const [{ count }] = await app.dataSource.query(
      'SELECT count(*)::int AS count FROM public.api_keys WHERE tenant_id = $1',
      [free.tenant.id],
    );
    expect(count).toBe(0);
  });

  it('is shown once, stored hashed, and acts for its own organization within its scopes (Bearer or X-API-Key)', async () => {
    const { secret, apiKey } = await createKey(['customers:read']);
    expect(secret).toMatch(/^tq_test_[0-9A-Za-z]{36}$/);
    expect(apiKey).toMatchObject({
      name: 'integration',
      scopes: ['customers:read'],
      prefix: secret.slice(0, 14),
      revokedAt: null,
    });
    const [stored] = await app.dataSource.query(
      `SELECT encode(secret_hash, 'hex') AS hash FROM public.api_keys WHERE id = $1`,
      [apiKey.id],
    );
    expect(stored.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(await app.dataSource.query('SELECT * FROM public.api_keys'))).not.toContain(secret.slice(14));
    expect(
      JSON.stringify((await app.gql(ApiKeysDocument, {}, { bearer: owner.token, org: owner.tenant.slug })).data),
    ).not.toContain(secret);

    // No X-Organization-ID: the key's own organization; naming it explicitly works too.
    for (const options of [withBearer(secret), withHeader(secret), withHeader(secret, owner.tenant.slug)]) {
      const res = await app.gql(CustomersDocument, {}, options);
      expect(res.errors).toBeUndefined();
      expect(res.data!.customers.totalCount).toBe(0);
    }
    expect((await app.gql(CurrentTenantDocument, {}, withHeader(secret))).data!.tenant.id).toBe(owner.tenant.id);

    const write = await app.gql(CreateCustomerDocument, { input: { name: 'Not allowed' } }, withBearer(secret));
    expect(write.errors![0].extensions).toMatchObject({
      code: 'FORBIDDEN',
      reason: 'MISSING_SCOPE',
      requiredScope: 'customers:write',
    });

    const writer = await createKey(['customers:write'], owner, 'writer');
    expect(
      (await app.gql(CreateCustomerDocument, { input: { name: 'From the integration' } }, withHeader(writer.secret)))
        .errors,
    ).toBeUndefined();
    expect((await app.gql(CustomersDocument, {}, withHeader(writer.secret))).data!.customers.totalCount).toBe(1);

    // Keys are not people: no account, no key management.
    expect((await app.gql(MeDocument, {}, withHeader(secret))).errors![0].extensions).toMatchObject({
      code: 'FORBIDDEN',
      reason: 'USER_REQUIRED',
    });
    const mint = await app.gql(
      CreateApiKeyDocument,
      { input: { name: 'x', scopes: ['customers:read'] } },
      withHeader(writer.secret),
    );
    expect(mint.errors![0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'API_KEY_NOT_ALLOWED' });
  });

  it("a key of organization A cannot read or write organization B, even with B's X-Organization-ID", async () => {
    const other = await signUp(app, 'bea@other.test', 'Other Business');
    expect(
      (
        await app.gql(
          CreateCustomerDocument,
          { input: { name: 'B only' } },
          { bearer: other.token, org: other.tenant.slug },
        )
      ).errors,
    ).toBeUndefined();
    const { secret } = await createKey(['customers:write']);
    for (const org of [other.tenant.slug, other.tenant.id]) {
      const read = await app.gql(CustomersDocument, {}, withHeader(secret, org));
      expect(read.errors![0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'API_KEY_OTHER_ORGANIZATION' });
      expect(read.data).toBeNull();
      const write = await app.gql(CreateCustomerDocument, { input: { name: 'Planted' } }, withBearer(secret, org));
      expect(write.errors![0].extensions.code).toBe('FORBIDDEN');
    }
    const [{ schema_name: schema }] = await app.dataSource.query(
      'SELECT schema_name FROM public.tenants WHERE id = $1',
      [other.tenant.id],
    );
    expect(await app.dataSource.query(`SELECT name FROM "${schema}".customers`)).toEqual([{ name: 'B only' }]);
  });

  it('rejects a bad checksum before any database lookup; unknown and expired keys after it', async () => {
    const { secret, apiKey } = await createKey(['customers:read']);
    const tampered = secret.slice(0, 20) + (secret[20] === 'x' ? 'y' : 'x') + secret.slice(21);
    const lookups = jest.spyOn(app.dataSource, 'query');
    const apiKeyLookups = () =>
      lookups.mock.calls.filter(([sql]) => String(sql).includes('FROM public.api_keys')).length;
    try {
      for (const options of [withBearer(tampered), withHeader(tampered), withHeader('tq_live_short')]) {
        const res = await app.gql(CustomersDocument, {}, options);
        expect(res.status).toBe(401);
        expect(res.errors![0].extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'INVALID_API_KEY' });
      }
      expect(apiKeyLookups()).toBe(0);
      // The control: a well-formed key is looked up.
      expect((await app.gql(CustomersDocument, {}, withHeader(secret))).errors).toBeUndefined();
      expect(apiKeyLookups()).toBe(1);
    } finally {
      lookups.mockRestore();
    }
    expect(apiKey.id).toBeDefined();
  });

  it('refuses an expiring key once it expires, though it is cached', async () => {
    const res = await app.gql(
      CreateApiKeyDocument,
      {
        input: {
          name: 'short-lived',
          scopes: ['customers:read'],
          expiresAt: new Date(Date.now() + 1_000).toISOString(),
        },
      },
      { bearer: owner.token, org: owner.tenant.slug },
    );
    const { secret } = res.data!.createApiKey;
    expect((await app.gql(CustomersDocument, {}, withHeader(secret))).errors).toBeUndefined();
    await sleep(1_100);
    const expired = await app.gql(CustomersDocument, {}, withHeader(secret));
    expect(expired.errors![0].extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'API_KEY_EXPIRED' });
  });

  it('validates what it is created with', async () => {
    const create = (input: { name: string; scopes: string[]; expiresAt?: string }) =>
      app.gql(CreateApiKeyDocument, { input }, { bearer: owner.token, org: owner.tenant.slug });
    const unknown = await create({ name: 'x', scopes: ['customers:read', 'everything:*'] });
    expect(unknown.errors![0].extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      reason: 'UNKNOWN_SCOPE',
      allowedScopes: apiKeyScopes,
    });
    const past = await create({
      name: 'x',
      scopes: ['customers:read'],
      expiresAt: new Date(Date.now() - 1000).toISOString(),
    });
    expect(past.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'EXPIRY_IN_PAST' });
    const none = await create({ name: 'x', scopes: [] });
    expect(none.errors![0].extensions.code).toBe('BAD_USER_INPUT');
    const blank = await create({ name: '  ', scopes: ['customers:read'] });
    expect(refusal(blank)).toMatchObject(blankRefused('name'));
    const beyond = await create({ name: 'far', scopes: ['customers:read'], expiresAt: '+010000-01-01T00:00:00.000Z' });
    expect(refusal(beyond)?.code).toBe('BAD_USER_INPUT');
    const tooFar = await create({ name: 'far', scopes: ['customers:read'], expiresAt: '1899-01-01T00:00:00.000Z' });
    expect(refusal(tooFar)?.code).toBe('BAD_USER_INPUT');
    expect(tooFar.errors![0].message).toContain('years 1900 to 9999');
    const named = "SELECT count(*)::int AS written FROM public.api_keys WHERE name IN ('far', '  ')";
    const [{ written }] = await app.dataSource.query(named);
    expect(written).toBe(0);
    const future = await create({ name: 'dated', scopes: ['customers:read'], expiresAt: '2099-01-01T00:00:00.000Z' });
    expect(future.data!.createApiKey.apiKey.expiresAt).toBe('2099-01-01T00:00:00.000Z');
  });

  it('tracks lastUsedAt in memory and writes it in one batch, not once per request', async () => {
    const { secret, apiKey } = await createKey(['customers:read']);
    const storedLastUse = async () =>
      (await app.dataSource.query('SELECT last_used_at FROM public.api_keys WHERE id = $1', [apiKey.id]))[0]
        .last_used_at;
    const writes = jest.spyOn(app.dataSource, 'query');
    const usageWrites = () => writes.mock.calls.filter(([sql]) => String(sql).includes('SET last_used_at')).length;
    try {
      for (let i = 0; i < 5; i++)
        expect((await app.gql(CustomersDocument, {}, withHeader(secret))).errors).toBeUndefined();
      expect(usageWrites()).toBe(0);
      expect(await storedLastUse()).toBeNull();
      // Listings already show this process's unwritten use.
      const listed = (
        await app.gql(ApiKeysDocument, {}, { bearer: owner.token, org: owner.tenant.slug })
      ).data!.apiKeys.find((k) => k.id === apiKey.id)!;
      expect(listed.lastUsedAt).not.toBeNull();
      await app.services.apiKeys.flushUsage();
      expect(usageWrites()).toBe(1);
    } finally {
      writes.mockRestore();
    }
    expect(await storedLastUse()).toBeInstanceOf(Date);
  });

  describe('with a second API process on the same database', () => {
    let other: TestApp;
    beforeAll(async () => {
      other = await startTestApp({ DATABASE_URL: app.databaseUrl });
    });
    afterAll(() => other.close());

    it('a new key works at once everywhere; once cached, each process uses it without a lookup', async () => {
      const { secret } = await createKey(['customers:read']);
      for (const server of [app, other])
        expect((await server.gql(CustomersDocument, {}, withBearer(secret))).errors).toBeUndefined();
      const lookups = jest.spyOn(other.dataSource, 'query');
      try {
        for (let i = 0; i < 3; i++)
          expect((await other.gql(CustomersDocument, {}, withBearer(secret))).errors).toBeUndefined();
        expect(lookups.mock.calls.filter(([sql]) => String(sql).includes('FROM public.api_keys'))).toEqual([]);
      } finally {
        lookups.mockRestore();
      }
    });

    it('revoking a key rejects it at once in the process that revoked it, within 1 s in one that had it cached', async () => {
      const { secret, apiKey } = await createKey(['customers:read']);
      for (const server of [app, other])
        expect((await server.gql(CustomersDocument, {}, withBearer(secret))).errors).toBeUndefined();

      const revoked = await app.gql(
        RevokeApiKeyDocument,
        { id: apiKey.id },
        { bearer: owner.token, org: owner.tenant.slug },
      );
      expect(revoked.data!.revokeApiKey.revokedAt).not.toBeNull();
      const started = Date.now();
      // The revocation reaches every process with the commit (NOTIFY): the first refused answer is the measure.
      const refusedBy = (server: TestApp) =>
        waitFor(
          'the revoked key refused',
          async () => {
            const res = await server.gql(CustomersDocument, {}, withBearer(secret));
            return res.status === 401 ? res : undefined;
          },
          1_000,
          10,
        );
      for (const server of [app, other]) {
        const res = await refusedBy(server);
        expect(res.errors![0].extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'API_KEY_REVOKED' });
      }
      expect(Date.now() - started).toBeLessThan(1_000);
    });
  });
});
