import { signUp, TEST_PASSWORD } from '../support/accounts';
import { startTestApp, type TestApp } from '../support/test-app';
import { capturedLogger, type LogLine } from './hostile-http';

const JSON_TYPE = { 'content-type': 'application/json' };
const loginMutation = 'mutation Login($input: LoginInput!) { login(input: $input) { accessToken } }';

async function post(app: TestApp, body: object, headers: Record<string, string> = {}) {
  const init = { method: 'POST', headers: { ...JSON_TYPE, ...headers }, body: JSON.stringify(body) };
  const res = await fetch(`${app.url}/graphql`, init);
  const json = (await res.json()) as { data?: unknown; errors?: { extensions: Record<string, unknown> }[] };
  const header = (name: string) => res.headers.get(name);
  return { status: res.status, retryAfter: header('retry-after'), requestId: header('x-request-id'), body: json };
}

describe('rate-limited operations answer HTTP 429 with Retry-After', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ LOGIN_MAX_FAILURES: '2', LOGIN_MAX_FAILURES_PER_IP: '100' });
  });
  afterAll(() => app?.close());

  it('a throttled login is 429 with Retry-After; other refused logins stay 200', async () => {
    const account = await signUp(app, 'throttled@example.com', 'Throttled Co');
    const login = (password: string) => ({
      query: loginMutation,
      variables: { input: { email: account.email, password } },
    });
    for (let i = 0; i < 2; i++) {
      const refused = await post(app, login('not the password'));
      const code = refused.body.errors?.[0].extensions.code;
      expect([refused.status, refused.retryAfter, code]).toEqual([200, null, 'UNAUTHENTICATED']);
    }

    const locked = await post(app, login(TEST_PASSWORD));
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

  it('the "unhandled error" line carries them; INTERNAL_SERVER_ERROR logs the request line at error', async () => {
    const account = await signUp(app, 'logged@example.com', 'Logged Co');
    const schemaOf = 'SELECT schema_name FROM public.tenants WHERE id = $1';
    const [{ schema_name: schema }] = await app.dataSource.query(schemaOf, [account.tenant.id]);
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
    const principal = `user:${account.userId}`;
    const context = { requestId: res.requestId, principal, tenantId: account.tenant.id, operationName: 'Broken' };
    expect(unhandled).toMatchObject({ level: 50, ...context });
    const requestLine = mine.find((l: LogLine) => l.msg === 'POST /graphql 200');
    expect(requestLine).toMatchObject({ level: 50, outcome: 'INTERNAL_SERVER_ERROR', ...context });
  });

  it('errors answered by the HTTP edge (final error handler, URL check) are logged with the request id', async () => {
    const headers = { 'content-type': 'application/json', 'content-encoding': 'gzip' };
    const gzipLie = await fetch(`${app.url}/graphql`, { method: 'POST', headers, body: '{}' });
    expect(gzipLie.status).toBe(400);
    const extensions = { code: 'BAD_USER_INPUT', reason: 'MALFORMED_ENCODING' };
    const message = 'The body does not match its Content-Encoding';
    expect(await gzipLie.json()).toEqual({ errors: [{ message, extensions }] });
    const refused = linesOf(gzipLie.headers.get('x-request-id'));
    expect(refused.find((l) => l.msg === 'request refused')).toMatchObject({ level: 40, reason: 'MALFORMED_ENCODING' });
    expect(refused.find((l) => l.msg === 'POST /graphql 400')).toMatchObject({ level: 40, outcome: 'BAD_USER_INPUT' });

    const unknown = await fetch(`${app.url}/quotes/%E0%A4%A/pdf`);
    expect(unknown.status).toBe(400);
    const { errors } = (await unknown.json()) as { errors: { extensions: object }[] };
    expect(errors[0].extensions).toEqual({ code: 'BAD_USER_INPUT', reason: 'MALFORMED_URL' });
    expect(linesOf(unknown.headers.get('x-request-id'))[0]).toMatchObject({ level: 40 });
  });

  it('lines written outside any request carry no request id', () => {
    logger.info('outside');
    expect(lines.at(-1)).not.toHaveProperty('requestId');
  });
});
