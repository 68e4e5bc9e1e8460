import { AsyncLocalStorage } from 'node:async_hooks';
import type { PoolClient, QueryResult } from 'pg';
import type { DataSource, EntityManager, QueryRunner } from 'typeorm';
import type { PostgresQueryRunner } from 'typeorm/driver/postgres/PostgresQueryRunner';
import type { MemberRole } from '../authorization/member-role';
import { ForbiddenError, InternalError, NotFoundError } from '../errors/app-error';
import { assertTenantSchema, isUuid, type TenantRef } from './tenant-schema';

export type TenantStatus = 'PROVISIONING' | 'ACTIVE' | 'SUSPENDED' | 'FAILED' | 'ARCHIVED';

/** What the tenancy layer knows of a tenant: the row in `public.tenants` that scopes a request. */
export interface ScopedTenant {
  id: string;
  slug: string;
  status: TenantStatus;
  schema: string;
  /** With `memberUserId`: that user's role here, null when they are not a member. */
  memberRole?: MemberRole | null;
}

export interface TenantScope {
  tenant: ScopedTenant;
  /** The transaction's manager: every query through it runs in the tenant's schema. */
  manager: EntityManager;
}

const scopeStorage = new AsyncLocalStorage<TenantScope>();

/** Tenant code that runs outside a scope is a bug: fail loudly instead of reading `public`. */
export function requireTenantScope(): TenantScope {
  const scope = scopeStorage.getStore();
  if (!scope) throw new InternalError('Tenant data accessed outside a tenant scope');
  return scope;
}

/**
 * Opens the transaction and points `search_path` at the tenant's schema in ONE
 * round trip: `BEGIN` and the lookup travel as one simple-protocol message. The
 * lookup sets the path transaction-locally (`set_config(…, true)`), so nothing
 * survives the transaction even behind a transaction-mode pooler, and `public`
 * is deliberately not in the path: a missing table fails instead of falling
 * through to shared data. The ref has been validated (uuid, slug or external id) and is
 * escaped as a literal as well.
 */
function openingStatement(client: PoolClient, ref: TenantRef, memberUserId?: string, actor = 'system'): string {
  const [column, value] = 'id' in ref ? ['id', ref.id] : 'slug' in ref ? ['slug', ref.slug] : [undefined, ref.external];
  const literal = client.escapeLiteral(value);
  // A provider's organization id may look like an id or a slug (Keycloak uses uuids): our own column wins. The
  // row is picked in a subquery, so set_config runs for that one row only.
  const match = column
    ? `t.${column} = ${literal} OR t.external_organization_id = ${literal} ORDER BY t.${column} = ${literal} DESC`
    : `t.external_organization_id = ${literal}`;
  // The caller's membership rides along in the same statement: no extra round trip to authorize.
  const memberRole = memberUserId
    ? `, (SELECT m.role FROM public.memberships m WHERE m.tenant_id = t.id AND m.user_id = ${client.escapeLiteral(memberUserId)}) AS member_role`
    : '';
  return (
    'BEGIN; SELECT t.id, t.slug, t.status, t.schema_name, ' +
    "set_config('search_path', quote_ident(t.schema_name), true) AS search_path, " +
    // Who acts, for the domain events this transaction records (their column defaults read these).
    `set_config('tenantql.tenant_id', t.id::text, true) AS event_tenant, ` +
    `set_config('tenantql.actor', ${client.escapeLiteral(actor)}, true) AS event_actor` +
    `${memberRole} FROM (SELECT * FROM public.tenants t WHERE ${match} LIMIT 1) t`
  );
}

/**
 * TypeORM believes it opened the transaction, so `commitTransaction`, `rollbackTransaction`
 * and nested `manager.transaction()` (savepoints) keep working on this runner.
 */
function adoptOpenTransaction(runner: QueryRunner): void {
  Object.assign(runner, { isTransactionActive: true, transactionDepth: 1 });
}

/** TypeORM's public `release()` cannot pass the error that tells the pool to discard the connection. */
function releaseConnection(runner: PostgresQueryRunner, error?: Error): Promise<void> {
  return (runner as unknown as { releasePostgresConnection(err?: Error): Promise<void> }).releasePostgresConnection(
    error,
  );
}

/** Connections whose `query` already queues (installed once per connection: no per-request change to the object). */
const queuing = new WeakSet<PoolClient>();

/**
 * The fields of one operation query concurrently through its one connection: pg would queue them
 * itself but deprecates that (pg 9 drops it), so the connection queues them in order.
 */
function queueQueries(client: PoolClient): void {
  if (queuing.has(client)) return;
  queuing.add(client);
  // Looked up at each call, so the class's own `query` (or a wrapper of it) stays in charge.
  const proto = Object.getPrototypeOf(client) as { query: (...args: unknown[]) => Promise<unknown> };
  let tail: Promise<unknown> = Promise.resolve();
  const queued = (...args: unknown[]) => {
    const run = tail.then(() => proto.query.apply(client, args));
    tail = run.catch(() => undefined);
    return run;
  };
  Object.assign(client, { query: queued });
}

export interface TenantScopeOptions {
  /** Throws when the caller may not act for this tenant; runs inside the transaction, before any work. */
  authorize?: (tenant: ScopedTenant) => void | Promise<void>;
  /** Allow statuses other than ACTIVE (platform maintenance). */
  allowInactive?: boolean;
  /** Look up this user's membership in the opening statement; `authorize` gets it as `tenant.memberRole`. */
  memberUserId?: string;
  /** Who acts in this transaction, recorded on its domain events (`user:<id>`, `api_key:<id>`, …); default `system`. */
  actor?: string;
}

/** A tenant transaction that is open: its manager, and `close` to commit (or roll back) and release it. */
export interface OpenTenantScope extends TenantScope {
  /**
   * Commits when `failure` is absent, rolls back otherwise; always gives the connection back. Throws when commit fails.
   */
  close(failure?: unknown): Promise<void>;
}

/**
 * Opens one pooled connection and one transaction scoped to the tenant (one round trip, see
 * `openingStatement`), checks its status and `authorize`s the caller. On any failure here the
 * transaction is rolled back and the connection released before the error is thrown.
 */
export async function openTenantScope(
  dataSource: DataSource,
  ref: TenantRef,
  options: TenantScopeOptions = {},
): Promise<OpenTenantScope> {
  if (options.memberUserId !== undefined && !isUuid(options.memberUserId))
    throw new InternalError('memberUserId must be a uuid');
  const runner = dataSource.createQueryRunner() as PostgresQueryRunner;
  const client = (await runner.connect()) as PoolClient;
  queueQueries(client);
  let releaseError: Error | undefined;
  // A connection whose rollback failed is broken: hand the error to the pool so it is discarded.
  const close = async (failure?: unknown) => {
    try {
      if (failure === undefined) await runner.commitTransaction();
    } finally {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch((e: Error) => (releaseError = e));
      await releaseConnection(runner, releaseError);
    }
  };
  try {
    let results: QueryResult[];
    try {
      results = (await client.query(
        openingStatement(client, ref, options.memberUserId, options.actor),
      )) as unknown as QueryResult[];
    } catch (error) {
      await client.query('ROLLBACK').catch((e: Error) => (releaseError = e));
      throw error;
    }
    adoptOpenTransaction(runner);
    const row = results[1].rows[0] as
      | { id: string; slug: string; status: TenantStatus; schema_name: string; member_role?: MemberRole | null }
      | undefined;
    if (!row) throw new NotFoundError('Organization');
    const tenant: ScopedTenant = {
      id: row.id,
      slug: row.slug,
      status: row.status,
      schema: assertTenantSchema(row.schema_name),
    };
    if (options.memberUserId) tenant.memberRole = row.member_role ?? null;
    if (tenant.status !== 'ACTIVE' && !options.allowInactive) {
      throw new ForbiddenError(`Organization is ${tenant.status.toLowerCase()}`, { reason: `TENANT_${tenant.status}` });
    }
    await options.authorize?.(tenant);
    return { tenant, manager: runner.manager, close };
  } catch (error) {
    await close(error);
    throw error;
  }
}

/**
 * Runs `work` on one pooled connection inside one transaction scoped to the tenant:
 * commit on success, roll back on any error, always release the connection.
 */
export async function runInTenantScope<T>(
  dataSource: DataSource,
  ref: TenantRef,
  work: (manager: EntityManager, tenant: ScopedTenant) => Promise<T>,
  options: TenantScopeOptions = {},
): Promise<T> {
  const scope = await openTenantScope(dataSource, ref, options);
  let result: T;
  try {
    result = await scopeStorage.run({ tenant: scope.tenant, manager: scope.manager }, () =>
      work(scope.manager, scope.tenant),
    );
  } catch (error) {
    await scope.close(error);
    throw error;
  }
  await scope.close();
  return result;
}

/**
 * For platform code that must work inside a known schema (provisioning, migrations,
 * per-tenant jobs): same guarantees as `runInTenantScope`, schema given directly.
 * With `tenant` (whose schema it is), `work` also runs in that tenant's scope, so
 * tenant code reached from a job (`requireTenantScope`) works as in a request.
 */
export async function runInSchema<T>(
  dataSource: DataSource,
  schema: string,
  work: (manager: EntityManager, runner: QueryRunner) => Promise<T>,
  tenant?: ScopedTenant,
  options: { lockTimeoutMs?: number } = {},
): Promise<T> {
  if (tenant && tenant.schema !== schema) throw new InternalError('Tenant scope does not match the schema');
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.startTransaction();
    // The schema's tenant, for the domain events this transaction records, also when the caller did not name it;
    // `lockTimeoutMs` bounds every wait for a lock in the transaction (migrations), in the same statement.
    const lockTimeout = options.lockTimeoutMs === undefined ? [] : [`${options.lockTimeoutMs}ms`];
    await runner.query(
      `SELECT set_config('search_path', quote_ident($1), true), set_config('tenantql.tenant_id',
         coalesce($2, (SELECT id::text FROM public.tenants WHERE schema_name = $1), ''), true)` +
        (lockTimeout.length ? `, set_config('lock_timeout', $3, true)` : ''),
      [assertTenantSchema(schema), tenant?.id ?? null, ...lockTimeout],
    );
    const run = () => work(runner.manager, runner);
    const result = tenant ? await scopeStorage.run({ tenant, manager: runner.manager }, run) : await run();
    await runner.commitTransaction();
    return result;
  } catch (error) {
    if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
    throw error;
  } finally {
    await runner.release();
  }
}
