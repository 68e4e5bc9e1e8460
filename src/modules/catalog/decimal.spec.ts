import { fromScaled, roundHalfUp, toScaled } from './decimal';

describe('exact decimals', () => {
  it('parses and formats without floating point', () => {
    expect(toScaled('0.1', 2)).toBe(10n);
    expect(fromScaled(toScaled('0.1', 2) * 3n, 2)).toBe('0.30'); // 0.1 * 3 in floats is 0.30000000000000004
    expect(fromScaled(toScaled('-0.05', 2), 2)).toBe('-0.05');
    expect(fromScaled(toScaled('12', 3), 3)).toBe('12.000');
    expect(fromScaled(toScaled(' 999999999999.99 ', 2), 2)).toBe('999999999999.99');
    expect(fromScaled(toScaled('123456789012345678.12', 2) + 1n, 2)).toBe('123456789012345678.13'); // beyond 2^53
  });

  it('rejects what is not a decimal or needs rounding', () => {
    expect(() => toScaled('1e3', 2)).toThrow(
      expect.objectContaining({
        code: 'BAD_USER_INPUT',
        details: expect.objectContaining({ reason: 'INVALID_DECIMAL' }),
      }),
    );
    expect(() => toScaled('1.', 2)).toThrow(/decimal number/);
    expect(() => toScaled('abc', 2)).toThrow(/decimal number/);
    expect(() => toScaled('0.125', 2, 'unitPrice')).toThrow(
      expect.objectContaining({ details: { reason: 'TOO_MANY_DECIMALS', field: 'unitPrice' } }),
    );
  });

  it('rounds half away from zero', () => {
    expect(roundHalfUp(12345n, 3, 2)).toBe(1235n); // 12.345 -> 12.35
    expect(roundHalfUp(12344n, 3, 2)).toBe(1234n);
    expect(roundHalfUp(-12345n, 3, 2)).toBe(-1235n);
    expect(roundHalfUp(5n, 1, 0)).toBe(1n);
    expect(roundHalfUp(4n, 1, 0)).toBe(0n);
    expect(roundHalfUp(7n, 2, 4)).toBe(700n);
  });
});
