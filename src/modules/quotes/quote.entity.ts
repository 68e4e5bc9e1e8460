import { Field, ID, ObjectType } from 'type-graphql';
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { Timestamped } from '../../core/database/timestamped.entity';
import { Money, PricedLine } from './priced-line';
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

  /** As stored (EXPIRED once the daily job saw it); `status` also reads EXPIRED from the date. */
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

  @Field(() => String, {
    nullable: true,
    description: 'Who accepted or rejected it: user:<id>, api-key:<id> or platform-admin',
  })
  @Column({ name: 'decided_by', type: 'varchar', length: 80, nullable: true })
  decidedBy: string | null;

  @Field(() => Date, { nullable: true, description: 'When sendQuote mailed it to the customer' })
  @Column({ name: 'sent_at', type: 'timestamptz', precision: 3, nullable: true })
  sentAt: Date | null;

  @Field(() => String, { nullable: true, description: 'Who sent it (as decidedBy)' })
  @Column({ name: 'sent_by', type: 'varchar', length: 80, nullable: true })
  sentBy: string | null;

  @Money() subtotal: string;
  @Money() discount: string;
  @Money() tax: string;
  @Money() total: string;

  /** Loaded and saved by QuoteService with the quote (not a TypeORM relation: no implicit cascades). */
  @Field(() => [QuoteLineItem])
  lineItems: QuoteLineItem[];
}

@ObjectType()
@Entity({ name: 'quote_line_items' })
export class QuoteLineItem extends PricedLine {
  @Column({ name: 'quote_id', type: 'uuid' })
  quoteId: string;
}
