import { LRUCache } from 'lru-cache';
import { validateOrReject, type ValidationError, type ValidatorOptions } from 'class-validator';
import { ArgumentValidationError, type ValidatorFn } from 'type-graphql';

/** type-graphql's own defaults for class-validator, plus: validation errors never echo the submitted object. */
const OPTIONS: ValidatorOptions = {
  skipMissingProperties: true,
  forbidUnknownValues: false,
  validationError: { target: false, value: false },
};

/** Arguments remembered as valid, per argument class (the same page arguments arrive on almost every request). */
const VALID_PER_CLASS = 500;
/** Longer arguments (texts, big inputs) are validated every time: the cache stays small. */
const MAX_REMEMBERED_LENGTH = 512;

const validatable = (value: unknown): value is object => value !== null && typeof value === 'object';

/**
 * Our rules are pure functions of the value (src/core/validation, class-validator's own), so an argument
 * seen valid before is valid again: its JSON, per class, skips class-validator's metadata walk.
 */
const knownValid = new WeakMap<object, LRUCache<string, true>>();

async function validateObject(value: object): Promise<void> {
  const json = JSON.stringify(value);
  const remembered = json.length <= MAX_REMEMBERED_LENGTH;
  let valid = remembered ? knownValid.get(value.constructor) : undefined;
  if (valid?.has(json)) return;
  await validateOrReject(value, OPTIONS);
  if (!remembered) return;
  if (!valid) knownValid.set(value.constructor, (valid = new LRUCache({ max: VALID_PER_CLASS })));
  valid.set(json, true);
}

/**
 * type-graphql's argument validation with class-validator imported once: rc.4's built-in one resolves
 * `require("class-validator")` again for every validated argument of every request. Same checks, same error.
 */
export const validateArgument: ValidatorFn = async (value) => {
  if (!validatable(value)) return;
  try {
    if (Array.isArray(value)) await Promise.all(value.filter(validatable).map(validateObject));
    else await validateObject(value);
  } catch (errors) {
    throw new ArgumentValidationError(errors as ValidationError[]);
  }
};
