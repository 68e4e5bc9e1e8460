import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { Timestamped } from '../../core/database/timestamped.entity';
import { PlanCode } from '../plans';

export enum PaymentProvider {
  STRIPE = 'STRIPE',
  KHALTI = 'KHALTI',
  ESEWA = 'ESEWA',
}
registerEnumType(PaymentProvider, {
  name: 'PaymentProvider',
  description: 'Who collects a payment: cards through Stripe, or the Khalti and eSewa wallets',
});

export enum PaymentStatus {
  PENDING = 'PENDING',
  COMPLETED = 'COMPLETED',
  FAILED = 'FAILED',
}
registerEnumType(PaymentStatus, {
  name: 'PaymentStatus',
  description:
    'PENDING until the gateway confirms it server-side; COMPLETED once verified (the plan is then active); FAILED when abandoned or refused',
});

/** PostgreSQL bigint arrives as a string; amounts in minor units stay far below 2^53. */
const bigintAsNumber = {
  to: (value: number) => value,
  from: (value: string | null) => (value === null ? null : Number(value)),
};

/**
 * One attempt to pay for a plan: a Stripe invoice, or a Khalti/eSewa payment the
 * payer is redirected to. Shared (`public`): webhooks and gateway callbacks find it
 * by the provider's reference before any tenant is known.
 */
@ObjectType({ description: 'A payment for a plan' })
@Entity({ name: 'payment_transactions', schema: 'public' })
export class PaymentTransaction extends Timestamped {
  @Field(() => ID)
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid', { name: 'tenant_id' })
  tenantId: string;

  @Field(() => PaymentProvider)
  @Column({ type: 'varchar', length: 10 })
  provider: PaymentProvider;

  @Field(() => String, {
    nullable: true,
    description: "The provider's id: Stripe invoice, Khalti pidx, eSewa transaction_uuid",
  })
  @Column({ type: 'varchar', length: 255, nullable: true })
  reference: string | null;

  @Column({ name: 'idempotency_key', type: 'varchar', length: 255, nullable: true })
  idempotencyKey: string | null;

  @Field(() => PlanCode)
  @Column({ type: 'varchar', length: 20 })
  plan: PlanCode;

  @Field(() => Int, { description: 'In minor units of the currency (paisa, cents)' })
  @Column({ name: 'amount_minor', type: 'bigint', transformer: bigintAsNumber })
  amountMinor: number;

  @Field()
  @Column({ type: 'char', length: 3 })
  currency: string;

  @Field(() => PaymentStatus)
  @Column({ type: 'varchar', length: 10 })
  status: PaymentStatus;

  /** What the front end needs to send the payer to the gateway (replayed for a repeated attempt). */
  @Column({ type: 'jsonb', nullable: true })
  redirect: PaymentRedirectData | null;

  /** The gateway's verification answer, as received. */
  @Column({ type: 'jsonb', nullable: true })
  verification: Record<string, unknown> | null;

  @Field(() => String, { nullable: true })
  @Column({ name: 'failure_reason', type: 'varchar', length: 200, nullable: true })
  failureReason: string | null;

  @Field(() => Date, { nullable: true })
  @Column({ name: 'completed_at', type: 'timestamptz', precision: 3, nullable: true })
  completedAt: Date | null;
}

export interface PaymentRedirectData {
  method: 'GET' | 'POST';
  url: string;
  pidx?: string;
  fields: { name: string; value: string }[];
}
