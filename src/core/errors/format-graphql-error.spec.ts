import { Writable } from 'node:stream';
import { GraphQLError } from 'graphql';
import pino from 'pino';
import { ArgumentValidationError } from 'type-graphql';
import { QueryFailedError } from 'typeorm';
import { createErrorFormatter } from './format-graphql-error';

function formatterWithLog(isProduction = true) {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({ write: (chunk, _e, done) => (lines.push(JSON.parse(String(chunk))), done()) });
  const internal: unknown[] = [];
  const format = createErrorFormatter({ isProduction, logger: pino(sink), onInternalError: (e) => internal.push(e) });
  return { format, lines, internal };
}

const INTERNAL = { message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } };
const pgError = (code: string) =>
  new QueryFailedError('SELECT 1', [], Object.assign(new Error(`pg ${code}`), { code }));

describe('the error formatter', () => {
  it('never throws: a failure while formatting is logged and answered as INTERNAL_SERVER_ERROR', () => {
    const { format, lines, internal } = formatterWithLog();
    const hostile = {
      get message(): string {
        throw new Error('boom');
      },
    };
    expect(format(hostile as never, new Error('x'))).toEqual(INTERNAL);
    expect(lines[0]).toMatchObject({ level: 50, msg: 'the error formatter failed; answered as an internal error' });
    expect(internal).toHaveLength(1);
  });

  it('a validation error whose details are not a list is still BAD_USER_INPUT', () => {
    const { format } = formatterWithLog();
    const error = new ArgumentValidationError([]);
    (error.extensions as Record<string, unknown>).validationErrors = 'not a list';
    expect(format({ message: 'x' }, error).extensions).toEqual({ code: 'BAD_USER_INPUT', validationErrors: [] });
  });

  it.each([
    ['22021', 'INVALID_CHARACTERS'],
    ['22P05', 'INVALID_CHARACTERS'],
    ['22008', 'INVALID_DATE'],
    ['22007', 'INVALID_DATE'],
    ['22003', 'OUT_OF_RANGE'],
  ])('maps SQLSTATE %s (a bad value of the caller) to BAD_USER_INPUT %s, logged as a warning', (sqlState, reason) => {
    const { format, lines, internal } = formatterWithLog();
    expect(format({ message: 'x' }, pgError(sqlState)).extensions).toEqual({ code: 'BAD_USER_INPUT', reason });
    expect(lines[0]).toMatchObject({ level: 40, sqlState });
    expect(internal).toEqual([]);
  });

  it('an error it cannot classify is logged at error level and masked in production', () => {
    const { format, lines, internal } = formatterWithLog();
    expect(format({ message: 'secret detail' }, new Error('secret detail'))).toEqual(INTERNAL);
    expect(lines[0]).toMatchObject({ level: 50, msg: 'unhandled error' });
    expect(internal).toHaveLength(1);
  });

  it('hides "Did you mean" suggestions in production only', () => {
    const message = 'Value "ACTIV" does not exist in "TenantStatus" enum. Did you mean the enum value "ACTIVE"?';
    const validation = new GraphQLError(message, { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
    const formatted = { message, extensions: validation.extensions };
    const hidden = 'Value "ACTIV" does not exist in "TenantStatus" enum.';
    expect(formatterWithLog(true).format(formatted, validation).message).toBe(hidden);
    expect(formatterWithLog(false).format(formatted, validation).message).toBe(message);
  });

  it('protocol errors without a code get BAD_USER_INPUT with a documented reason, never INTERNAL', () => {
    const { format, internal } = formatterWithLog();
    const cases: [string, string][] = [
      ['provided sha does not match query', 'PERSISTED_QUERY_HASH_MISMATCH'],
      ['Unsupported persisted query version', 'PERSISTED_QUERY_VERSION_UNSUPPORTED'],
      ['Too many errors processing variables, error limit reached. Execution aborted.', 'TOO_MANY_VARIABLE_ERRORS'],
      ['Syntax Error: Document contains more that 5000 tokens. Parsing aborted.', 'TOO_MANY_TOKENS'],
    ];
    for (const [message, reason] of cases) {
      const formatted = format({ message, extensions: { code: 'INTERNAL_SERVER_ERROR' } }, new GraphQLError(message));
      expect(formatted.extensions).toEqual({ code: 'BAD_USER_INPUT', reason });
      expect(formatted.message).not.toMatch(/syntax error/i);
    }
    expect(internal).toEqual([]);
  });
});
