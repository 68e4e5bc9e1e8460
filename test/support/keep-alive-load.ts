import http from 'node:http';

/** One request as the client saw it. */
export interface LoadRequest {
  sentAt: number;
  endedAt: number;
  status?: number;
  body?: string;
  /** The socket error (ECONNREFUSED, ECONNRESET, socket hang up, timeout) when no answer came. */
  error?: string;
}

export interface KeepAliveLoadOptions {
  url: string;
  /** Keep-alive connections, one request at a time on each (like a pool of browser or proxy connections). */
  connections: number;
  body: string;
  headers: Record<string, string>;
  /** Asked before every request: a client that stops sending when told (a load balancer honouring /ready). */
  keepSending: () => boolean;
  /** Bound on the whole run, whatever `keepSending` says. */
  maxRequests: number;
  timeoutMs?: number;
}

function send(agent: http.Agent, options: KeepAliveLoadOptions): Promise<LoadRequest> {
  const sentAt = Date.now();
  return new Promise((resolve) => {
    const done = (result: Omit<LoadRequest, 'sentAt' | 'endedAt'>) =>
      resolve({ sentAt, endedAt: Date.now(), ...result });
    const timeout = options.timeoutMs ?? 10_000;
    const req = http.request(options.url, { method: 'POST', agent, headers: options.headers, timeout }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => done({ status: res.statusCode, body }));
      res.on('error', (error) => done({ error: error.message }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error: NodeJS.ErrnoException) => done({ error: error.code ?? error.message }));
    req.end(options.body);
  });
}

/** Sends back to back on `connections` keep-alive connections until `keepSending()` is false; every request's fate. */
export async function runKeepAliveLoad(options: KeepAliveLoadOptions): Promise<LoadRequest[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.connections });
  const results: LoadRequest[] = [];
  let issued = 0;
  const lane = async () => {
    while (options.keepSending() && issued < options.maxRequests) {
      issued++;
      results.push(await send(agent, options));
    }
  };
  try {
    await Promise.all(Array.from({ length: options.connections }, lane));
  } finally {
    agent.destroy();
  }
  return results;
}
