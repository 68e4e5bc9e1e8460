import { signUp, TEST_PASSWORD } from '../support/accounts';
import { startTestApp, type TestApp } from '../support/test-app';
import { capturedLogger, type LogLine } from './hostile-http';

const loginMutation = 'mutation Login($input: LoginInput!) { login(input: $input) { accessToken } }';

async function post(app: TestApp, body: object, headers: Record<string, string> = {}) {
  const res = await fetch(`${app.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), requestId: res.headers.get('x-request-id'), body: (await res.json()) as { data?: unknown; errors?: { extensions: Record<string, unknown> }[] } };
}

describe('rate-limited operations answer HTTP 429 with Retry-After', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ LOGIN_MAX_FAILURES: '2', LOGIN_MAX_FAILURES_PER_IP: '100' });
  });
  afterAll(() => app?.close());

  it('a throttled login is 429 with Retry-After; other refused logins stay 200', async () => {
    const account = await signUp(app, 'throttled@example.com', 'Throttled Co');
    const wrong = { query: loginMutation, variables: { input: { email: account.email, password: 'not the password' } } };
    for (let i = 0; i < 2; i++) {
      const refused = await post(app, wrong);
      expect([refused.status, refused.retryAfter, refused.body.errors?.[0].extensions.code]).toEqual([200, null, 'UNAUTHENTICATED']);
    }

    const locked = await post(app, { query: loginMutation, variables: { input: { email: account.email, password: TEST_PASSWORD } } });
    expect(locked.status).toBe(429);
    expect(locked.body.errors?.[0].extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfter: expect.any(Number) });
    expect(Number(locked.retryAfter)).toBeGreaterThanOrEqual(Number(locked.body.errors?.[0].extensions.retryAfter));

  });
});

describe('request logging: every line inside a request carries its request id, principal, tenant and operation', () => {
  const { logger, lines } = capturedLogger();
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({}, { logger });
  });
  afterAll(() => app?.close());

  const linesOf = (requestId: string | null) => lines.filter((l) => l.requestId === requestId);

  it('the "unhandled error" line carries them, and the request line of an INTERNAL_SERVER_ERROR answer is an error', async () => {
    const account = await signUp(app, 'logged@example.com', 'Logged Co');
    const [{ schema_name: schema }] = await app.dataSource.query('SELECT schema_name FROM public.tenants WHERE id = $1', [account.tenant.id]);
    await app.dataSource.query(`DROP TABLE "${schema}".customers CASCADE`); // our fault, on purpose
    const res = await post(
      app,
      { query: 'query Broken { customers(first: 5) { edges { node { id } } } }' },
      { authorization: `Bearer ${account.token}`, 'x-organization-id': account.tenant.slug },
    );
    expect(res.status).toBe(200);
    expect(res.body.errors?.[0].extensions.code).toBe('INTERNAL_SERVER_ERROR');

    const mine = linesOf(res.requestId);
    const unhandled = mine.find((l) => l.msg === 'unhandled error');
    const context = { requestId: res.requestId, principal: `user:${account.userId}`, tenantId: account.tenant.id, operationName: 'Broken' };
    expect(unhandled).toMatchObject({ level: 50, ...context });
    expect(mine.find((l: LogLine) => l.msg === 'POST /graphql 200')).toMatchObject({ level: 50, outcome: 'INTERNAL_SERVER_ERROR', ...context });
  });

  it('errors answered by the HTTP edge (final error handler, unknown routes) are logged with the request id', async () => {
    const gzipLie = await fetch(`${app.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: '{}' });
    expect(gzipLie.status).toBe(400);
    expect(await gzipLie.json()).toEqual({ errors: [{ message: 'The body does not match its Content-Encoding', extensions: { code: 'BAD_USER_INPUT', reason: 'MALFORMED_ENCODING' } }] });
    const refused = linesOf(gzipLie.headers.get('x-request-id'));
    expect(refused.find((l) => l.msg === 'request refused')).toMatchObject({ level: 40, reason: 'MALFORMED_ENCODING' });
    expect(refused.find((l) => l.msg === 'POST /graphql 400')).toMatchObject({ level: 40, outcome: 'BAD_USER_INPUT' });

    const unknown = await fetch(`${app.url}/quotes/%E0%A4%A/pdf`);
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { errors: { extensions: object }[] }).errors[0].extensions).toEqual({ code: 'BAD_USER_INPUT', reason: 'MALFORMED_URL' });
    expect(linesOf(unknown.headers.get('x-request-id'))[0]).toMatchObject({ level: 40 });
  });

  it('lines written outside any request carry no request id', () => {
    logger.info('outside');
    expect(lines.at(-1)).not.toHaveProperty('requestId');
  });
});
