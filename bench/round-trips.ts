import { Client } from 'pg';

/** Counts the statements `run` sends to PostgreSQL (every pg `Client.query` call is one round trip) that `counts`. */
export async function statementsDuring(
  run: () => Promise<unknown>,
  counts: (text: unknown) => boolean = () => true,
): Promise<number> {
  const proto = Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  let calls = 0;
  proto.query = function (this: Client, ...args: unknown[]) {
    if (counts(args[0])) calls++;
    return original.apply(this, args);
  };
  try {
    await run();
  } finally {
    proto.query = original;
  }
  return calls;
}

/**
 * Statements sent to PostgreSQL per request. Sends `samples` requests one after another with `send(i)` while counting.
 */
export async function roundTripsPerRequest(
  samples: number,
  send: (index: number) => Promise<unknown>,
): Promise<number> {
  const calls = await statementsDuring(async () => {
    for (let i = 0; i < samples; i++) await send(i);
  });
  return calls / samples;
}
