import net from 'node:net';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/core/logging/logger';

/** The codes a client may receive (README "Errors"). */
const DOCUMENTED_CODES = new Set([
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'BAD_USER_INPUT',
  'NOT_FOUND',
  'CONFLICT',
  'LIMIT_EXCEEDED',
  'PLAN_UPGRADE_REQUIRED',
  'RATE_LIMITED',
]);

export interface LogLine {
  level: number;
  requestId?: string;
  outcome?: string;
  msg?: string;
  [key: string]: unknown;
}

/** A logger like production's (its mixin included) whose lines are kept. */
export function capturedLogger() {
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: createLogger('info', {}, sink), lines };
}

/** One answer as the suite judges it. */
export interface Answer {
  status: number;
  contentType: string;
  requestId: string | null;
  body: unknown;
  text: string;
}

export interface HttpCase {
  label: string;
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export async function send(base: string, c: HttpCase): Promise<Answer> {
  const response = await fetch(`${base}${c.path}`, { method: c.method, headers: c.headers, body: c.body });
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const header = (name: string) => response.headers.get(name);
  const contentType = header('content-type') ?? '';
  return { status: response.status, contentType, requestId: header('x-request-id'), body, text };
}

type ErrorBody = { errors?: { message?: unknown; extensions?: { code?: unknown } }[] };

/** What is wrong with an answer (none when it is an acceptable answer to a hostile request). */
export function faultsOf(answer: Answer, mustRefuse = false): string[] {
  const faults: string[] = [];
  if (answer.status >= 500) faults.push(`HTTP ${answer.status}`);
  const errors = (answer.body as ErrorBody | undefined)?.errors;
  const json = answer.contentType.includes('json');
  if (answer.status >= 400 && !json) faults.push(`non-JSON error body ${answer.text.slice(0, 60)}`);
  if (answer.status >= 400 && !errors?.length) faults.push(`error without {errors:[…]}: ${answer.text.slice(0, 120)}`);
  for (const error of errors ?? []) {
    const code = String(error.extensions?.code);
    if (!DOCUMENTED_CODES.has(code)) faults.push(`${code}: ${String(error.message).slice(0, 160)}`);
  }
  if (mustRefuse && !errors?.length) faults.push('blank name accepted');
  return faults;
}

/** An answer with errors must have a log line with its request id saying so (its outcome, or a warning or worse). */
export function unlogged(answer: Answer, lines: LogLine[]): string | undefined {
  if (!answer.requestId) return 'no X-Request-Id';
  const errors = (answer.body as ErrorBody | undefined)?.errors;
  if (!errors?.length && answer.status < 400) return undefined;
  const mine = lines.filter((l) => l.requestId === answer.requestId);
  if (!mine.length) return 'no log line with its request id';
  const code = String(errors?.[0]?.extensions?.code);
  return mine.some((l) => l.level >= 40 || l.outcome === code) ? undefined : 'error not in its log lines';
}

/**
 * A request whose headers announce `contentLength` bytes and that sends a few: the answer must come
 * on the headers alone (413), within `timeoutMs`. Raw socket: fetch would want to send the body.
 */
export function announceHugeBody(port: number, method: string, path: string, length: number, timeoutMs = 3000) {
  return new Promise<Answer>((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let raw = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`${method} ${path}: no answer within ${timeoutMs} ms to Content-Length ${length}`));
    }, timeoutMs);
    socket.on('data', (chunk) => (raw += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      const [head, ...rest] = raw.split('\r\n\r\n');
      const headers = head.split('\r\n');
      const line = (name: string) => headers.find((h) => h.toLowerCase().startsWith(`${name}:`));
      const header = (name: string) =>
        line(name)
          ?.slice(name.length + 1)
          .trim() ?? null;
      let text = rest.join('\r\n\r\n');
      const chunked = /chunked/i.test(header('transfer-encoding') ?? '');
      if (chunked) text = text.replace(/^[0-9a-f]+\r\n/i, '').replace(/\r\n0\r\n\r\n$/, '');
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      const status = Number(headers[0]?.split(' ')[1] ?? 0);
      resolve({ status, contentType: header('content-type') ?? '', requestId: header('x-request-id'), body, text });
    });
    const head = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Content-Type: application/json'];
    head.push(`Content-Length: ${length}`);
    socket.write(`${head.join('\r\n')}\r\n\r\n{"a":`);
  });
}

/** Runs `work` over `items`, `concurrency` at a time. */
export async function eachLimited<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}
