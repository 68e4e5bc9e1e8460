import { fromScaled, roundHalfUp, toScaled } from '../catalog';

/** Scales of the stored numeric columns: money 2, quantity 3, percentages 3. */
export const MONEY_SCALE = 2;
export const QUANTITY_SCALE = 3;
export const PERCENT_SCALE = 3;

export interface LineAmounts {
  quantity: string;
  unitPrice: string;
  discountPercent: string;
  taxRate: string;
}

export interface Totals {
  subtotal: string;
  discount: string;
  tax: string;
  total: string;
}

/**
 * Rounding rule (exact BigInt arithmetic, no floats): each line is rounded half away from
 * zero to 2 decimals at every step —
 *   subtotal = round(quantity × unitPrice)
 *   discount = round(subtotal × discountPercent / 100)
 *   tax      = round((subtotal − discount) × taxRate / 100)
 *   total    = subtotal − discount + tax
 * and the quote's totals are the sums of the rounded lines, so the lines always add up.
 */
export function lineTotals(line: LineAmounts): Totals {
  const subtotal = roundHalfUp(
    toScaled(line.quantity, QUANTITY_SCALE) * toScaled(line.unitPrice, MONEY_SCALE),
    QUANTITY_SCALE + MONEY_SCALE,
    MONEY_SCALE,
  );
  // A percentage p at scale 3 is p/100 at scale 5.
  const ofPercent = (amount: bigint, percent: string) =>
    roundHalfUp(amount * toScaled(percent, PERCENT_SCALE), MONEY_SCALE + PERCENT_SCALE + 2, MONEY_SCALE);
  const discount = ofPercent(subtotal, line.discountPercent);
  const tax = ofPercent(subtotal - discount, line.taxRate);
  return format({ subtotal, discount, tax, total: subtotal - discount + tax });
}

export function sumTotals(lines: Totals[]): Totals {
  const sum = (key: keyof Totals) => lines.reduce((acc, line) => acc + toScaled(line[key], MONEY_SCALE), 0n);
  return format({ subtotal: sum('subtotal'), discount: sum('discount'), tax: sum('tax'), total: sum('total') });
}

function format(totals: Record<keyof Totals, bigint>): Totals {
  return {
    subtotal: fromScaled(totals.subtotal, MONEY_SCALE),
    discount: fromScaled(totals.discount, MONEY_SCALE),
    tax: fromScaled(totals.tax, MONEY_SCALE),
    total: fromScaled(totals.total, MONEY_SCALE),
  };
}
