/** A payment gateway answered with an error status, or not at all. */
export class GatewayRequestError extends Error {
  constructor(
    readonly gateway: string,
    /** HTTP status; 0 when no answer arrived (network error, timeout). */
    readonly status: number,
    readonly body: unknown,
    options?: { cause?: unknown },
  ) {
    super(`${gateway} answered ${status || 'nothing'}`, options);
    this.name = 'GatewayRequestError';
  }
}

const TIMEOUT_MS = 15_000;

/** One JSON request to a gateway's REST API; non-2xx answers and network failures throw GatewayRequestError. */
export async function gatewayRequest<T>(
  gateway: string,
  url: string,
  init: { method: 'GET' | 'POST'; headers?: Record<string, string>; body?: unknown },
): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: init.method,
      headers: {
        accept: 'application/json',
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...init.headers,
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (error) {
    throw new GatewayRequestError(gateway, 0, null, { cause: error });
  }
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // Keep the raw text: gateways answer HTML on some errors.
  }
  if (!response.ok) throw new GatewayRequestError(gateway, response.status, body);
  return body as T;
}
