import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface FakeResponse {
  status?: number;
  body: unknown;
}

export interface FakeHttpServer {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  port: number;
  /** Every request received, oldest first. */
  requests: FakeRequest[];
  close(): Promise<void>;
}

/**
 * The scaffold of the local stand-ins for paid gateways: a real HTTP server on a free
 * port that answers JSON from `handle`, so the app's real clients talk real HTTP to it.
 * An unmatched route answers 404, so a call the fake does not know fails the test loudly.
 * `handle` may answer later (a promise), or never: a stand-in for an API that hangs.
 */
export async function startFakeHttpServer(
  handle: (request: FakeRequest) => FakeResponse | undefined | Promise<FakeResponse | undefined>,
): Promise<FakeHttpServer> {
  const requests: FakeRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const request: FakeRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(request);
      let answer: FakeResponse | undefined;
      try {
        answer = (await handle(request)) ?? {
          status: 404,
          body: { error: { message: `No fake route for ${request.method} ${request.path}` } },
        };
      } catch (error) {
        answer = { status: 500, body: { error: { message: error instanceof Error ? error.message : String(error) } } };
      }
      res.writeHead(answer.status ?? 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
