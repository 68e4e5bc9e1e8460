import http from 'node:http';
import { startTestApp, TEST_ADMIN_SECRET, type TestApp } from '../../../test/support/test-app';

const METRICS_TOKEN = 'metrics-token-0123456789abcdef';

/** One request on a connection of its own; resolves with the status, the Connection header and the body. */
interface Answer {
  status: number;
  connection?: string;
  body: string;
}

function get(url: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers, agent: new http.Agent({ keepAlive: true }) }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection, body }));
    });
    req.on('error', reject);
  });
}

describe('/health and /ready in production', () => {
  let app: TestApp;
  beforeAll(async () => {
    const secrets = { JWT_SECRET_KEY: 'p'.repeat(48), ENCRYPTION_KEY: 'a'.repeat(64) };
    app = await startTestApp({ NODE_ENV: 'production', ...secrets, METRICS_TOKEN });
  });
  afterAll(() => app.close());

  it('shows the version only to a caller with the metrics token or the admin secret', async () => {
    const health = async (headers: Record<string, string> = {}) =>
      JSON.parse((await get(`${app.url}/health`, headers)).body);
    const mcp = { status: 'serving', endpoint: '/mcp' };
    const anonymous = { status: 'healthy', uptime: expect.any(Number), database: 'connected', jobs: 'disabled', mcp };
    expect(await health()).toEqual(anonymous);
    expect(await health({ authorization: 'Bearer wrong-token-0123456789abcdef' })).not.toHaveProperty('version');
    expect(await health({ authorization: `Bearer ${METRICS_TOKEN}` })).toMatchObject({ version: app.config.version });
    expect(await health({ 'x-admin-secret': TEST_ADMIN_SECRET })).toMatchObject({ version: app.config.version });
  });

  it('draining: /ready answers 503, every response closes its connection, requests are still served', async () => {
    expect((await get(`${app.url}/ready`)).connection).toBe('keep-alive');
    app.http.beginDrain();
    const ready = await get(`${app.url}/ready`);
    const closing = { status: 503, connection: 'close', body: { ready: false } };
    expect({ ...ready, body: JSON.parse(ready.body) }).toEqual(closing);
    const health = await get(`${app.url}/health`);
    expect({ ...health, body: JSON.parse(health.body) }).toMatchObject({ status: 503, body: { shuttingDown: true } });
    const served = await app.gql('{ __typename }');
    expect(served).toMatchObject({ status: 200, data: { __typename: 'Query' } });
  });
});
