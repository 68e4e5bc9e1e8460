import DataLoader from 'dataloader';
import { InternalError } from '../errors/app-error';
import type { TenantRequest } from './tenant-request';
import { openRequestTenantScope } from './tenant-request';
import type { OpenTenantScope, TenantScope } from './tenant-scope';

/**
 * A batched read of tenant data for a DataLoader: one query for all `keys` (in the scope's transaction),
 * answers in the keys' order. Define it once (module level or once per resolver instance); `cacheKey`
 * for keys that are not strings (a parent id with its page arguments).
 */
export interface BatchLoad<K, V> {
  batch(scope: TenantScope, keys: readonly K[]): Promise<readonly (V | Error)[]>;
  cacheKey?: (key: K) => string;
}

export const defineBatchLoad = <K, V>(
  batch: BatchLoad<K, V>['batch'],
  cacheKey?: (key: K) => string,
): BatchLoad<K, V> => ({ batch, cacheKey });

/**
 * The organization scope of ONE GraphQL operation: opened by the first field whose policy needs the
 * organization (`open`), held while the whole result resolves, nested fields included, and closed
 * once by the operation-scope plugin: committed when the result has no error, rolled back otherwise,
 * its connection always released. Its DataLoaders live and die with it, bound to its manager.
 */
export class OperationScope {
  private opening?: Promise<OpenTenantScope>;
  private opened?: OpenTenantScope;
  private closed = false;
  private readonly loaders = new Map<BatchLoad<unknown, unknown>, DataLoader<unknown, unknown>>();

  /** The open scope, synchronously (so the fields of a list item cost no extra tick); undefined before. */
  get current(): TenantScope | undefined {
    return this.opened;
  }

  /** Opens the scope once; every later call answers the same scope (or the same refusal). */
  open(request: TenantRequest): Promise<TenantScope> {
    if (this.closed) return Promise.reject(new InternalError('The operation tenant scope is closed'));
    this.opening ??= openRequestTenantScope(request).then((scope) => (this.opened = scope));
    return this.opening;
  }

  /** Tenant code that runs outside the scope is a bug: fail loudly instead of reading `public`. */
  require(): TenantScope {
    if (!this.opened) throw new InternalError('Tenant data accessed outside a tenant scope');
    return this.opened;
  }

  /** `key` through the operation's DataLoader for `load`: every key asked in one tick is one query. */
  load<K, V>(load: BatchLoad<K, V>, key: K): Promise<V> {
    let loader = this.loaders.get(load as BatchLoad<unknown, unknown>) as DataLoader<K, V, string> | undefined;
    if (!loader) {
      const scope = this.require();
      loader = new DataLoader<K, V, string>((keys) => load.batch(scope, keys), { cacheKeyFn: load.cacheKey });
      this.loaders.set(load as BatchLoad<unknown, unknown>, loader as DataLoader<unknown, unknown>);
    }
    return loader.load(key);
  }

  /**
   * Commits (no `failure`) or rolls back, and releases the connection; nothing to do when the
   * operation never opened it. Throws when the commit fails. Later `open` calls are refused.
   */
  async close(failure?: unknown): Promise<void> {
    this.closed = true;
    const opening = this.opening;
    this.opening = undefined;
    this.opened = undefined;
    this.loaders.clear();
    const scope = await opening?.catch(() => undefined); // a scope that failed to open holds nothing
    await scope?.close(failure);
  }
}
