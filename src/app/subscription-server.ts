import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import bytes from 'bytes';
import {
  GraphQLError,
  getOperationAST,
  parse,
  validate,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLSchema,
} from 'graphql';
import { CloseCode, type Context, type SubscribePayload } from 'graphql-ws';
import { useServer, type Extra } from 'graphql-ws/use/ws';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { WebSocketServer } from 'ws';
import type { AppConfig } from '../core/config/config';
import { AppError, UnauthenticatedError } from '../core/errors/app-error';
import { ErrorCode } from '../core/errors/error-code';
import { rateLimitKey, type RequestRateLimiter } from '../core/http/rate-limit';
import type { Principal } from '../core/http/request-context';
import { metrics } from '../core/observability/metrics';
import { OperationScope } from '../core/tenancy/operation-scope';
import { runInTenantScope, type ScopedTenant } from '../core/tenancy/tenant-scope';
import type { ApiCallMeter } from '../modules/plans';
import type { EventSubscriptionService, SubscriptionContext } from '../modules/subscriptions';
import { authenticate, requestError, tenantAuthorizer, type CredentialChecks, type HeaderGetter } from './authenticate';
import type { ErrorFormatter } from './http-routes';

/** Close codes of the documented protocol (docs/subscriptions.md), beside graphql-ws's own. */
export const SUBSCRIPTION_CLOSE = {
  /** Credentials missing or wrong at connection time, or ended since (expired, session ended, key revoked). */
  unauthenticated: CloseCode.Unauthorized,
  /** The organization no longer admits the caller (removed member, suspended organization: `FORBIDDEN`). */
  forbidden: CloseCode.Forbidden,
  /** Too many connections or subscriptions for the caller's allowance (`RATE_LIMITED`). */
  rateLimited: 4429,
  goingAway: 1001,
} as const;

/** Credentials are checked every round (`credentialCheckMs`); the organization's admission every this many. */
const READMIT_EVERY_ROUNDS = 5;

/** A close reason is at most 123 bytes (RFC 6455). */
const closeReason = (text: string) =>
  Buffer.from(text)
    .subarray(0, 123)
    .toString('utf8')
    .replace(/\uFFFD+$/, '');

export interface SubscriptionServerDependencies {
  httpServer: http.Server;
  schema: GraphQLSchema;
  config: AppConfig;
  logger: Logger;
  dataSource: DataSource;
  eventSubscriptions: EventSubscriptionService;
  formatError: ErrorFormatter;
  credentials?: CredentialChecks;
  rateLimiter?: RequestRateLimiter;
  apiCalls?: Pick<ApiCallMeter, 'forRequest'>;
}

/** One WebSocket after `connection_init`: who it is, and how to tell whether that still holds. */
interface Connection {
  id: string;
  header: HeaderGetter;
  principal: Principal;
  ip: string;
  /** When its access token expires (ms since epoch); undefined for API keys and the admin secret. */
  expiresAt?: number;
  /** Aborted (with the UNAUTHENTICATED error) when its credentials end: its subscriptions fail with it. */
  ended: AbortController;
  /** The organization its subscriptions were admitted into (its connection params name one). */
  tenantId?: string;
  close(code: number, reason: string): void;
}

type ConnectionContext = Context<Record<string, unknown>, Extra & { connection?: Connection }>;

/** Connection params are the HTTP headers' strings, under any capitalisation of their names. */
function paramsHeader(params: Record<string, unknown> | undefined): HeaderGetter {
  const byName = new Map<string, string>();
  for (const [name, value] of Object.entries(params ?? {})) {
    if (typeof value === 'string') byName.set(name.toLowerCase(), value);
  }
  return (name) => byName.get(name.toLowerCase());
}

/** The `exp` of a JWT the authentication already verified (no second verification, only its claim). */
function accessTokenExpiry(header: HeaderGetter, principal: Principal): number | undefined {
  if (principal.kind !== 'user') return undefined;
  const token = /^Bearer +(\S+)/i.exec(header('authorization') ?? '')?.[1];
  try {
    const { exp } = JSON.parse(Buffer.from(token!.split('.')[1], 'base64url').toString('utf8')) as { exp?: number };
    return typeof exp === 'number' ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/** An error as graphql-ws carries it, its code and details in `extensions` (as the formatter would give them). */
function errorOf(error: unknown): GraphQLError {
  if (error instanceof GraphQLError) return error;
  const extensions = error instanceof AppError ? { code: error.code, ...error.details } : undefined;
  return new GraphQLError((error as Error).message, { extensions, originalError: error as Error });
}

/**
 * GraphQL subscriptions over graphql-ws on the HTTP server's /graphql (Apollo keeps HTTP). A connection
 * is admitted like an HTTP request, from its connection params (the same `authorization`,
 * `x-organization-id`, `x-api-key` strings as the headers, through the same `authenticate`), with the
 * request rate limit for the connection and for each subscription; each subscription is authorized by
 * its field's @Policy at subscribe time (src/core/authorization) and counted toward `api_calls`. Only
 * subscriptions run here. Every `credentialCheckMs` each connection's credentials are checked again (the
 * token's expiry, ended sessions in memory, the API key): one that ended gets UNAUTHENTICATED on each
 * subscription, then the socket closes with 4401.
 */
export function startSubscriptionServer(deps: SubscriptionServerDependencies) {
  const { config, logger, schema } = deps;
  const connections = new Set<Connection>();
  const wss = new WebSocketServer({
    server: deps.httpServer,
    path: '/graphql',
    maxPayload: bytes.parse(config.maxRequestSize) ?? undefined,
  });

  // No key: not limited (platform administrators).
  const limited = async (key: string | undefined) => {
    const retryAfter = key === undefined ? undefined : await deps.rateLimiter?.consume(key);
    if (retryAfter === undefined) return undefined;
    metrics.rateLimitHits.inc({ limiter: 'requests' });
    return requestError(ErrorCode.RATE_LIMITED, 'Too many requests', 429, { retryAfter, limiter: 'requests' });
  };

  /** The error (UNAUTHENTICATED, or FORBIDDEN) on every subscription of the connection, then the socket closes. */
  const end = (connection: Connection, error: GraphQLError) => {
    if (connection.ended.signal.aborted) return;
    connections.delete(connection);
    const reason = String(error.extensions.reason ?? error.extensions.code ?? ErrorCode.UNAUTHENTICATED);
    const code =
      error.extensions.code === ErrorCode.UNAUTHENTICATED
        ? SUBSCRIPTION_CLOSE.unauthenticated
        : SUBSCRIPTION_CLOSE.forbidden;
    connection.ended.abort(error);
    // After the error messages (sent as their streams fail, a few ticks later), never without closing.
    setTimeout(() => connection.close(code, closeReason(`${reason}: ${error.message}`)), 50);
  };

  /**
   * The organization admits each connection again, as at subscribe time (membership, status): a member
   * removed, or an organization suspended, ends its subscriptions with FORBIDDEN. One short scope per
   * caller and organization, however many connections they hold.
   */
  const readmit = (candidates: Connection[]) => {
    const verdicts = new Map<string, Promise<unknown>>();
    return Promise.all(
      candidates.map(async (connection) => {
        const { principal, tenantId } = connection;
        if (!tenantId || principal.kind === 'platform-admin') return;
        const key = `${rateLimitKey(principal, connection.ip)}|${tenantId}`;
        let verdict = verdicts.get(key);
        if (!verdict) {
          const memberUserId = principal.kind === 'user' ? principal.userId : undefined;
          const authorize = tenantAuthorizer(principal);
          verdict = runInTenantScope(deps.dataSource, { id: tenantId }, async () => undefined, {
            authorize,
            memberUserId,
          }).then(
            () => undefined,
            (error: unknown) => error,
          );
          verdicts.set(key, verdict);
        }
        const failure = await verdict;
        if (failure instanceof AppError && failure.code !== ErrorCode.INTERNAL_SERVER_ERROR)
          end(connection, errorOf(failure));
        else if (failure) logger.warn({ err: failure }, 'subscription re-admission failed; kept until the next round');
      }),
    );
  };

  const recheck = async () => {
    const verdicts = new Map<string, Promise<unknown>>();
    await Promise.all(
      [...connections].map(async (connection) => {
        if (connection.expiresAt !== undefined && Date.now() >= connection.expiresAt) {
          const expired = new UnauthenticatedError('Access token expired', { reason: 'ACCESS_TOKEN_EXPIRED' });
          return end(connection, errorOf(expired));
        }
        // One check per credential per round, however many connections share it.
        const credential = `${connection.header('authorization')}|${connection.header('x-api-key')}`;
        let verdict = verdicts.get(credential);
        if (!verdict) {
          verdict = authenticate(connection.header, config, deps.credentials).then(
            () => undefined,
            (error: unknown) => error,
          );
          verdicts.set(credential, verdict);
        }
        const failure = await verdict;
        if (failure instanceof GraphQLError && failure.extensions.code === ErrorCode.UNAUTHENTICATED) {
          end(connection, failure);
        } else if (failure) {
          logger.warn({ err: failure }, 'subscription credential check failed; kept until the next round');
        }
      }),
    );
  };
  let checking = false;
  let round = 0;
  const checker = setInterval(() => {
    if (checking) return;
    checking = true;
    const readmitting = ++round % READMIT_EVERY_ROUNDS === 0;
    void recheck()
      .then(() => (readmitting ? readmit([...connections]) : undefined))
      .finally(() => (checking = false));
  }, config.subscriptions.credentialCheckMs);
  checker.unref();

  const server = useServer<Record<string, unknown>, { connection?: Connection }>(
    {
      schema,
      async onConnect(ctx: ConnectionContext) {
        const { socket, request } = ctx.extra;
        const header = paramsHeader(ctx.connectionParams);
        const ip = request.socket.remoteAddress ?? 'unknown';
        const refuse = (code: number, error: GraphQLError) => {
          const reason = String(error.extensions.reason ?? error.extensions.code);
          socket.close(code, closeReason(`${reason}: ${error.message}`));
          return false;
        };
        let principal: Principal;
        try {
          principal = await authenticate(header, config, deps.credentials);
          if (principal.kind === 'anonymous') throw errorOf(new UnauthenticatedError('Credentials are required'));
        } catch (error) {
          const rateLimited = await limited(`ip:${ip}`); // failed authentications use the IP's allowance
          if (rateLimited) return refuse(SUBSCRIPTION_CLOSE.rateLimited, rateLimited);
          const refusal = errorOf(error);
          if (refusal.extensions.code !== ErrorCode.UNAUTHENTICATED) throw error;
          return refuse(SUBSCRIPTION_CLOSE.unauthenticated, refusal);
        }
        const rateLimited = await limited(rateLimitKey(principal, ip));
        if (rateLimited) return refuse(SUBSCRIPTION_CLOSE.rateLimited, rateLimited);
        const connection: Connection = {
          id: randomUUID(),
          header,
          principal,
          ip,
          expiresAt: accessTokenExpiry(header, principal),
          ended: new AbortController(),
          close: (code, reason) => socket.close(code, reason),
        };
        connections.add(connection);
        ctx.extra.connection = connection;
        return true;
      },
      async onSubscribe(ctx: ConnectionContext, _id: string, payload: SubscribePayload) {
        const connection = ctx.extra.connection!;
        let document: DocumentNode;
        try {
          document = parse(payload.query, { maxTokens: config.graphql.maxTokens });
        } catch (error) {
          return [errorOf(error)];
        }
        const invalid = validate(schema, document);
        if (invalid.length) return invalid;
        if (getOperationAST(document, payload.operationName)?.operation !== 'subscription') {
          const message = 'Only subscriptions are served over WebSocket: send queries and mutations over HTTP';
          return [
            new GraphQLError(message, { extensions: { code: ErrorCode.BAD_USER_INPUT, reason: 'NOT_A_SUBSCRIPTION' } }),
          ];
        }
        const rateLimited = await limited(rateLimitKey(connection.principal, connection.ip));
        if (rateLimited) return [rateLimited];
        const authorize = tenantAuthorizer(connection.principal);
        const meter = deps.apiCalls?.forRequest(connection.principal);
        const contextValue: SubscriptionContext = {
          requestId: randomUUID(),
          principal: connection.principal,
          organizationRef: connection.header('x-organization-id') || undefined,
          client: { ip: connection.ip, userAgent: ctx.extra.request.headers['user-agent']?.slice(0, 500) },
          logger,
          dataSource: deps.dataSource,
          authorizeTenant: async (tenant: ScopedTenant) => {
            await authorize(tenant);
            connection.tenantId = tenant.id;
            meter?.(tenant.id);
          },
          tenantScope: new OperationScope(),
          eventSubscriptions: deps.eventSubscriptions,
          credentialsEnded: connection.ended.signal,
        };
        return {
          schema,
          document,
          operationName: payload.operationName,
          variableValues: payload.variables,
          contextValue,
        };
      },
      // Results carry the errors of a refused subscribe (policy, replay window): formatted like every other.
      onNext: (
        _ctx: ConnectionContext,
        _id: string,
        _payload: SubscribePayload,
        _args: unknown,
        result: ExecutionResult,
      ) =>
        result.errors && { ...result, errors: result.errors.map((error) => deps.formatError(error.toJSON(), error)) },
      onError: (_ctx: ConnectionContext, _id: string, _payload: SubscribePayload, errors: readonly GraphQLError[]) =>
        errors.map((error) => deps.formatError(error.toJSON(), error)),
      onClose(ctx: ConnectionContext) {
        const connection = ctx.extra.connection;
        if (connection) connections.delete(connection);
      },
    },
    wss,
    config.subscriptions.keepAliveMs,
  );

  return {
    /** Closes every socket (1001), then the WebSocket server; sockets that do not answer are cut. */
    async close(): Promise<void> {
      clearInterval(checker);
      const disposed = server.dispose();
      const timeout = new Promise((resolve) => setTimeout(resolve, 1000).unref());
      await Promise.race([disposed, timeout]);
      for (const client of wss.clients) client.terminate();
    },
  };
}
