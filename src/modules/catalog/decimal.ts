import { GraphQLScalarType, Kind } from 'graphql';
import { BadUserInputError } from '../../core/errors/app-error';

/**
 * Exact decimal arithmetic for money: values are BigInt integers at a fixed scale
 * (10^scale units), never JS numbers. Rounding rule, used everywhere money is
 * rounded: half away from zero ("half-up" on magnitudes) to the target scale.
 */
const DECIMAL = /^(-?)(\d{1,30})(?:\.(\d{1,18}))?$/;

/** Parses `"12.5"` at scale 2 into `1250n`; more fractional digits than `scale` is BAD_USER_INPUT. */
export function toScaled(value: string, scale: number, field = 'value'): bigint {
  const match = DECIMAL.exec(value.trim());
  if (!match) throw new BadUserInputError(`${field} must be a decimal number`, { reason: 'INVALID_DECIMAL', field });
  const [, sign, whole, fraction = ''] = match;
  if (fraction.length > scale) {
    throw new BadUserInputError(`${field} allows at most ${scale} decimal places`, {
      reason: 'TOO_MANY_DECIMALS',
      field,
    });
  }
  const scaled = BigInt(whole + fraction.padEnd(scale, '0'));
  return sign ? -scaled : scaled;
}

/** Formats `1250n` at scale 2 as `"12.50"`. */
export function fromScaled(value: bigint, scale: number): string {
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const fraction = scale ? `.${digits.slice(digits.length - scale)}` : '';
  return `${negative ? '-' : ''}${whole}${fraction}`;
}

/** Rescales from `fromScale` down to `toScale`, rounding half away from zero. */
export function roundHalfUp(value: bigint, fromScale: number, toScale: number): bigint {
  if (toScale >= fromScale) return value * 10n ** BigInt(toScale - fromScale);
  const divisor = 10n ** BigInt(fromScale - toScale);
  const magnitude = value < 0n ? -value : value;
  const rounded = (magnitude + divisor / 2n) / divisor;
  return value < 0n ? -rounded : rounded;
}

/** Decimal values travel as strings so no client or server step turns them into floats. */
export const DecimalScalar = new GraphQLScalarType<string, string>({
  name: 'Decimal',
  description: 'An exact decimal number as a string, e.g. "1234.50"',
  serialize: (value) => String(value),
  parseValue: (value) => {
    if (typeof value !== 'string' || !DECIMAL.test(value.trim())) {
      throw new BadUserInputError('Decimal values are strings like "12.50"', { reason: 'INVALID_DECIMAL' });
    }
    return value.trim();
  },
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING || !DECIMAL.test(ast.value.trim())) {
      throw new BadUserInputError('Decimal values are strings like "12.50"', { reason: 'INVALID_DECIMAL' });
    }
    return ast.value.trim();
  },
});
