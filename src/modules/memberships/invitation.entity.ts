import { Field, ID, ObjectType } from 'type-graphql';
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { MemberRole } from '../../core/authorization/member-role';

/** An emailed offer to join an organization; the link's token is stored only as a hash. */
@ObjectType({ description: 'A pending invitation to join the organization' })
@Entity({ name: 'invitations', schema: 'public' })
export class Invitation {
  @Field(() => ID)
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid', { name: 'tenant_id' })
  tenantId: string;

  @Field()
  @Column({ length: 320 })
  email: string;

  @Field(() => MemberRole, { description: 'The role the invitee gets on accepting' })
  @Column({ type: 'varchar', length: 10 })
  role: MemberRole;

  @Column({ name: 'token_hash', type: 'bytea', select: false })
  tokenHash: Buffer;

  @Column('uuid', { name: 'invited_by', nullable: true })
  invitedBy: string | null;

  @Field()
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt: Date;

  @Field()
  @Column({ name: 'expires_at', type: 'timestamptz', precision: 3 })
  expiresAt: Date;

  @Column({ name: 'accepted_at', type: 'timestamptz', precision: 3, nullable: true })
  acceptedAt: Date | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', precision: 3, nullable: true })
  revokedAt: Date | null;
}
