import type { LlmConfig } from '../../core/config/config';
import { postJson, textOf, type LlmClient, type LlmPrompt } from './llm-client';

const API_VERSION = '2023-06-01';
const MAX_TOKENS = 2048;

interface MessagesResponse {
  content?: { type?: string; text?: unknown }[];
}

/** Anthropic's Messages API (`POST {baseUrl}/v1/messages`); it has no JSON mode, the prompt asks for JSON only. */
export class AnthropicClient implements LlmClient {
  readonly model: string;

  constructor(private readonly config: LlmConfig) {
    this.model = config.model;
  }

  async completeJson(prompt: LlmPrompt): Promise<string> {
    const answer = (await postJson(
      `${this.config.baseUrl}/v1/messages`,
      { 'x-api-key': this.config.apiKey, 'anthropic-version': API_VERSION },
      {
        model: this.model,
        max_tokens: MAX_TOKENS,
        temperature: 0,
        system: prompt.system,
        messages: [{ role: 'user', content: prompt.user }],
      },
      this.config.timeoutMs,
    )) as MessagesResponse;
    return textOf(answer.content?.find((block) => block.type === 'text')?.text);
  }
}
