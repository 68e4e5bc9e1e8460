/**
 * Reading a free-text customer request: which parts name one item each, and which
 * quantity each part states. Pure functions, so the matcher stays deterministic.
 */

/** At most this many parts (and so generated lines) per request. */
export const MAX_REQUEST_PARTS = 20;
/** Larger stated numbers are not read as quantities (they are more likely ids, years or prices). */
export const MAX_QUANTITY = 100_000;

/** Commas not inside a number ("1,000"), semicolons, line breaks, "and", "plus", "+" start a new part. */
const PART_SEPARATOR = /,(?!\d{3}\b)|;|\n|\+|\b(?:and|plus)\b/i;

/** The request's parts that contain a word, in order. */
export function requestParts(request: string): string[] {
  return request
    .split(PART_SEPARATOR)
    .map((part) => part.trim())
    .filter((part) => /\p{L}/u.test(part))
    .slice(0, MAX_REQUEST_PARTS);
}

/**
 * A number standing on its own in a part (which always has words): "50 metres of cable",
 * "3 access points", "cable x 50", "50m"; not one inside a word ("Cat6") or a code ("AP-3").
 * "1,000" is a thousand.
 */
const STATED_NUMBER = /(?<![\p{L}\p{N}.,-])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?!\p{N}|[.,]\p{N}|-)/gu;

/** The part's stated quantity as a decimal string (up to 3 places), or null when none is stated. */
export function statedQuantity(part: string): string | null {
  for (const [, digits] of part.matchAll(STATED_NUMBER)) {
    const value = digits.replace(/,/g, '');
    const number = Number(value);
    if (number > 0 && number <= MAX_QUANTITY && /^\d+(\.\d{1,3})?$/.test(value)) return value;
  }
  return null;
}
