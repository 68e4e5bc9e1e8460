import type { LlmConfig } from '../../core/config/config';
import { AnthropicClient } from './anthropic-client';
import type { LlmClient } from './llm-client';
import { OpenAiCompatibleClient } from './openai-client';

export { LlmRequestError, type LlmClient, type LlmPrompt } from './llm-client';

/** The configured model, or undefined when no key is set. */
export function createLlmClient(config: LlmConfig | undefined): LlmClient | undefined {
  if (!config) return undefined;
  return config.provider === 'anthropic' ? new AnthropicClient(config) : new OpenAiCompatibleClient(config);
}
