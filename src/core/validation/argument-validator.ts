import { validateOrReject, type ValidationError, type ValidatorOptions } from 'class-validator';
import { ArgumentValidationError, type ValidatorFn } from 'type-graphql';

/** type-graphql's own defaults for class-validator, plus: validation errors never echo the submitted object. */
const OPTIONS: ValidatorOptions = {
  skipMissingProperties: true,
  forbidUnknownValues: false,
  validationError: { target: false, value: false },
};

const validatable = (value: unknown): value is object => value !== null && typeof value === 'object';

/**
 * type-graphql's argument validation with class-validator imported once: rc.4's built-in one resolves
 * `require("class-validator")` again for every validated argument of every request. Same checks, same error.
 */
export const validateArgument: ValidatorFn = async (value) => {
  if (!validatable(value)) return;
  try {
    if (Array.isArray(value))
      await Promise.all(value.filter(validatable).map((item) => validateOrReject(item, OPTIONS)));
    else await validateOrReject(value, OPTIONS);
  } catch (errors) {
    throw new ArgumentValidationError(errors as ValidationError[]);
  }
};
