/** Why a call produced no usable text; the caller falls back on any of them. */
export type LlmFailure = 'TIMEOUT' | 'UNAVAILABLE' | 'MALFORMED';

export class LlmRequestError extends Error {
  constructor(
    readonly failure: LlmFailure,
    /** HTTP status; 0 when no answer arrived. */
    readonly status: number,
    options?: { cause?: unknown },
  ) {
    super(`LLM request failed: ${failure}${status ? ` (HTTP ${status})` : ''}`, options);
    this.name = 'LlmRequestError';
  }
}

export interface LlmPrompt {
  system: string;
  user: string;
}

/** One completion whose text should be a JSON document. */
export interface LlmClient {
  readonly model: string;
  completeJson(prompt: LlmPrompt): Promise<string>;
}

/**
 * POSTs JSON with a hard deadline covering the whole exchange (headers and body). The
 * request headers (the key) never appear in errors.
 */
export async function postJson(
  url: string,
  headers: Record<string, string>,
  body: unknown,
  timeoutMs: number,
): Promise<unknown> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
      signal,
    });
    const text = await response.text();
    if (!response.ok) throw new LlmRequestError('UNAVAILABLE', response.status);
    return JSON.parse(text);
  } catch (error) {
    if (error instanceof LlmRequestError) throw error;
    if (signal.aborted) throw new LlmRequestError('TIMEOUT', 0, { cause: error });
    throw new LlmRequestError(error instanceof SyntaxError ? 'MALFORMED' : 'UNAVAILABLE', 0, { cause: error });
  }
}

/** The text an API answered, or MALFORMED when the envelope is not what it documents. */
export function textOf(value: unknown): string {
  if (typeof value !== 'string') throw new LlmRequestError('MALFORMED', 200);
  return value;
}
