import { startFakeHttpServer, type FakeRequest, type FakeResponse } from './fake-http-server';

export const FAKE_LLM_KEY = 'sk-test-fake-llm-0123456789';

/** How the fake answers the next requests. */
export type FakeLlmBehaviour =
  | { kind: 'reply'; content: string }
  | { kind: 'http-error'; status: number }
  /** Never answers: the client's timeout must give up. */
  | { kind: 'hang' };

export interface FakeLlmCall {
  headers: FakeRequest['headers'];
  /** The chat-completions request body as sent. */
  body: { model: string; messages: { role: string; content: string }[]; response_format?: unknown };
  /** All message contents joined: what the model was shown. */
  prompt: string;
}

export interface FakeLlm {
  /** LLM_* environment pointing the app's OpenAI-compatible client here. */
  env: Record<string, string>;
  calls: FakeLlmCall[];
  behave(behaviour: FakeLlmBehaviour): void;
  /** Shortcut: answer this object as the message content (JSON). */
  replyJson(value: unknown): void;
  close(): Promise<void>;
}

/**
 * A local stand-in for an OpenAI-compatible `POST /v1/chat/completions`: checks the bearer
 * key like the real API (401 otherwise), records every call and answers as told.
 */
export async function startFakeLlm(): Promise<FakeLlm> {
  let behaviour: FakeLlmBehaviour = { kind: 'reply', content: '{"lineItems":[]}' };
  const calls: FakeLlmCall[] = [];
  const server = await startFakeHttpServer((req): FakeResponse | undefined | Promise<undefined> => {
    if (req.method !== 'POST' || req.path !== '/v1/chat/completions') return undefined;
    if (req.headers.authorization !== `Bearer ${FAKE_LLM_KEY}`)
      return { status: 401, body: { error: { message: 'Incorrect API key provided', type: 'invalid_request_error' } } };
    const body = JSON.parse(req.body) as FakeLlmCall['body'];
    calls.push({ headers: req.headers, body, prompt: body.messages.map((m) => m.content).join('\n') });
    if (behaviour.kind === 'hang') return new Promise<undefined>(() => undefined);
    if (behaviour.kind === 'http-error')
      return {
        status: behaviour.status,
        body: { error: { message: 'The server had an error', type: 'server_error' } },
      };
    return {
      body: {
        id: `chatcmpl-${calls.length}`,
        object: 'chat.completion',
        model: body.model,
        choices: [{ index: 0, message: { role: 'assistant', content: behaviour.content }, finish_reason: 'stop' }],
      },
    };
  });
  return {
    env: { LLM_API_KEY: FAKE_LLM_KEY, LLM_BASE_URL: `${server.url}/v1`, LLM_MODEL: 'fake-model' },
    calls,
    behave: (next) => {
      behaviour = next;
    },
    replyJson: (value) => {
      behaviour = { kind: 'reply', content: JSON.stringify(value) };
    },
    close: () => server.close(),
  };
}
