import { Field, ObjectType } from 'type-graphql';
import { Column, Entity } from 'typeorm';
import { PricedLine, QuoteCopy } from '../quotes';
import { InvoiceStatus } from './invoice-status';

/** An invoice for one ACCEPTED quote: lines and totals are exact copies, so it does not follow later changes. */
@ObjectType()
@Entity({ name: 'invoices' })
export class Invoice extends QuoteCopy {
  @Field({ description: 'YYYY-MM-DD, tenant time zone' })
  @Column({ name: 'issue_date', type: 'date' })
  issueDate: string;

  @Field({ description: "YYYY-MM-DD: as given at creation, else issueDate + the organization's paymentTermsDays then" })
  @Column({ name: 'due_date', type: 'date' })
  dueDate: string;

  @Field(() => InvoiceStatus)
  @Column({ type: 'varchar', length: 10 })
  status: InvoiceStatus;

  @Field(() => Date, { nullable: true, description: 'When sendInvoice mailed it to the customer' })
  @Column({ name: 'sent_at', type: 'timestamptz', precision: 3, nullable: true })
  sentAt: Date | null;

  @Field(() => String, { nullable: true, description: 'Who sent it: user:<id>, api-key:<id> or platform-admin' })
  @Column({ name: 'sent_by', type: 'varchar', length: 80, nullable: true })
  sentBy: string | null;

  @Field(() => Date, { nullable: true })
  @Column({ name: 'paid_at', type: 'timestamptz', precision: 3, nullable: true })
  paidAt: Date | null;

  @Field(() => Date, { nullable: true })
  @Column({ name: 'voided_at', type: 'timestamptz', precision: 3, nullable: true })
  voidedAt: Date | null;

  /** Loaded and saved by InvoiceService with the invoice (not a TypeORM relation). */
  @Field(() => [InvoiceLineItem])
  lineItems: InvoiceLineItem[];
}

@ObjectType()
@Entity({ name: 'invoice_line_items' })
export class InvoiceLineItem extends PricedLine {
  @Column({ name: 'invoice_id', type: 'uuid' })
  invoiceId: string;
}
