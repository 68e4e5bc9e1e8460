import { Field, ObjectType } from 'type-graphql';
import { Column, CreateDateColumn, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Tenant } from '../tenants';
import { MemberRole } from '../../core/authorization/member-role';

/** That a user belongs to an organization, and as what. */
@ObjectType({ description: "A user's role in an organization" })
@Entity({ name: 'memberships', schema: 'public' })
export class Membership {
  @PrimaryColumn('uuid', { name: 'tenant_id' })
  tenantId: string;

  @PrimaryColumn('uuid', { name: 'user_id' })
  userId: string;

  @Field(() => MemberRole)
  @Column({ type: 'varchar', length: 10 })
  role: MemberRole;

  @Field(() => Tenant)
  @ManyToOne(() => Tenant, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'tenant_id' })
  tenant: Tenant;

  @Field()
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt: Date;
}
