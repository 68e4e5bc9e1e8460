import { Client } from 'pg';

/**
 * Statements sent to PostgreSQL per request: every pg `Client.query` call is one round trip.
 * Sends `samples` requests one after another with `send(i)` while counting.
 */
export async function roundTripsPerRequest(samples: number, send: (index: number) => Promise<unknown>): Promise<number> {
  const proto = Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  let calls = 0;
  proto.query = function (this: Client, ...args: unknown[]) {
    calls++;
    return original.apply(this, args);
  };
  try {
    for (let i = 0; i < samples; i++) await send(i);
  } finally {
    proto.query = original;
  }
  return calls / samples;
}
