/** Matchers for the shared input rules of src/core/validation, as a client reads them in `validationErrors`. */
const refusedBy = (constraint: string) => (property: string) =>
  expect.objectContaining({ property, constraints: expect.objectContaining({ [constraint]: expect.stringContaining(property) }) });

export const nullRefused = refusedBy('NULL_NOT_ALLOWED');
export const blankRefused = refusedBy('BLANK_NOT_ALLOWED');
export const dateOutOfRange = refusedBy('DATE_OUT_OF_RANGE');
