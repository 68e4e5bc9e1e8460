import type { LlmConfig } from '../../core/config/config';
import { postJson, textOf, type LlmClient, type LlmPrompt } from './llm-client';

interface ChatCompletion {
  choices?: { message?: { content?: unknown } }[];
}

/** Any OpenAI-compatible `POST {baseUrl}/chat/completions` (OpenAI, Azure-style proxies, vLLM, Ollama, …). */
export class OpenAiCompatibleClient implements LlmClient {
  readonly model: string;

  constructor(private readonly config: LlmConfig) {
    this.model = config.model;
  }

  async completeJson(prompt: LlmPrompt): Promise<string> {
    const answer = (await postJson(
      `${this.config.baseUrl}/chat/completions`,
      { authorization: `Bearer ${this.config.apiKey}` },
      {
        model: this.model,
        temperature: 0,
        messages: [
          { role: 'system', content: prompt.system },
          { role: 'user', content: prompt.user },
        ],
        ...(this.config.jsonMode ? { response_format: { type: 'json_object' } } : {}),
      },
      this.config.timeoutMs,
    )) as ChatCompletion;
    return textOf(answer.choices?.[0]?.message?.content);
  }
}
