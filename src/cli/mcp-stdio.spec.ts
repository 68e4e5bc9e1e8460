import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CreateApiKeyDocument, RevokeApiKeyDocument } from '../../test/generated/graphql';
import { signUp } from '../../test/support/accounts';
import { nodeEntryArgs } from '../../test/support/node-entry';
import { runCli } from '../../test/support/run-cli';
import { startTestApp, TEST_ADMIN_SECRET, type TestApp } from '../../test/support/test-app';

const ROOT = path.resolve(__dirname, '../..');

describe('npm run mcp:stdio (a local MCP client over stdio, real PostgreSQL)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ AUTH_RATE_LIMIT_PER_HOUR: '1000' });
  });
  afterAll(() => app.close());

  const serve = (apiKey: string) =>
    new StdioClientTransport({
      command: process.execPath,
      args: nodeEntryArgs('src/cli/mcp-stdio.ts'),
      cwd: ROOT,
      stderr: 'pipe',
      env: {
        PATH: process.env.PATH ?? '',
        NODE_ENV: 'test',
        LOG_LEVEL: 'warn',
        DATABASE_URL: app.databaseUrl,
        ADMIN_SECRET: TEST_ADMIN_SECRET,
        TENANTQL_API_KEY: apiKey,
      },
    });

  it("serves the key's tools over stdio, through the same admission: a revoked key is refused at once", async () => {
    const owner = await signUp(app, 'stu@stdio.test', 'Stdio Shop');
    const org = { bearer: owner.token, org: owner.tenant.slug };
    const created = await app.gql(CreateApiKeyDocument, { input: { name: 'desktop', scopes: ['tickets:write'] } }, org);
    const { secret, apiKey } = created.data!.createApiKey;
    const client = new Client({ name: 'stdio-spec', version: '1.0.0' });
    await client.connect(serve(secret));
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain('tickets_create');
      expect(tools.map((t) => t.name)).not.toContain('quotes_generate');
      const result = await client.callTool({ name: 'tickets_create', arguments: { subject: 'From the desktop' } });
      expect(result.structuredContent).toMatchObject({ subject: 'From the desktop', channel: 'API' });
      const listed = await app.gql('{ tickets { edges { node { subject } } } }', {}, org);
      expect(listed.data).toEqual({ tickets: { edges: [{ node: { subject: 'From the desktop' } }] } });

      await app.gql(RevokeApiKeyDocument, { id: apiKey.id }, org);
      await expect(client.listTools()).rejects.toMatchObject({ code: -32003, data: { code: 'UNAUTHENTICATED' } });
    } finally {
      await client.close();
    }
  }, 150_000);

  it('refuses to start without an API key (exit code 2, the reason on stderr)', async () => {
    const run = await runCli('src/cli/mcp-stdio.ts', [], { DATABASE_URL: app.databaseUrl, TENANTQL_API_KEY: '' });
    expect(run).toMatchObject({ code: 2, stdout: '' });
    expect(run.stderr).toContain('TENANTQL_API_KEY must hold an API key (tq_…)');
  }, 90_000);
});
