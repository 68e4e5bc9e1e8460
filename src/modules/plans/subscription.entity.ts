import { Field, ObjectType } from 'type-graphql';
import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { PlanCode, SubscriptionStatus } from './plan-code';

/**
 * An organization's plan and billing state: one row per tenant, written only by
 * PlanService (which keeps `public.tenants.plan` equal to `plan`). Named
 * BillingSubscription in GraphQL: `Subscription` is GraphQL's root type name.
 */
@ObjectType('BillingSubscription', { description: "The organization's plan and billing state" })
@Entity({ name: 'subscriptions', schema: 'public' })
export class Subscription {
  @PrimaryColumn('uuid', { name: 'tenant_id' })
  tenantId: string;

  @Field(() => PlanCode)
  @Column({ type: 'varchar', length: 20 })
  plan: PlanCode;

  @Field(() => SubscriptionStatus)
  @Column({ type: 'varchar', length: 10 })
  status: SubscriptionStatus;

  @Field(() => Date, { nullable: true })
  @Column({ name: 'trial_ends_at', type: 'timestamptz', precision: 3, nullable: true })
  trialEndsAt: Date | null;

  @Field(() => Date, { nullable: true })
  @Column({ name: 'current_period_start', type: 'timestamptz', precision: 3, nullable: true })
  currentPeriodStart: Date | null;

  @Field(() => Date, { nullable: true })
  @Column({ name: 'current_period_end', type: 'timestamptz', precision: 3, nullable: true })
  currentPeriodEnd: Date | null;

  @Field(() => String, {
    nullable: true,
    description: 'Who collects the payments: STRIPE, KHALTI, ESEWA; null while none does',
  })
  @Column({ type: 'varchar', length: 20, nullable: true })
  provider: string | null;

  @Column({ name: 'provider_customer_id', type: 'varchar', length: 255, nullable: true })
  providerCustomerId: string | null;

  @Column({ name: 'provider_subscription_id', type: 'varchar', length: 255, nullable: true })
  providerSubscriptionId: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt: Date;

  @Field()
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz', precision: 3 })
  updatedAt: Date;
}
