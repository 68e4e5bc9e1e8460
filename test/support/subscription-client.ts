import { print } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { TestApp } from './test-app';

export interface ReceivedError {
  message: string;
  extensions?: { code?: string; reason?: string };
}

/** One subscription's stream as a test reads it: what arrived, how it ended. */
export interface TestSubscription<T> {
  received: T[];
  errors: ReceivedError[];
  /** The close event, when the socket closing ended it. */
  closed?: { code: number; reason: string };
  /** Resolves once the subscription ended (completed, errored or closed). */
  ended: Promise<void>;
  /** Resolves with the first `count` results, or rejects after `withinMs`. */
  next(count: number, withinMs?: number): Promise<T[]>;
}

export interface TestSubscriber {
  client: Client;
  /** Every close of the client's socket, with its code and reason. */
  closes: { code: number; reason: string }[];
  subscribe<T, V>(document: TypedDocumentNode<T, V>, variables?: V): TestSubscription<T>;
  close(): Promise<void>;
}

/** The package's real client (`graphql-ws` createClient over `ws`), never retrying: a close is the end. */
export function connectSubscriber(
  app: Pick<TestApp, 'url'>,
  connectionParams: Record<string, string>,
  options: { lazy?: boolean } = {},
): TestSubscriber {
  const closes: TestSubscriber['closes'] = [];
  const client = createClient({
    url: `${app.url.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams,
    retryAttempts: 0,
    lazy: options.lazy ?? true,
    onNonLazyError: () => undefined, // recorded in `closes`
    on: { closed: (event) => void closes.push(event as { code: number; reason: string }) },
  });
  return {
    client,
    closes,
    subscribe<T, V>(document: TypedDocumentNode<T, V>, variables?: V) {
      const subscription: TestSubscription<T> = {
        received: [],
        errors: [],
        ended: undefined as unknown as Promise<void>,
        next: (count, withinMs = 1000) =>
          new Promise((resolve, reject) => {
            const started = Date.now();
            const poll = () => {
              if (subscription.received.length >= count) return resolve(subscription.received.slice(0, count));
              if (Date.now() - started > withinMs) {
                const got = JSON.stringify({ received: subscription.received, errors: subscription.errors });
                return reject(new Error(`${count} results expected within ${withinMs} ms, got ${got}`));
              }
              setTimeout(poll, 5);
            };
            poll();
          }),
      };
      subscription.ended = new Promise<void>((resolve) => {
        client.subscribe<T>(
          { query: print(document), variables: variables as Record<string, unknown> | undefined },
          {
            next: (result) => {
              if (result.data) subscription.received.push(result.data as T);
              if (result.errors) subscription.errors.push(...(result.errors as ReceivedError[]));
            },
            error: (error) => {
              if (Array.isArray(error)) subscription.errors.push(...(error as ReceivedError[]));
              else if (error && typeof (error as { code?: unknown }).code === 'number') {
                const { code, reason } = error as { code: number; reason: string };
                subscription.closed = { code, reason };
              } else subscription.errors.push({ message: String(error) });
              resolve();
            },
            complete: resolve,
          },
        );
      });
      return subscription;
    },
    close: () => client.dispose() as Promise<void>,
  };
}

/** Waits until `condition` holds (the server registered the subscriptions, say), at most `withinMs`. */
export async function until(condition: () => boolean, withinMs = 3000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > withinMs) throw new Error(`condition not met within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
