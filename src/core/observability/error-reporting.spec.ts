import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import * as Sentry from '@sentry/node';
import type { ErrorEvent } from '@sentry/node';
import { CustomersDocument } from '../../../test/generated/graphql';
import { startTestApp, TEST_ADMIN_SECRET, type TestApp } from '../../../test/support/test-app';
import { flushErrorReports, initErrorReporting, scrubEvent } from './error-reporting';

/** Stands in for Sentry's ingest endpoint: keeps every envelope it receives. */
async function startFakeSentry() {
  const envelopes: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      envelopes.push((req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body).toString('utf8'));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    dsn: `http://publickey@127.0.0.1:${port}/42`,
    envelopes,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** Error events of the envelopes (newline-delimited: envelope header, then item header / payload pairs). */
function errorEvents(envelopes: string[]): ErrorEvent[] {
  return envelopes.flatMap((envelope) => {
    const [, ...items] = envelope.split('\n').filter(Boolean);
    const events: ErrorEvent[] = [];
    for (let i = 0; i + 1 < items.length; i += 2)
      if (JSON.parse(items[i]).type === 'event') events.push(JSON.parse(items[i + 1]));
    return events;
  });
}

describe('error reporting (Sentry)', () => {
  let sentry: Awaited<ReturnType<typeof startFakeSentry>>;
  let app: TestApp;
  beforeAll(async () => {
    sentry = await startFakeSentry();
    expect(initErrorReporting({ sentryDsn: sentry.dsn, env: 'test', version: '0.0.0-test' })).toBe(true);
    app = await startTestApp();
  });
  afterAll(async () => {
    await app?.close();
    await Sentry.close(2000);
    await sentry.close();
  });

  it('reports an internal error once, tagged with tenant and operation, without secrets', async () => {
    const tenant = await app.createTenant('reported');
    // A table gone from under the code: the kind of fault that is ours, not the caller's.
    await app.dataSource.query(`DROP TABLE "${tenant.schemaName}".customers CASCADE`); // CASCADE drops only the foreign keys onto it
    const res = await app.gql(
      CustomersDocument,
      { search: 'password=hunter2' },
      { org: tenant.slug, headers: { authorization: 'Bearer sk_live_secret' } },
    );
    expect(res.errors![0].extensions.code).toBe('INTERNAL_SERVER_ERROR');
    await flushErrorReports();

    const events = errorEvents(sentry.envelopes);
    expect(events).toHaveLength(1);
    expect(events[0].tags).toMatchObject({
      tenant_id: tenant.id,
      operation: 'Customers',
      operation_type: 'query',
      principal: 'admin',
    });
    expect(events[0].exception?.values?.[0].value).toMatch(/customers/);
    const sent = sentry.envelopes.join('\n');
    for (const secret of [TEST_ADMIN_SECRET, 'sk_live_secret', 'hunter2']) expect(sent).not.toContain(secret);
  });

  it('does not report errors that are the caller’s', async () => {
    const before = errorEvents(sentry.envelopes).length;
    await app.gql(CustomersDocument, {}, { org: 'no-such-org' });
    await flushErrorReports();
    expect(errorEvents(sentry.envelopes).length).toBe(before);
  });
});

describe('scrubEvent', () => {
  it('drops bodies, cookies and query strings and redacts secret-looking keys at any depth', () => {
    const scrubbed = scrubEvent({
      type: undefined,
      request: {
        url: 'https://api.example.com/graphql?token=abc',
        data: '{"password":"x"}',
        cookies: { sid: 'y' },
        query_string: 'token=abc',
        headers: { authorization: 'Bearer z', 'x-admin-secret': 'w', 'user-agent': 'curl' },
      },
      user: { id: 'u1', email: 'a@b.c', ip_address: '1.2.3.4' },
      extra: { input: { name: 'Ada', newPassword: 'p', nested: [{ apiKey: 'k' }] } },
    });
    expect(scrubbed.request).toEqual({
      url: 'https://api.example.com/graphql',
      headers: { authorization: '[redacted]', 'x-admin-secret': '[redacted]', 'user-agent': 'curl' },
    });
    expect(scrubbed.user).toEqual({ id: 'u1' });
    expect(scrubbed.extra).toEqual({
      input: { name: 'Ada', newPassword: '[redacted]', nested: [{ apiKey: '[redacted]' }] },
    });
  });
});
