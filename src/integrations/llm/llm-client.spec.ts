import { startFakeHttpServer, type FakeHttpServer } from '../../../test/support/fake-http-server';
import { loadConfig } from '../../core/config/config';
import { createLlmClient, LlmRequestError } from '.';

const llmOf = (env: Record<string, string>) => loadConfig({ NODE_ENV: 'test', ...env }).llm;

describe('LLM configuration', () => {
  it('picks LLM_API_KEY, then OPENAI_API_KEY, then ANTHROPIC_API_KEY; none: no LLM', () => {
    expect(llmOf({})).toBeUndefined();
    expect(createLlmClient(llmOf({}))).toBeUndefined();
    expect(
      llmOf({
        LLM_API_KEY: 'k1',
        OPENAI_API_KEY: 'k2',
        ANTHROPIC_API_KEY: 'k3',
        LLM_BASE_URL: 'http://llm.local/v1/',
        LLM_MODEL: 'm',
      }),
    ).toEqual({
      provider: 'openai',
      apiKey: 'k1',
      baseUrl: 'http://llm.local/v1',
      model: 'm',
      timeoutMs: 8000,
      jsonMode: true,
    });
    expect(llmOf({ OPENAI_API_KEY: 'k2', ANTHROPIC_API_KEY: 'k3' })).toMatchObject({
      provider: 'openai',
      apiKey: 'k2',
      baseUrl: 'https://api.openai.com/v1',
      model: 'gpt-4o-mini',
    });
    expect(llmOf({ ANTHROPIC_API_KEY: 'k3', LLM_TIMEOUT_MS: '500' })).toMatchObject({
      provider: 'anthropic',
      apiKey: 'k3',
      baseUrl: 'https://api.anthropic.com',
      timeoutMs: 500,
    });
    expect(() => llmOf({ LLM_TIMEOUT_MS: '5' })).toThrow(/LLM_TIMEOUT_MS/);
  });
});

describe('Anthropic Messages client (against a local stand-in)', () => {
  let server: FakeHttpServer;
  let answer: 'text' | 'hang' | 'refuse' = 'text';

  beforeAll(async () => {
    server = await startFakeHttpServer((req) => {
      if (req.method !== 'POST' || req.path !== '/v1/messages') return undefined;
      if (req.headers['x-api-key'] !== 'ak-test' || req.headers['anthropic-version'] !== '2023-06-01')
        return { status: 401, body: { type: 'error' } };
      if (answer === 'hang') return new Promise<undefined>(() => undefined);
      if (answer === 'refuse') return { status: 529, body: { type: 'error', error: { type: 'overloaded_error' } } };
      return { body: { type: 'message', content: [{ type: 'text', text: '{"lineItems":[]}' }] } };
    });
  });
  afterAll(() => server.close());

  const client = () =>
    createLlmClient(
      llmOf({
        ANTHROPIC_API_KEY: 'ak-test',
        ANTHROPIC_BASE_URL: server.url,
        LLM_MODEL: 'claude-test',
        LLM_TIMEOUT_MS: '200',
      }),
    )!;

  it('sends the system prompt, the user message and the key header; returns the text block', async () => {
    answer = 'text';
    await expect(client().completeJson({ system: 'Answer JSON', user: 'hello' })).resolves.toBe('{"lineItems":[]}');
    expect(JSON.parse(server.requests.at(-1)!.body)).toMatchObject({
      model: 'claude-test',
      system: 'Answer JSON',
      messages: [{ role: 'user', content: 'hello' }],
    });
  });

  it('fails with UNAVAILABLE on an error status and TIMEOUT when no answer comes in time', async () => {
    answer = 'refuse';
    await expect(client().completeJson({ system: 's', user: 'u' })).rejects.toMatchObject({
      failure: 'UNAVAILABLE',
      status: 529,
    });
    answer = 'hang';
    const error = await client()
      .completeJson({ system: 's', user: 'u' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LlmRequestError);
    expect(error).toMatchObject({ failure: 'TIMEOUT', status: 0 });
    expect(String((error as Error).message)).not.toContain('ak-test');
  });
});
