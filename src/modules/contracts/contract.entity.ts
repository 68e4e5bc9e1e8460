import { Field, ID, ObjectType } from 'type-graphql';
import { Column, Entity } from 'typeorm';
import { DecimalScalar } from '../catalog';
import { PricedLine, QuoteCopy } from '../quotes';
import { ContractStatus } from './contract-status';

/**
 * An agreement made from one ACCEPTED quote; its lines and amounts are copies, so it does not follow later quote edits.
 */
@ObjectType()
@Entity({ name: 'contracts' })
export class Contract extends QuoteCopy {
  @Field(() => DecimalScalar, { description: "The contract's value: the quote's total" })
  get value(): string {
    return this.total;
  }

  @Field({ description: 'First day in force (YYYY-MM-DD, tenant time zone)' })
  @Column({ name: 'start_date', type: 'date' })
  startDate: string;

  @Field({ description: 'Last day in force; the contract reads EXPIRED after it' })
  @Column({ name: 'end_date', type: 'date' })
  endDate: string;

  /** What was decided; `status` adds EXPIRED on read. */
  @Column({ name: 'status', type: 'varchar', length: 10 })
  storedStatus: ContractStatus;

  @Field(() => ContractStatus)
  status: ContractStatus;

  @Field(() => Date, { nullable: true })
  @Column({ name: 'activated_at', type: 'timestamptz', precision: 3, nullable: true })
  activatedAt: Date | null;

  @Field(() => Date, { nullable: true })
  @Column({ name: 'terminated_at', type: 'timestamptz', precision: 3, nullable: true })
  terminatedAt: Date | null;

  @Field(() => String, { nullable: true })
  @Column({ name: 'termination_reason', type: 'text', nullable: true })
  terminationReason: string | null;

  @Field(() => ID, { nullable: true, description: 'The renewal quote made by generateQuoteFromContract' })
  @Column({ name: 'renewal_quote_id', type: 'uuid', nullable: true })
  renewalQuoteId: string | null;

  /** Loaded and saved by ContractService with the contract (not a TypeORM relation). */
  @Field(() => [ContractLineItem])
  lineItems: ContractLineItem[];
}

@ObjectType()
@Entity({ name: 'contract_line_items' })
export class ContractLineItem extends PricedLine {
  @Column({ name: 'contract_id', type: 'uuid' })
  contractId: string;
}
