import { startTestApp, TEST_ADMIN_SECRET, type TestApp } from '../../test/support/test-app';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const post = async (app: TestApp, body: string, headers: Record<string, string> = {}) => {
  const res = await fetch(`${app.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-admin-secret': TEST_ADMIN_SECRET, ...headers },
    body,
  });
  return { status: res.status, json: () => res.json() as Promise<Json> };
};

describe('HTTP edge: every bad request gets a documented code, never a 500', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ MAX_REQUEST_SIZE: '2kb', GRAPHQL_MAX_DEPTH: '3', GRAPHQL_MAX_ALIASES: '5' });
  });
  afterAll(() => app.close());

  it('malformed JSON → 400 BAD_USER_INPUT', async () => {
    const res = await post(app, '{"query": ');
    expect(res.status).toBe(400);
    expect((await res.json()).errors[0].extensions).toEqual({ code: 'BAD_USER_INPUT', reason: 'MALFORMED_JSON' });
  });

  it('oversize body → 413 BAD_USER_INPUT', async () => {
    const res = await post(app, JSON.stringify({ query: `{ tenants { id } } #${'x'.repeat(4096)}` }));
    expect(res.status).toBe(413);
    expect((await res.json()).errors[0].extensions).toEqual({ code: 'BAD_USER_INPUT', reason: 'PAYLOAD_TOO_LARGE' });
  });

  it('too deep a query → 400 BAD_USER_INPUT', async () => {
    const res = await post(app, JSON.stringify({ query: '{ customers { edges { node { id } } } }' }));
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.errors[0].extensions).toEqual({ code: 'BAD_USER_INPUT', reason: 'QUERY_TOO_DEEP' });
    expect(body.errors[0].message).toBe('The query is nested deeper than the depth limit of 3');
  });

  it('too many aliases → 400 BAD_USER_INPUT', async () => {
    const aliases = Array.from({ length: 10 }, (_, i) => `a${i}: tenants { id }`).join(' ');
    const res = await post(app, JSON.stringify({ query: `{ ${aliases} }` }));
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.errors[0].extensions).toEqual({ code: 'BAD_USER_INPUT', reason: 'TOO_MANY_ALIASES' });
    expect(body.errors[0].message).not.toMatch(/syntax/i);
  });

  it('syntax error and unknown field → 400 BAD_USER_INPUT with the reason', async () => {
    const syntax = await post(app, JSON.stringify({ query: '{ tenants { id ' }));
    expect(syntax.status).toBe(400);
    expect((await syntax.json()).errors[0].extensions).toEqual({
      code: 'BAD_USER_INPUT',
      reason: 'GRAPHQL_PARSE_FAILED',
    });
    const unknown = await post(app, JSON.stringify({ query: '{ nope }' }));
    expect(unknown.status).toBe(400);
    expect((await unknown.json()).errors[0].extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      reason: 'GRAPHQL_VALIDATION_FAILED',
    });
  });

  it('wrong admin secret → 401 UNAUTHENTICATED', async () => {
    const res = await post(app, JSON.stringify({ query: '{ tenants { id } }' }), { 'x-admin-secret': 'wrong' });
    expect(res.status).toBe(401);
    expect((await res.json()).errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('admin operations without credentials → UNAUTHENTICATED', async () => {
    const res = await fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ tenants { id } }' }),
    });
    expect(((await res.json()) as Json).errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('bad slug → BAD_USER_INPUT with the failing constraint, nothing created', async () => {
    const res = await post(
      app,
      JSON.stringify({
        query: 'mutation { createTenant(input: {name: "x", slug: "\\"; drop schema public"}) { id } }',
      }),
    );
    const body = await res.json();
    expect(body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(body.errors[0].extensions.validationErrors[0].property).toBe('slug');
    const [{ count }] = await app.dataSource.query('SELECT count(*)::int AS count FROM public.tenants');
    expect(count).toBe(0);
  });

  it('blocks a simple cross-site GET (CSRF prevention) with 400', async () => {
    const res = await fetch(`${app.url}/graphql?query=${encodeURIComponent('{ tenants { id } }')}`);
    expect(res.status).toBe(400);
  });

  it('serves the Apollo Sandbox landing page in development', async () => {
    const landing = await fetch(`${app.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(landing.headers.get('content-type')).toMatch(/text\/html/);
    expect(await landing.text()).toMatch(/sandbox/i);
  });

  it('/health and /ready report the parts', async () => {
    const health = await fetch(`${app.url}/health`);
    expect(health.status).toBe(200);
    expect((await health.json()) as Json).toMatchObject({
      status: 'healthy',
      database: 'connected',
      version: expect.any(String),
      uptime: expect.any(Number),
    });
    const ready = await fetch(`${app.url}/ready`);
    expect(ready.status).toBe(200);
  });
});

describe('HTTP in production mode', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({
      NODE_ENV: 'production',
      JWT_SECRET_KEY: 'p'.repeat(48),
      ENCRYPTION_KEY: 'a'.repeat(64),
    });
  });
  afterAll(() => app.close());

  it('has no landing page and no introspection', async () => {
    const res = await post(app, JSON.stringify({ query: '{ __schema { queryType { name } } }' }));
    expect((await res.json()).errors[0].extensions.code).toBe('BAD_USER_INPUT');
    const landing = await fetch(`${app.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(landing.headers.get('content-type')).not.toMatch(/text\/html/);
  });

  it('masks internal errors: no message details, no stack trace', async () => {
    await app.dataSource.query('DROP TABLE public.tenant_migrations'); // break provisioning on purpose
    const res = await post(
      app,
      JSON.stringify({ query: 'mutation { createTenant(input: {name: "x", slug: "will-fail"}) { id } }' }),
    );
    const body = await res.json();
    expect(body.errors[0].extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR', reason: 'PROVISIONING_FAILED' });
    expect(JSON.stringify(body)).not.toMatch(/tenant_migrations|stacktrace|at /);
  });
});
