import http from 'node:http';
import https from 'node:https';
import { checkTargetUrl, guardedLookup, type TargetPolicy } from './webhook-target';

export interface WebhookHttpOptions extends TargetPolicy {
  /** Connect within this, then the whole answer within this again. */
  timeoutMs: number;
  /** Bytes of the answer read at most (the rest is dropped: only the status matters). */
  maxResponseBytes?: number;
}

export interface WebhookResponse {
  status: number;
  latencyMs: number;
}

/** A refusal by the receiver (status ≥ 300): the attempt failed, the status is logged. */
export class WebhookStatusError extends Error {
  constructor(readonly response: WebhookResponse) {
    super(`the endpoint answered HTTP ${response.status}`);
  }
}

/**
 * POSTs one delivery. Sockets connect to the address the guarded lookup checked (no DNS rebinding), IP literals
 * are checked here (they are never looked up), redirects are not followed, and both the wait and the answer are
 * bounded. Resolves for a 2xx answer, rejects otherwise (WebhookStatusError for other statuses).
 */
export class WebhookHttp {
  private readonly agents: { http: http.Agent; https: https.Agent };

  constructor(private readonly options: WebhookHttpOptions) {
    const lookup = guardedLookup(options);
    this.agents = {
      http: new http.Agent({ keepAlive: true, lookup }),
      https: new https.Agent({ keepAlive: true, lookup }),
    };
  }

  post(target: string, body: string, headers: Record<string, string>): Promise<WebhookResponse> {
    const url = checkTargetUrl(target, this.options);
    const { timeoutMs, maxResponseBytes = 64 * 1024 } = this.options;
    const client = url.protocol === 'https:' ? https : http;
    const started = performance.now();
    return new Promise<WebhookResponse>((resolve, reject) => {
      const request = client.request(url, {
        method: 'POST',
        agent: url.protocol === 'https:' ? this.agents.https : this.agents.http,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'user-agent': 'tenantql-webhooks',
          ...headers,
        },
        timeout: timeoutMs,
      });
      const deadline = setTimeout(
        () => request.destroy(new Error(`no complete answer within ${timeoutMs} ms`)),
        2 * timeoutMs,
      );
      request.on('timeout', () => request.destroy(new Error(`timed out after ${timeoutMs} ms`)));
      request.on('error', (error) => {
        clearTimeout(deadline);
        reject(error);
      });
      request.on('response', (response) => {
        let read = 0;
        response.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > maxResponseBytes) response.destroy();
        });
        const done = () => {
          clearTimeout(deadline);
          const answer = { status: response.statusCode ?? 0, latencyMs: Math.round(performance.now() - started) };
          if (answer.status >= 200 && answer.status < 300) resolve(answer);
          else reject(new WebhookStatusError(answer));
        };
        response.on('end', done);
        response.on('close', done); // also when cut off at maxResponseBytes
      });
      request.end(body);
    });
  }

  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }
}
