import { createHmac, randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import Stripe from 'stripe';
import { apiKeyScopes } from '../../src/app/permissions';
import { PlanCode } from '../../src/modules/plans';
import { WHATSAPP_WEBHOOK_PATH } from '../../src/modules/whatsapp-channel/whatsapp-channel.types';
import { signUp } from '../support/accounts';
import { FAKE_STRIPE_WEBHOOK_SECRET, startFakeStripe, type FakeStripe } from '../support/fake-stripe';
import { startTestApp, type TestApp } from '../support/test-app';
import { announceHugeBody, capturedLogger, eachLimited, faultsOf, send, unlogged, type Answer, type HttpCase } from './hostile-http';
import { loadSchema, schemaCases, type GraphQLCase, type IdPool } from './schema-cases';

/**
 * Hostile and careless input over real HTTP against a production-mode app: generated from the schema
 * (every String/ID argument and input field, every nullable input field, every cursor) and from the
 * app's REST routes. Fails on any 5xx, INTERNAL_SERVER_ERROR or undocumented code, non-JSON error
 * body, and any error without a log line carrying its request id.
 */

const MEGABYTE = 'x'.repeat(1_000_000);
const TEXT_VALUES = { NUL: 'a\u0000b', 'lone surrogate': 'a\uD800b', '1 MB': MEGABYTE, blank: '   ' };
const cursorOf = (date: string) => Buffer.from(JSON.stringify([date, randomUUID()])).toString('base64url');
const CURSORS = { 'year -10000': cursorOf('-010000-01-01T00:00:00.000Z'), 'year 275000': cursorOf('+275000-01-01T00:00:00.000Z'), 'year 0': cursorOf('0000-01-01T00:00:00.000Z') };
const WHATSAPP = { phoneNumberId: '4444444444', accessToken: 'EAAG-hostile', verifyToken: 'verify-token-of-the-hostile-org', appSecret: 'app-secret-of-the-hostile-org-0123' };
const stripeSigner = new Stripe('sk_test_signer').webhooks;
const signWhatsApp = (raw: string) => `sha256=${createHmac('sha256', WHATSAPP.appSecret).update(raw).digest('hex')}`;

type Principal = { name: string; headers: Record<string, string> };

describe('hostile input over HTTP, production mode: never a 5xx, always a documented JSON error, always logged', () => {
  const { logger, lines } = capturedLogger();
  let app: TestApp;
  let stripe: FakeStripe;
  let principals: Principal[];
  let ids: IdPool;
  const counts: Record<string, number> = {};

  /** Sends the cases, judges each answer and its log lines; returns what failed, `label: fault`. */
  async function judge<T>(category: string, cases: T[], run: (c: T) => Promise<{ label: string; answer: Answer; mustRefuse?: boolean }>) {
    const failures: string[] = [];
    const answered: { label: string; answer: Answer }[] = [];
    await eachLimited(cases, 6, async (c) => {
      const { label, answer, mustRefuse } = await run(c);
      answered.push({ label, answer });
      for (const fault of faultsOf(answer, mustRefuse)) failures.push(`${label}: ${fault}`);
    });
    await new Promise((resolve) => setTimeout(resolve, 50)); // request lines are written when each response finishes
    for (const { label, answer } of answered) {
      const missing = unlogged(answer, lines);
      if (missing) failures.push(`${label}: ${missing}`);
    }
    counts[category] = cases.length;
    return failures;
  }

  const gql = (principal: Principal, c: Pick<GraphQLCase, 'query' | 'variables'>) =>
    send(app.url, { label: '', method: 'POST', path: '/graphql', headers: { 'content-type': 'application/json', ...principal.headers }, body: JSON.stringify(c) });

  async function ownerCreates(owner: Principal, mutation: string, input: object): Promise<string> {
    const answer = await gql(owner, { query: `mutation($input: ${mutation[0].toUpperCase()}${mutation.slice(1)}Input!) { ${mutation}(input: $input) { id } }`, variables: { input } });
    const id = (answer.body as { data?: Record<string, { id: string }> }).data?.[mutation]?.id;
    if (!id) throw new Error(`${mutation} failed: ${answer.text}`);
    return id;
  }

  beforeAll(async () => {
    stripe = await startFakeStripe();
    app = await startTestApp(
      { NODE_ENV: 'production', JWT_SECRET_KEY: 'p'.repeat(48), ENCRYPTION_KEY: 'a'.repeat(64), MAX_REQUEST_SIZE: '2mb', ...stripe.env },
      { logger },
    );
    const account = await signUp(app, 'owner@hostile.example', 'Hostile Org');
    await app.dataSource.transaction((em) =>
      app.services.plans.activatePlan(em, account.tenant.id, PlanCode.PROFESSIONAL, { periodStart: new Date(), periodEnd: new Date(Date.now() + 30 * 86_400_000) }),
    );
    const owner = { name: 'owner', headers: { authorization: `Bearer ${account.token}`, 'x-organization-id': account.tenant.slug } };
    const key = await gql(owner, { query: 'mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }', variables: { input: { name: 'hostile', scopes: apiKeyScopes } } });
    const secret = (key.body as { data: { createApiKey: { secret: string } } }).data.createApiKey.secret;
    principals = [owner, { name: 'api key', headers: { authorization: `Bearer ${secret}` } }, { name: 'anonymous', headers: {} }];

    const customer = await ownerCreates(owner, 'createCustomer', { name: 'Ada', email: 'ada@example.com' });
    const product = await ownerCreates(owner, 'createProduct', { name: 'Widget', sku: 'W-1', currency: 'USD', unitPrice: '10.00' });
    const quote = await ownerCreates(owner, 'createQuote', { customerId: customer, currency: 'USD', title: 'Q', validUntil: '2030-01-01', lineItems: [{ productId: product, quantity: '1' }] });
    const ticket = await ownerCreates(owner, 'createTicket', { subject: 'Help', description: 'It broke', customerId: customer });
    const article = await ownerCreates(owner, 'createArticle', { title: 'How to', body: 'Like this' });
    ids = { customer, product, quote, ticket, article, tenant: account.tenant.id, user: account.userId };
    const configured = await gql(owner, { query: 'mutation($input: ConfigureWhatsAppChannelInput!) { configureWhatsAppChannel(input: $input) { phoneNumberId } }', variables: { input: WHATSAPP } });
    expect(configured.text).toContain(WHATSAPP.phoneNumberId);
  });

  afterAll(async () => {
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    console.log(`hostile input: ${total} cases\n${Object.entries(counts).map(([k, n]) => `  ${k}: ${n}`).join('\n')}`);
    await app?.close();
    await stripe?.close();
  });

  /** Every generated case of these kinds, as every principal (the 1 MB ones as the owner and anonymously). */
  async function schemaRun(category: string, kinds: (c: GraphQLCase) => boolean) {
    const cases = schemaCases(loadSchema(), TEXT_VALUES, CURSORS, ids).filter(kinds);
    const runs = cases.flatMap((c) => principals.filter((p) => c.kind !== '1 MB' || p.name !== 'api key').map((p) => ({ c, p })));
    return judge(category, runs, async ({ c, p }) => ({ label: `${p.name} ${c.kind} ${c.target}`, answer: await gql(p, c), mustRefuse: c.mustRefuse }));
  }

  it('NUL and lone surrogates in every String and ID: BAD_USER_INPUT INVALID_CHARACTERS with the field path', async () => {
    const failures = await schemaRun('GraphQL NUL / lone surrogate', (c) => c.kind === 'NUL' || c.kind === 'lone surrogate');
    expect(failures).toEqual([]);
    const sample = await gql(principals[2], { query: 'mutation($input: LoginInput!) { login(input: $input) { accessToken } }', variables: { input: { email: 'a\uD800@x.io', password: 'p' } } });
    expect(sample.status).toBe(400);
    expect(sample.body).toMatchObject({ errors: [{ extensions: { code: 'BAD_USER_INPUT', reason: 'INVALID_CHARACTERS', field: 'variables.input.email' } }] });
    const literal = await gql(principals[0], { query: 'mutation { createCustomer(input: {name: "a\\u0000b"}) { id } }', variables: {} });
    expect(literal.body).toMatchObject({ errors: [{ extensions: { code: 'BAD_USER_INPUT', reason: 'INVALID_CHARACTERS', field: 'createCustomer.input.name' } }] });
  });

  it('1 MB strings in every String and ID', async () => {
    expect(await schemaRun('GraphQL 1 MB', (c) => c.kind === '1 MB')).toEqual([]);
  });

  it('blank strings in every String and ID; required names and titles refused', async () => {
    expect(await schemaRun('GraphQL blank', (c) => c.kind === 'blank')).toEqual([]);
  });

  it('explicit null in every nullable argument and input field', async () => {
    expect(await schemaRun('GraphQL explicit null', (c) => c.kind === 'explicit null')).toEqual([]);
  });

  it('cursors encoding dates PostgreSQL cannot store', async () => {
    expect(await schemaRun('GraphQL cursors', (c) => c.kind.startsWith('cursor'))).toEqual([]);
  });

  it('protocol errors and query limits: documented reasons, never internal', async () => {
    const aliases = Array.from({ length: 40 }, (_, i) => `a${i}: me { id }`).join(' ');
    const manyVariableErrors = { name: 'x', scopes: Array.from({ length: 60 }, (_, i) => i) };
    const cases: [string, object | string, string][] = [
      ['subscription', { query: 'subscription { __typename }' }, 'SUBSCRIPTIONS_NOT_SUPPORTED'],
      ['APQ hash mismatch', { query: '{ __typename }', extensions: { persistedQuery: { version: 1, sha256Hash: 'ab'.repeat(32) } } }, 'PERSISTED_QUERY_HASH_MISMATCH'],
      ['APQ version', { query: '{ __typename }', extensions: { persistedQuery: { version: 2, sha256Hash: 'ab'.repeat(32) } } }, 'PERSISTED_QUERY_VERSION_UNSUPPORTED'],
      ['APQ unknown', { extensions: { persistedQuery: { version: 1, sha256Hash: 'cd'.repeat(32) } } }, 'PERSISTED_QUERY_NOT_FOUND'],
      ['too many variable errors', { query: 'mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }', variables: { input: manyVariableErrors } }, 'TOO_MANY_VARIABLE_ERRORS'],
      ['aliases', { query: `{ ${aliases} }` }, 'TOO_MANY_ALIASES'],
      ['depth', { query: '{ me { memberships { tenant { settings { tenant { id } } } } } }' }, ''],
      ['tokens', { query: `{ ${'__typename '.repeat(20_000)} }` }, 'TOO_MANY_TOKENS'],
      ['batch', [{ query: '{ __typename }' }, { query: '{ __typename }' }], 'BATCH_NOT_SUPPORTED'],
      ['enum suggestion', { query: '{ tenants(status: ACTIV) { id } }' }, 'GRAPHQL_VALIDATION_FAILED'],
      ['no query', {}, 'BAD_REQUEST'],
      ['not JSON', '{"query": ', 'MALFORMED_JSON'],
    ];
    const failures = await judge('GraphQL protocol', cases.flatMap((c) => principals.map((p) => ({ c, p }))), async ({ c: [label, body, reason], p }) => {
      const answer = await send(app.url, { label, method: 'POST', path: '/graphql', headers: { 'content-type': 'application/json', ...p.headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
      const errors = (answer.body as { errors?: { message: string; extensions: { reason?: string } }[] }).errors ?? [];
      if (reason && !errors.some((e) => e.extensions.reason === reason)) errors.push({ message: `expected reason ${reason}, got ${answer.text.slice(0, 200)}`, extensions: {} });
      if (errors.some((e) => /did you mean|syntax error/i.test(e.message) && !/^Syntax Error: (Unexpected|Expected)/.test(e.message))) {
        errors.push({ message: `leaks a suggestion or calls a limit a syntax error: ${answer.text.slice(0, 200)}`, extensions: {} });
      }
      return { label: `${p.name} ${label}`, answer: { ...answer, body: { errors } } };
    });
    expect(failures).toEqual([]);
  });

  /** The app's REST routes, listed from its router, plus /graphql and an unknown route. */
  function routes(): { method: string; path: string }[] {
    const stack = (app.http.app as unknown as { router: { stack: { route?: { path: string; methods: Record<string, boolean> } }[] } }).router.stack;
    const listed = stack.flatMap((layer) => (layer.route ? Object.keys(layer.route.methods).map((method) => ({ method: method.toUpperCase(), path: layer.route!.path })) : []));
    return [...listed, { method: 'POST', path: '/graphql' }, { method: 'GET', path: '/no-such-route/:id' }];
  }

  it('every REST route with malformed paths, query strings, bodies and encodings', async () => {
    const badSegments = ['%E0%A4%A', '%00', '%ED%A0%80', '%C0%AF', '%', 'x'.repeat(10_000), '..%2F..%2Fetc%2Fpasswd'];
    const bodies: [string, Record<string, string>, string | Buffer][] = [
      ['malformed JSON', { 'content-type': 'application/json' }, '{"a": '],
      ['NUL in JSON', { 'content-type': 'application/json' }, '{"entry":[{"changes":[{"value":{"metadata":{"phone_number_id":"1\\u0000"}}}]}]}'],
      ['lone surrogate in JSON', { 'content-type': 'application/json' }, '{"object":"\\ud800","entry":[]}'],
      ['JSON array', { 'content-type': 'application/json' }, '[1,2]'],
      ['JSON null', { 'content-type': 'application/json' }, 'null'],
      ['gzip lie', { 'content-type': 'application/json', 'content-encoding': 'gzip' }, '{"query":"{ __typename }"}'],
      ['deflate lie', { 'content-type': 'application/json', 'content-encoding': 'deflate' }, 'not deflate'],
      ['unsupported encoding', { 'content-type': 'application/json', 'content-encoding': 'compress' }, '{}'],
      ['real gzip', { 'content-type': 'application/json', 'content-encoding': 'gzip' }, gzipSync('{"query":"{ __typename }"}')],
      ['gzip bomb', { 'content-type': 'application/json', 'content-encoding': 'gzip' }, gzipSync(Buffer.alloc(20_000_000, 0x20))],
      ['text body', { 'content-type': 'text/plain' }, 'hello'],
      ['bad charset', { 'content-type': 'application/json; charset=klingon' }, '{}'],
    ];
    const cases: HttpCase[] = [];
    for (const route of routes()) {
      const at = (segment: string) => route.path.replace(/:\w+/g, segment);
      for (const segment of badSegments) cases.push({ label: `${route.method} ${at(segment).slice(0, 60)}`, method: route.method, path: at(segment) });
      for (const query of ['a=%00', 'a=%ED%A0%80', 'hub.mode=subscribe&hub.verify_token=%00&hub.challenge=x', 'a[b][c]=1', 'a=%']) {
        cases.push({ label: `${route.method} ${route.path}?${query}`, method: route.method, path: `${at(randomUUID())}?${query}` });
      }
      if (route.method !== 'GET') for (const [label, headers, body] of bodies) cases.push({ label: `${route.method} ${route.path} ${label}`, method: route.method, path: at(randomUUID()), headers, body });
    }
    const runs = cases.flatMap((c) => principals.map((p) => ({ c, p })));
    const failures = await judge('REST routes', runs, async ({ c, p }) => ({ label: `${p.name} ${c.label}`, answer: await send(app.url, { ...c, headers: { ...c.headers, ...p.headers } }) }));
    expect(failures).toEqual([]);
  });

  it('a Content-Length of 1 GB is refused on the headers (413) on every route', async () => {
    const port = Number(new URL(app.url).port);
    const failures = await judge('huge Content-Length', routes(), async (route) => {
      const answer = await announceHugeBody(port, route.method === 'GET' ? 'POST' : route.method, route.path.replace(/:\w+/g, randomUUID()), 1_000_000_000);
      if (answer.status !== 413) answer.status = 599; // reported as a fault below
      return { label: `${route.method} ${route.path} Content-Length 1 GB`, answer };
    });
    expect(failures).toEqual([]);
  });

  it('validly signed but malformed webhook events are acknowledged or refused with a code, never 500', async () => {
    const stripeEvents: unknown[] = [
      { id: 'evt_h1', type: 'invoice.paid', created: 'now', data: { object: {} } },
      { id: 'evt_h2', type: 'invoice.paid', created: 1_760_000_000, data: { object: { customer: 'cus_x', lines: 'none' } } },
      { id: 'evt_h3', type: 'invoice.payment_failed', created: 1_760_000_000, data: null },
      { id: 7, type: ['x'] },
      'just a string',
      { id: 'evt_h4\u0000', type: 'invoice.paid', created: 1, data: { object: {} } },
    ];
    const metadata = { display_phone_number: '1555', phone_number_id: WHATSAPP.phoneNumberId };
    const whatsAppBodies: unknown[] = [
      { entry: [{ changes: [{ value: { metadata, messages: [{ from: 'not digits', id: 5 }] } }] }] },
      { entry: [{ changes: [{ value: { metadata, statuses: [{ id: 'wamid.1', status: 'read', errors: 'many' }] } }] }] },
      { entry: [{ changes: [{ value: { metadata, messages: [{ from: '1555', id: 'wamid.2', timestamp: '1', type: 'text', text: { body: 'nul \u0000' } }] } }] }] },
      { entry: 'none' },
      { entry: [{ changes: [{ value: { metadata: { phone_number_id: 'x'.repeat(100) } } }] }] },
    ];
    const cases: HttpCase[] = [
      ...stripeEvents.map((event, i) => {
        const body = JSON.stringify(event);
        return { label: `stripe signed #${i}`, method: 'POST', path: '/webhooks/stripe', body, headers: { 'content-type': 'application/json', 'stripe-signature': stripeSigner.generateTestHeaderString({ payload: body, secret: FAKE_STRIPE_WEBHOOK_SECRET }) } };
      }),
      ...whatsAppBodies.map((payload, i) => {
        const body = JSON.stringify(payload);
        return { label: `whatsapp signed #${i}`, method: 'POST', path: WHATSAPP_WEBHOOK_PATH, body, headers: { 'content-type': 'application/json', 'x-hub-signature-256': signWhatsApp(body) } };
      }),
    ];
    const failures = await judge('signed webhooks', cases, async (c) => ({ label: c.label, answer: await send(app.url, c) }));
    await app.services.whatsApp.inbound.whenIdle();
    expect(failures).toEqual([]);
  });
});
