import { Field, ID, ObjectType } from 'type-graphql';
import { Column, PrimaryGeneratedColumn } from 'typeorm';
import { Timestamped } from '../../core/database/timestamped.entity';
import { Money, type PricedLine } from './priced-line';
import type { Quote, QuoteLineItem } from './quote.entity';
import type { QuoteLineItemInput } from './quote.inputs';

/**
 * Documents that keep their own copy of an ACCEPTED quote (contracts, invoices): what was
 * agreed stays as it was, even if the quote or the catalog changes later. Amounts are copied
 * as stored (already rounded), so copies add up to exactly the quote's totals.
 */

/** The copied quote's header and totals; subclasses add their table and lifecycle. */
@ObjectType('QuoteCopyBase')
export abstract class QuoteCopy extends Timestamped {
  @Field(() => ID)
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Field({ description: '<prefix>-<year>-<sequence>, numbered per tenant and year' })
  @Column({ length: 20 })
  number: string;

  @Field(() => ID, { description: 'The accepted quote it was made from' })
  @Column({ name: 'quote_id', type: 'uuid' })
  quoteId: string;

  @Field(() => ID)
  @Column({ name: 'customer_id', type: 'uuid' })
  customerId: string;

  @Field()
  @Column({ length: 200 })
  title: string;

  @Field()
  @Column({ type: 'char', length: 3 })
  currency: string;

  @Money() subtotal: string;
  @Money() discount: string;
  @Money() tax: string;
  @Money() total: string;
}

const pick = <T, K extends keyof T>(source: T, keys: readonly K[]): Pick<T, K> =>
  Object.fromEntries(keys.map((key) => [key, source[key]])) as Pick<T, K>;

const INPUT_KEYS = ['productId', 'description', 'quantity', 'unitPrice', 'discountPercent', 'taxRate'] as const;
const LINE_KEYS = ['position', ...INPUT_KEYS, 'subtotal', 'discount', 'tax', 'total'] as const;
const QUOTE_KEYS = ['customerId', 'title', 'currency', 'subtotal', 'discount', 'tax', 'total'] as const;

/** The quote's header and totals, for a new copy (number and lifecycle are the copy's own). */
export const copyQuote = (quote: Quote) => ({ quoteId: quote.id, ...pick(quote, QUOTE_KEYS) });

export const copyLines = (lines: QuoteLineItem[]) => lines.map((line) => pick(line, LINE_KEYS));

/** Copied lines as quote input: priced again by the same rules, they give the same amounts. */
export const asQuoteLineInputs = (lines: PricedLine[]): QuoteLineItemInput[] =>
  lines.map((line) => pick(line, INPUT_KEYS));
