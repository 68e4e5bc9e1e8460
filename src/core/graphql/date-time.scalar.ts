import { GraphQLError, GraphQLScalarType, type ValueNode } from 'graphql';
import { GraphQLDateTimeISO } from 'graphql-scalars';
import { ErrorCode } from '../errors/error-code';
import { DATE_RANGE_TEXT, isDateInRange } from '../validation/date-range';

function inRange(date: Date): Date {
  if (isDateInRange(date)) return date;
  throw new GraphQLError(`A date-time must be within ${DATE_RANGE_TEXT}`, {
    extensions: { code: ErrorCode.BAD_USER_INPUT, reason: 'DATE_OUT_OF_RANGE' },
  });
}

/**
 * `DateTimeISO` as graphql-scalars defines it, except that inputs outside the API's range of years are
 * refused. Mapped to every `Date` of the schema (src/app/schema.ts), so no date-time input can bypass it.
 */
export const DateTimeScalar = new GraphQLScalarType<Date, string>({
  ...GraphQLDateTimeISO.toConfig(),
  description: `${GraphQLDateTimeISO.description} Inputs must be within ${DATE_RANGE_TEXT} (BAD_USER_INPUT).`,
  parseValue: (value: unknown) => inRange(GraphQLDateTimeISO.parseValue(value)),
  parseLiteral: (ast: ValueNode, variables?: Record<string, unknown> | null) =>
    inRange(GraphQLDateTimeISO.parseLiteral(ast, variables)),
});
