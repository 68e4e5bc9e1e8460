import { Field, ID, Int, ObjectType } from 'type-graphql';
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { Timestamped } from '../../core/database/timestamped.entity';
import { DecimalScalar } from '../catalog';
import { QuoteStatus } from './quote-status';

/** Amounts are numeric columns read as strings, computed by quote-totals.ts and stored with the quote. */
@ObjectType()
@Entity({ name: 'quotes' })
export class Quote extends Timestamped {
  @Field(() => ID)
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Field({ description: 'Q-<year>-<sequence>, numbered per tenant and year' })
  @Column({ length: 20 })
  number: string;

  @Field(() => ID)
  @Column({ name: 'customer_id', type: 'uuid' })
  customerId: string;

  @Field()
  @Column({ length: 200 })
  title: string;

  @Field()
  @Column({ type: 'char', length: 3 })
  currency: string;

  @Field({ description: 'Last day the offer is valid (YYYY-MM-DD, tenant time zone)' })
  @Column({ name: 'valid_until', type: 'date' })
  validUntil: string;

  /** What was decided; `status` adds EXPIRED on read. */
  @Column({ name: 'status', type: 'varchar', length: 10 })
  storedStatus: QuoteStatus;

  @Field(() => QuoteStatus)
  status: QuoteStatus;

  @Field(() => String, { nullable: true })
  @Column({ name: 'rejection_reason', type: 'text', nullable: true })
  rejectionReason: string | null;

  @Field(() => Date, { nullable: true, description: 'When it was accepted or rejected' })
  @Column({ name: 'decided_at', type: 'timestamptz', precision: 3, nullable: true })
  decidedAt: Date | null;

  @Field(() => DecimalScalar)
  @Column({ type: 'numeric', precision: 16, scale: 2 })
  subtotal: string;

  @Field(() => DecimalScalar)
  @Column({ type: 'numeric', precision: 16, scale: 2 })
  discount: string;

  @Field(() => DecimalScalar)
  @Column({ type: 'numeric', precision: 16, scale: 2 })
  tax: string;

  @Field(() => DecimalScalar)
  @Column({ type: 'numeric', precision: 16, scale: 2 })
  total: string;

  /** Loaded and saved by QuoteService with the quote (not a TypeORM relation: no implicit cascades). */
  @Field(() => [QuoteLineItem])
  lineItems: QuoteLineItem[];
}

@ObjectType()
@Entity({ name: 'quote_line_items' })
export class QuoteLineItem {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'quote_id', type: 'uuid' })
  quoteId: string;

  @Field(() => Int, { description: '1-based order on the quote' })
  @Column('int')
  position: number;

  @Field(() => ID, { nullable: true })
  @Column({ name: 'product_id', type: 'uuid', nullable: true })
  productId: string | null;

  @Field()
  @Column('text')
  description: string;

  @Field(() => DecimalScalar, { description: 'Up to 3 decimal places' })
  @Column({ type: 'numeric', precision: 14, scale: 3 })
  quantity: string;

  @Field(() => DecimalScalar)
  @Column({ name: 'unit_price', type: 'numeric', precision: 14, scale: 2 })
  unitPrice: string;

  @Field(() => DecimalScalar, { description: 'Percent, up to 3 decimal places' })
  @Column({ name: 'discount_percent', type: 'numeric', precision: 6, scale: 3 })
  discountPercent: string;

  @Field(() => DecimalScalar, { description: 'Percent, up to 3 decimal places' })
  @Column({ name: 'tax_rate', type: 'numeric', precision: 6, scale: 3 })
  taxRate: string;

  @Field(() => DecimalScalar, { description: 'quantity × unitPrice, rounded' })
  @Column({ type: 'numeric', precision: 16, scale: 2 })
  subtotal: string;

  @Field(() => DecimalScalar)
  @Column({ type: 'numeric', precision: 16, scale: 2 })
  discount: string;

  @Field(() => DecimalScalar)
  @Column({ type: 'numeric', precision: 16, scale: 2 })
  tax: string;

  @Field(() => DecimalScalar)
  @Column({ type: 'numeric', precision: 16, scale: 2 })
  total: string;
}
