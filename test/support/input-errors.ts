/** What a client reads when a shared input rule of src/core/validation refuses `property`. */
const refusedBy = (constraint: string) => (property: string) => ({
  code: 'BAD_USER_INPUT',
  validationErrors: [
    expect.objectContaining({
      property,
      constraints: expect.objectContaining({ [constraint]: expect.stringContaining(property) }),
    }),
  ],
});

export const nullRefused = refusedBy('NULL_NOT_ALLOWED');
export const blankRefused = refusedBy('BLANK_NOT_ALLOWED');
export const dateOutOfRange = refusedBy('DATE_OUT_OF_RANGE');

/** The extensions of a response's first error. */
export const refusal = (response: { errors?: { extensions: Record<string, unknown> }[] }) =>
  response.errors?.[0].extensions;
