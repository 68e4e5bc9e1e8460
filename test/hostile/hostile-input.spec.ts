import { createHmac, randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import Stripe from 'stripe';
import { apiKeyScopes } from '../../src/app/permissions';
import { PlanCode } from '../../src/modules/plans';
import { WHATSAPP_WEBHOOK_PATH } from '../../src/modules/whatsapp-channel/whatsapp-channel.types';
import { signUp } from '../support/accounts';
import { FAKE_STRIPE_WEBHOOK_SECRET, startFakeStripe, type FakeStripe } from '../support/fake-stripe';
import { startTestApp, type TestApp } from '../support/test-app';
import { announceHugeBody, capturedLogger, eachLimited, faultsOf, send, unlogged } from './hostile-http';
import type { Answer, HttpCase } from './hostile-http';
import { loadSchema, schemaCases, type GraphQLCase, type IdPool } from './schema-cases';

/**
 * Hostile and careless input over real HTTP against a production-mode app: generated from the schema
 * (every String/ID argument and input field, every nullable input field, every cursor) and from the
 * app's REST routes. Fails on any 5xx, INTERNAL_SERVER_ERROR or undocumented code, non-JSON error
 * body, and any error without a log line carrying its request id.
 */

const TEXT_VALUES = { NUL: 'a\u0000b', 'lone surrogate': 'a\uD800b', '1 MB': 'x'.repeat(1_000_000), blank: '   ' };
const cursorOf = (date: string) => Buffer.from(JSON.stringify([date, randomUUID()])).toString('base64url');
const CURSORS = {
  'year -10000': cursorOf('-010000-01-01T00:00:00.000Z'),
  'year 275000': cursorOf('+275000-01-01T00:00:00.000Z'),
  'year 0': cursorOf('0000-01-01T00:00:00.000Z'),
};
const WHATSAPP = {
  phoneNumberId: '4444444444',
  accessToken: 'EAAG-hostile',
  verifyToken: 'verify-token-of-the-hostile-org',
  appSecret: 'app-secret-of-the-hostile-org-0123',
};
const JSON_TYPE = { 'content-type': 'application/json' };
const stripeSigner = new Stripe('sk_test_signer').webhooks;
const signStripe = (payload: string) =>
  stripeSigner.generateTestHeaderString({ payload, secret: FAKE_STRIPE_WEBHOOK_SECRET });
const signWhatsApp = (raw: string) => `sha256=${createHmac('sha256', WHATSAPP.appSecret).update(raw).digest('hex')}`;

type Principal = { name: string; headers: Record<string, string> };
type Judged = { label: string; answer: Answer; mustRefuse?: boolean };

describe('hostile input over HTTP, production mode: never a 5xx, always a documented JSON error, always logged', () => {
  const { logger, lines } = capturedLogger();
  let app: TestApp;
  let stripe: FakeStripe;
  let principals: Principal[];
  let ids: IdPool;
  const counts: Record<string, number> = {};

  /** Sends the cases, judges each answer and its log lines; returns what failed, `label: fault`. */
  async function judge<T>(category: string, cases: T[], run: (c: T) => Promise<Judged>) {
    const failures: string[] = [];
    const answered: Judged[] = [];
    await eachLimited(cases, 6, async (c) => {
      const judged = await run(c);
      answered.push(judged);
      for (const fault of faultsOf(judged.answer, judged.mustRefuse)) failures.push(`${judged.label}: ${fault}`);
    });
    await new Promise((resolve) => setTimeout(resolve, 50)); // request lines are written when each response finishes
    for (const { label, answer } of answered) {
      const missing = unlogged(answer, lines);
      if (missing) failures.push(`${label}: ${missing}`);
    }
    counts[category] = cases.length;
    return failures;
  }

  const post = (path: string, principal: Principal, body: string | Buffer) =>
    send(app.url, { label: path, method: 'POST', path, headers: { ...JSON_TYPE, ...principal.headers }, body });
  const gql = (principal: Principal, c: Pick<GraphQLCase, 'query' | 'variables'>) =>
    post('/graphql', principal, JSON.stringify(c));
  const dataOf = <T>(answer: Answer, field: string) => (answer.body as { data?: Record<string, T> }).data?.[field];

  async function ownerCreates(owner: Principal, mutation: string, input: object): Promise<string> {
    const type = `${mutation[0].toUpperCase()}${mutation.slice(1)}Input`;
    const query = `mutation($input: ${type}!) { ${mutation}(input: $input) { id } }`;
    const answer = await gql(owner, { query, variables: { input } });
    const id = dataOf<{ id: string }>(answer, mutation)?.id;
    if (!id) throw new Error(`${mutation} failed: ${answer.text}`);
    return id;
  }

  beforeAll(async () => {
    stripe = await startFakeStripe();
    const production = { NODE_ENV: 'production', JWT_SECRET_KEY: 'p'.repeat(48), ENCRYPTION_KEY: 'a'.repeat(64) };
    app = await startTestApp({ ...production, MAX_REQUEST_SIZE: '2mb', ...stripe.env }, { logger });
    const account = await signUp(app, 'owner@hostile.example', 'Hostile Org');
    const period = { periodStart: new Date(), periodEnd: new Date(Date.now() + 30 * 86_400_000) };
    const plans = app.services.plans;
    await app.dataSource.transaction((em) => plans.activatePlan(em, account.tenant.id, PlanCode.PROFESSIONAL, period));
    const ownerHeaders = { authorization: `Bearer ${account.token}`, 'x-organization-id': account.tenant.slug };
    const owner = { name: 'owner', headers: ownerHeaders };
    const key = await gql(owner, {
      query: 'mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }',
      variables: { input: { name: 'hostile', scopes: apiKeyScopes } },
    });
    const secret = dataOf<{ secret: string }>(key, 'createApiKey')!.secret;
    const apiKey = { name: 'api key', headers: { authorization: `Bearer ${secret}` } };
    principals = [owner, apiKey, { name: 'anonymous', headers: {} }];

    const customer = await ownerCreates(owner, 'createCustomer', { name: 'Ada', email: 'ada@example.com' });
    const widget = { name: 'Widget', sku: 'W-1', currency: 'USD', unitPrice: '10.00' };
    const product = await ownerCreates(owner, 'createProduct', widget);
    const lineItems = [{ productId: product, quantity: '1' }];
    const draft = { customerId: customer, currency: 'USD', title: 'Q', validUntil: '2030-01-01', lineItems };
    const quote = await ownerCreates(owner, 'createQuote', draft);
    const help = { subject: 'Help', description: 'It broke', customerId: customer };
    const ticket = await ownerCreates(owner, 'createTicket', help);
    const article = await ownerCreates(owner, 'createArticle', { title: 'How to', body: 'Like this' });
    ids = { customer, product, quote, ticket, article, tenant: account.tenant.id, user: account.userId };
    const configured = await gql(owner, {
      query: `mutation($input: ConfigureWhatsAppChannelInput!) {
        configureWhatsAppChannel(input: $input) { phoneNumberId }
      }`,
      variables: { input: WHATSAPP },
    });
    expect(configured.text).toContain(WHATSAPP.phoneNumberId);
  });

  afterAll(async () => {
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    console.log(
      `hostile input: ${total} cases\n${Object.entries(counts)
        .map(([k, n]) => `  ${k}: ${n}`)
        .join('\n')}`,
    );
    await app?.close();
    await stripe?.close();
  });

  /** Every generated case of these kinds, as every principal (the 1 MB ones as the owner and anonymously). */
  async function schemaRun(category: string, kinds: (c: GraphQLCase) => boolean) {
    const cases = schemaCases(loadSchema(), TEXT_VALUES, CURSORS, ids).filter(kinds);
    const senders = (c: GraphQLCase) => principals.filter((p) => c.kind !== '1 MB' || p.name !== 'api key');
    const runs = cases.flatMap((c) => senders(c).map((p) => ({ c, p })));
    return judge(category, runs, async ({ c, p }) => {
      const answer = await gql(p, c);
      return { label: `${p.name} ${c.kind} ${c.target}`, answer, mustRefuse: c.mustRefuse };
    });
  }

  it('NUL and lone surrogates in every String and ID: BAD_USER_INPUT INVALID_CHARACTERS with the path', async () => {
    const illFormed = (c: GraphQLCase) => c.kind === 'NUL' || c.kind === 'lone surrogate';
    expect(await schemaRun('GraphQL NUL / lone surrogate', illFormed)).toEqual([]);
    const extensions = (field: string) => ({ code: 'BAD_USER_INPUT', reason: 'INVALID_CHARACTERS', field });
    const refusal = (field: string) => ({ errors: [{ extensions: extensions(field) }] });
    const login = 'mutation($input: LoginInput!) { login(input: $input) { accessToken } }';
    const input = { email: 'a\uD800@x.io', password: 'p' };
    const variable = await gql(principals[2], { query: login, variables: { input } });
    expect(variable.status).toBe(400);
    expect(variable.body).toMatchObject(refusal('variables.input.email'));
    const query = 'mutation { createCustomer(input: {name: "a\\u0000b"}) { id } }';
    const literal = await gql(principals[0], { query, variables: {} });
    expect(literal.body).toMatchObject(refusal('createCustomer.input.name'));
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
    const persisted = (version: number, hash: string) => ({ persistedQuery: { version, sha256Hash: hash.repeat(32) } });
    const tooManyErrors = {
      query: 'mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }',
      variables: { input: { name: 'x', scopes: Array.from({ length: 60 }, (_, i) => i) } },
    };
    const typename = '{ __typename }';
    const aliases = Array.from({ length: 40 }, (_, i) => `a${i}: me { id }`).join(' ');
    const cases: [string, object | string, string][] = [
      ['subscription', { query: 'subscription { ticketEvents { id } }' }, 'SUBSCRIPTIONS_NOT_SUPPORTED'],
      ['APQ hash mismatch', { query: typename, extensions: persisted(1, 'ab') }, 'PERSISTED_QUERY_HASH_MISMATCH'],
      ['APQ version', { query: typename, extensions: persisted(2, 'ab') }, 'PERSISTED_QUERY_VERSION_UNSUPPORTED'],
      ['APQ unknown', { extensions: persisted(1, 'cd') }, 'PERSISTED_QUERY_NOT_FOUND'],
      ['too many variable errors', tooManyErrors, 'TOO_MANY_VARIABLE_ERRORS'],
      ['aliases', { query: `{ ${aliases} }` }, 'TOO_MANY_ALIASES'],
      ['tokens', { query: `{ ${'__typename '.repeat(20_000)} }` }, 'TOO_MANY_TOKENS'],
      ['batch', [{ query: '{ __typename }' }, { query: '{ __typename }' }], 'BATCH_NOT_SUPPORTED'],
      ['enum suggestion', { query: '{ tenants(status: ACTIV) { id } }' }, 'GRAPHQL_VALIDATION_FAILED'],
      ['no query', {}, 'BAD_REQUEST'],
      ['not JSON', '{"query": ', 'MALFORMED_JSON'],
    ];
    const runs = cases.flatMap((c) => principals.map((p) => ({ c, p })));
    const failures = await judge('GraphQL protocol', runs, async ({ c: [label, body, reason], p }) => {
      const answer = await post('/graphql', p, typeof body === 'string' ? body : JSON.stringify(body));
      const errors = (answer.body as { errors?: { message: string; extensions: { reason?: string } }[] }).errors ?? [];
      // Worded as what they are: no schema suggestions, no limit called a "Syntax Error".
      const misworded = errors.some((e) => /did you mean|syntax error: (?!unexpected|expected)/i.test(e.message));
      const wrongReason = !errors.some((e) => e.extensions.reason === reason);
      const message = `expected ${reason}, worded plainly: ${answer.text.slice(0, 200)}`;
      const fault = misworded || wrongReason ? [{ message, extensions: {} }] : [];
      return { label: `${p.name} ${label}`, answer: { ...answer, body: { errors: [...errors, ...fault] } } };
    });
    expect(failures).toEqual([]);
  });

  const sendCase = async (c: HttpCase) => ({ label: c.label, answer: await send(app.url, c) });

  /** The app's REST routes, listed from its router, plus /graphql and an unknown route. */
  function routes(): { method: string; path: string }[] {
    type Layer = { route?: { path: string; methods: Record<string, boolean> } };
    const stack = (app.http.app as unknown as { router: { stack: Layer[] } }).router.stack;
    const listed = stack.flatMap(({ route }) =>
      route ? Object.keys(route.methods).map((method) => ({ method: method.toUpperCase(), path: route.path })) : [],
    );
    // /graphql and /mcp (mounted with use), methods no route has, and a route that does not exist.
    const others = [
      ['POST', '/graphql'],
      ['POST', '/mcp'],
      ['PUT', '/graphql'],
      ['DELETE', '/graphql'],
      ['PATCH', '/health'],
      ['GET', '/no-such/:id'],
    ];
    return [...listed, ...others.map(([method, path]) => ({ method, path }))];
  }

  it('every REST route with malformed paths, query strings, bodies and encodings', async () => {
    const badSegments = ['%E0%A4%A', '%00', '%ED%A0%80', '%C0%AF', '%', 'x'.repeat(10_000), '..%2F..%2Fetc%2Fpasswd'];
    const handshake = 'hub.mode=subscribe&hub.verify_token=%00&hub.challenge=x';
    const queries = ['a=%00', 'a=%ED%A0%80', handshake, 'a[b][c]=1', 'a=%'];
    const gzip = { ...JSON_TYPE, 'content-encoding': 'gzip' };
    const bodies: [string, Record<string, string>, string | Buffer][] = [
      ['malformed JSON', JSON_TYPE, '{"a": '],
      ['NUL in JSON', JSON_TYPE, '{"entry":[{"changes":[{"value":{"metadata":{"phone_number_id":"1\\u0000"}}}]}]}'],
      ['lone surrogate in JSON', JSON_TYPE, '{"object":"\\ud800","entry":[]}'],
      ['JSON array', JSON_TYPE, '[1,2]'],
      ['JSON null', JSON_TYPE, 'null'],
      ['gzip lie', gzip, '{"query":"{ __typename }"}'],
      ['deflate lie', { ...JSON_TYPE, 'content-encoding': 'deflate' }, 'not deflate'],
      ['unsupported encoding', { ...JSON_TYPE, 'content-encoding': 'compress' }, '{}'],
      ['real gzip', gzip, gzipSync('{"query":"{ __typename }"}')],
      ['gzip bomb', gzip, gzipSync(Buffer.alloc(20_000_000, 0x20))],
      ['text body', { 'content-type': 'text/plain' }, 'hello'],
      ['bad charset', { 'content-type': 'application/json; charset=klingon' }, '{}'],
    ];
    const cases: HttpCase[] = [];
    for (const { method, path } of routes()) {
      const at = (segment: string) => path.replace(/:\w+/g, segment);
      const add = (label: string, target: string, more: Partial<HttpCase> = {}) =>
        cases.push({ label, method, path: target, ...more });
      for (const segment of badSegments) add(`${method} ${at(segment).slice(0, 60)}`, at(segment));
      for (const query of queries) add(`${method} ${path}?${query}`, `${at(randomUUID())}?${query}`);
      if (method === 'GET') continue;
      for (const [what, headers, body] of bodies) add(`${method} ${path} ${what}`, at(randomUUID()), { headers, body });
    }
    const runs = cases.flatMap((c) => principals.map((p) => ({ c, p })));
    const failures = await judge('REST routes', runs, async ({ c, p }) => {
      const answer = await send(app.url, { ...c, headers: { ...c.headers, ...p.headers } });
      return { label: `${p.name} ${c.label}`, answer };
    });
    expect(failures).toEqual([]);
  });

  it('a Content-Length of 1 GB is refused on the headers (413) on every route', async () => {
    const port = Number(new URL(app.url).port);
    const failures = await judge('huge Content-Length', routes(), async ({ method, path }) => {
      const target = path.replace(/:\w+/g, randomUUID());
      const answer = await announceHugeBody(port, method === 'GET' ? 'POST' : method, target, 1e9);
      if (answer.status !== 413) answer.status = 599; // reported as a fault
      return { label: `${method} ${path} Content-Length 1 GB`, answer };
    });
    expect(failures).toEqual([]);
  });

  it('validly signed but malformed webhook events are acknowledged or refused with a code, never 500', async () => {
    const stripeEvents: unknown[] = [
      { id: 'evt_h1', type: 'invoice.paid', created: 'now', data: { object: {} } },
      { id: 'evt_h2', type: 'invoice.paid', created: 1_760_000_000, data: { object: { customer: 'cus_x', lines: 0 } } },
      { id: 'evt_h3', type: 'invoice.payment_failed', created: 1_760_000_000, data: null },
      { id: 7, type: ['x'] },
      'just a string',
      { id: 'evt_h4\u0000', type: 'invoice.paid', created: 1, data: { object: {} } },
    ];
    const metadata = { display_phone_number: '1555', phone_number_id: WHATSAPP.phoneNumberId };
    const change = (value: object) => ({ entry: [{ changes: [{ value: { metadata, ...value } }] }] });
    const whatsAppBodies: unknown[] = [
      change({ messages: [{ from: 'not digits', id: 5 }] }),
      change({ statuses: [{ id: 'wamid.1', status: 'read', errors: 'many' }] }),
      change({ messages: [{ from: '1555', id: 'wamid.2', timestamp: '1', type: 'text', text: { body: '\u0000' } }] }),
      { entry: 'none' },
      { entry: [{ changes: [{ value: { metadata: { phone_number_id: 'x'.repeat(100) } } }] }] },
    ];
    type Signer = (body: string) => Record<string, string>;
    const signed = (path: string, signature: Signer) => (payload: unknown, i: number) => {
      const body = JSON.stringify(payload);
      const headers = { ...JSON_TYPE, ...signature(body) };
      return { label: `${path} signed #${i}`, method: 'POST', path, body, headers };
    };
    const cases: HttpCase[] = [
      ...stripeEvents.map(signed('/webhooks/stripe', (body) => ({ 'stripe-signature': signStripe(body) }))),
      ...whatsAppBodies.map(signed(WHATSAPP_WEBHOOK_PATH, (body) => ({ 'x-hub-signature-256': signWhatsApp(body) }))),
    ];
    const failures = await judge('signed webhooks', cases, sendCase);
    await app.services.whatsApp.inbound.whenIdle();
    expect(failures).toEqual([]);
  });
});
