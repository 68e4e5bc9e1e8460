import { Timestamped } from '../../core/database/timestamped.entity';
import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { TenantStatus as TenantStatusValue } from '../../core/tenancy/tenant-scope';

export enum TenantStatus {
  PROVISIONING = 'PROVISIONING',
  ACTIVE = 'ACTIVE',
  SUSPENDED = 'SUSPENDED',
  FAILED = 'FAILED',
  ARCHIVED = 'ARCHIVED',
}
registerEnumType(TenantStatus, { name: 'TenantStatus', description: 'Lifecycle of an organization' });

/** An organization. Shared registry row in `public`; its business data lives in `schemaName`. */
@ObjectType({ description: 'An organization (tenant)' })
@Entity({ name: 'tenants', schema: 'public' })
export class Tenant extends Timestamped {
  @Field(() => ID)
  @PrimaryColumn('uuid')
  id: string;

  @Field({ description: 'Unique, URL-safe name; usable as X-Organization-ID' })
  @Column({ length: 63 })
  slug: string;

  @Field()
  @Column({ length: 200 })
  name: string;

  @Column({ name: 'schema_name', length: 40 })
  schemaName: string;

  @Field(() => TenantStatus)
  @Column({ type: 'varchar', length: 20 })
  status: TenantStatusValue;

  @Field(() => String, { nullable: true, description: 'Why the tenant is in its status (suspension reason, failure)' })
  @Column({ name: 'status_reason', type: 'text', nullable: true })
  statusReason: string | null;

  @Field()
  @Column({ length: 20 })
  plan: string;

  @Field(() => String, {
    nullable: true,
    description: "The identity provider's organization id it mirrors (e.g. Clerk's org_…); usable as X-Organization-ID",
  })
  @Column({ name: 'external_organization_id', type: 'varchar', length: 255, nullable: true })
  externalOrganizationId: string | null;

  /** Issuer URL of the provider `externalOrganizationId` belongs to. */
  @Column({ name: 'external_provider', type: 'varchar', length: 255, nullable: true })
  externalProvider: string | null;

  @Column({ name: 'schema_version', type: 'varchar', length: 255, nullable: true })
  schemaVersion: string | null;

  @Column({ name: 'migration_error', type: 'text', nullable: true })
  migrationError: string | null;
}
