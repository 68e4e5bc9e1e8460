import 'reflect-metadata';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { isJSONRPCRequest, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import pino from 'pino';
import { openDatabase } from '../app/database';
import { createHttpApp } from '../app/http-app';
import { buildAppSchema } from '../app/schema';
import { createServices } from '../app/services';
import { ConfigError, loadProcessConfig } from '../core/config/config';
import { createRequestRateLimiter } from '../core/http/rate-limit';
import { createLogger } from '../core/logging/logger';
import { API_KEY_PREFIX } from '../modules/api-keys';

/** The JSON-RPC error our /mcp answered (its body follows the SDK's "Error POSTing to endpoint:"), if any. */
function upstreamError(error: unknown): { code: number; message: string; data?: unknown } {
  const message = error instanceof Error ? error.message : String(error);
  try {
    const body = JSON.parse(/\{.*\}$/s.exec(message)?.[0] ?? '');
    if (typeof body?.error?.code === 'number') return body.error;
  } catch {
    // not one of ours: the transport's own failure
  }
  return { code: -32603, message };
}

/**
 * `npm run mcp:stdio`: MCP over stdio for local clients (Claude Desktop, an inspector), acting as the API key in
 * TENANTQL_API_KEY. It runs the API itself on a loopback port and relays every message to its /mcp, so each one is
 * admitted, rate limited, metered and authorized exactly as over HTTP (a revoked key stops at once). stdout carries
 * the protocol; logs go to stderr. Exit codes: 0 stdin closed, 2 configuration error.
 */
async function main(): Promise<number> {
  const apiKey = process.env.TENANTQL_API_KEY?.trim();
  if (!apiKey?.startsWith(API_KEY_PREFIX)) {
    process.stderr.write(`TENANTQL_API_KEY must hold an API key (${API_KEY_PREFIX}…)\n`);
    return 2;
  }
  const config = loadProcessConfig();
  const logger = createLogger(config.logLevel, { role: 'mcp-stdio' }, pino.destination({ dest: 2, sync: true }));
  const db = await openDatabase(config, logger, 'tenantql-mcp-stdio');
  const services = createServices(config, db.dataSource, db.url);
  const { rateLimit, redisUrl } = config;
  const rateLimiter = createRequestRateLimiter({ ...rateLimit, redisUrl, dataSource: db.dataSource, logger });
  await rateLimiter.ready();
  const http = await createHttpApp({
    config,
    logger,
    dataSource: db.dataSource,
    schema: await buildAppSchema(services.container),
    jobsState: () => 'disabled',
    credentials: services.credentials,
    rateLimiter,
    apiCalls: services.apiCalls,
    mcp: services.mcp,
  });
  const port = await http.listen(0, '127.0.0.1');
  const upstream = new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`), {
    requestInit: { headers: { authorization: `Bearer ${apiKey}` } },
  });
  const stdio = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => (stdio.onclose = resolve));
  upstream.onmessage = (message) => void stdio.send(message);
  upstream.onerror = (error) => logger.warn({ err: error }, 'MCP relay error');
  stdio.onmessage = (message: JSONRPCMessage) => {
    upstream.send(message).catch((error: unknown) => {
      // A refused request (401, 429…) still gets its answer: the client must not wait forever.
      if (isJSONRPCRequest(message)) void stdio.send({ jsonrpc: '2.0', id: message.id, error: upstreamError(error) });
    });
  };
  process.stdin.once('end', () => void stdio.close());
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void stdio.close());
  await upstream.start();
  await stdio.start();
  logger.info({ port }, 'MCP over stdio ready');
  await closed;
  await upstream.close();
  await http.close();
  await rateLimiter.close();
  await services.apiKeys.flushUsage();
  await services.apiCalls.flush();
  await db.close();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `${error instanceof ConfigError ? error.message : String((error as Error)?.stack ?? error)}\n`,
    );
    process.exit(error instanceof ConfigError ? 2 : 1);
  },
);
