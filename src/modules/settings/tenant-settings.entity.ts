import { Field, Int, ObjectType } from 'type-graphql';
import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { BusinessHours } from './business-hours';

/** The business profile: one row in each tenant's schema (created by its migration). */
@ObjectType('TenantSettings', { description: "The organization's business profile" })
@Entity({ name: 'business_settings' })
export class TenantSettings {
  @PrimaryColumn('smallint')
  id: number;

  @Field(() => String, { nullable: true })
  @Column({ name: 'legal_name', type: 'varchar', length: 200, nullable: true })
  legalName: string | null;

  @Field(() => String, { nullable: true, description: 'Postal address, several lines allowed' })
  @Column({ type: 'varchar', length: 500, nullable: true })
  address: string | null;

  @Field(() => String, { nullable: true, description: 'International format, e.g. +977 1 4412345' })
  @Column({ type: 'varchar', length: 40, nullable: true })
  phone: string | null;

  @Field({ description: 'IANA time zone, e.g. Asia/Kathmandu; reminders and reports follow it' })
  @Column({ length: 64 })
  timezone: string;

  @Field({ description: 'ISO 4217 code, e.g. NPR' })
  @Column({ type: 'char', length: 3 })
  currency: string;

  @Field({ description: 'BCP 47 language tag, e.g. en-US' })
  @Column({ length: 35 })
  locale: string;

  @Field(() => String, { nullable: true })
  @Column({ name: 'logo_url', type: 'varchar', length: 2048, nullable: true })
  logoUrl: string | null;

  @Field(() => String, { nullable: true })
  @Column({ name: 'support_email', type: 'varchar', length: 320, nullable: true })
  supportEmail: string | null;

  @Field(() => [BusinessHours], {
    description: 'Weekly opening hours in `timezone`, by day and time (default Monday to Friday 09:00-17:00)',
  })
  @Column({ name: 'business_hours', type: 'jsonb' })
  businessHours: BusinessHours[];

  @Field(() => Int, { description: 'Invoices are due this many days after issue (0 to 365, default 30)' })
  @Column({ name: 'payment_terms_days', type: 'smallint' })
  paymentTermsDays: number;

  /** Since when legal name, address and phone are all filled in (the onboarding step); null while one is missing. */
  @Column({ name: 'profile_completed_at', type: 'timestamptz', precision: 3, nullable: true })
  profileCompletedAt: Date | null;

  @Field()
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz', precision: 3 })
  updatedAt: Date;
}
