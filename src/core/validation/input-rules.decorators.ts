import {
  IS_DEFINED,
  IsOptional,
  registerDecorator,
  ValidatorConstraint,
  type ValidationArguments,
  type ValidatorConstraintInterface,
} from 'class-validator';
import { Field } from 'type-graphql';
import { DATE_RANGE_TEXT, isDateInRange, parseCalendarDate } from './date-range';

/** What `@Field(() => …)` takes (type-graphql does not export the type). */
type FieldType = NonNullable<Parameters<typeof Field>[0]>;

/*
 * Input rules shared by every module. Their constraint names are the documented reasons a client
 * finds in `validationErrors[].constraints` (docs/api-conventions.md).
 */

@ValidatorConstraint({ name: 'NULL_NOT_ALLOWED' })
class NullNotAllowedConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return value !== null;
  }

  defaultMessage(args?: ValidationArguments): string {
    return `${args?.property} cannot be null: omit it to keep the current value`;
  }
}

/** Null is refused, omission allowed. Registered as an IS_DEFINED check: the only kind class-validator runs on null. */
function NullNotAllowed(): PropertyDecorator {
  return (target, property) =>
    registerDecorator({
      name: IS_DEFINED,
      target: target.constructor,
      propertyName: String(property),
      validator: NullNotAllowedConstraint,
    });
}

export interface PatchFieldOptions {
  description?: string;
  /** The value may be emptied: null clears it. Otherwise null is refused (NULL_NOT_ALLOWED). */
  clearable?: boolean;
}

/**
 * An optional input field under the API's one rule: omitted leaves the value unchanged, null clears a
 * clearable field and is refused on one that cannot be empty; the field's description says which.
 * Do not add `@IsOptional()` to it: that would skip the null check.
 */
export function PatchField(type: FieldType, options: PatchFieldOptions = {}): PropertyDecorator {
  const rule = options.clearable ? 'Optional; null clears it' : 'Omit to keep; null is refused (NULL_NOT_ALLOWED)';
  const description = options.description ? `${options.description}. ${rule}` : rule;
  return (target, property) => {
    Field(type, { nullable: true, description })(target, property);
    (options.clearable ? IsOptional() : NullNotAllowed())(target, property);
  };
}

/** A required human-readable text (name, title, subject) must hold more than white space. */
export function NotBlank(): PropertyDecorator {
  return (target, property) =>
    registerDecorator({
      name: 'BLANK_NOT_ALLOWED',
      target: target.constructor,
      propertyName: String(property),
      validator: {
        validate: (value: unknown) => typeof value === 'string' && /\S/.test(value),
        defaultMessage: (args) => `${args?.property} must not be blank`,
      },
    });
}

/** A calendar day as YYYY-MM-DD (INVALID_DATE) within the API's range of years (DATE_OUT_OF_RANGE). */
export function CalendarDate(): PropertyDecorator {
  return (target, property) => {
    const propertyName = String(property);
    registerDecorator({
      name: 'INVALID_DATE',
      target: target.constructor,
      propertyName,
      validator: {
        validate: (value: unknown) => !!parseCalendarDate(value),
        defaultMessage: () => `${propertyName} must be a date YYYY-MM-DD`,
      },
    });
    registerDecorator({
      name: 'DATE_OUT_OF_RANGE',
      target: target.constructor,
      propertyName,
      validator: {
        validate: (value: unknown) => {
          const date = parseCalendarDate(value);
          return !date || isDateInRange(date);
        },
        defaultMessage: () => `${propertyName} must be within ${DATE_RANGE_TEXT}`,
      },
    });
  };
}
