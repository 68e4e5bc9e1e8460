import { Field, ID, ObjectType } from 'type-graphql';
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** A secret an integration uses instead of signing in; acts for one organization within its scopes. */
@ObjectType({ description: 'An API key (its secret is shown only once, when it is created)' })
@Entity({ name: 'api_keys', schema: 'public' })
export class ApiKey {
  @Field(() => ID)
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid', { name: 'tenant_id' })
  tenantId: string;

  @Field()
  @Column({ length: 100 })
  name: string;

  @Field({ description: 'The start of the secret (e.g. tq_live_AbC123), to recognise the key' })
  @Column({ length: 32 })
  prefix: string;

  @Column({ name: 'secret_hash', type: 'bytea', select: false })
  secretHash: Buffer;

  @Field(() => [String], { description: 'What the key may do, e.g. customers:read' })
  @Column('text', { array: true })
  scopes: string[];

  @Column('uuid', { name: 'created_by', nullable: true })
  createdBy: string | null;

  @Field()
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt: Date;

  @Field(() => Date, { nullable: true, description: 'The key stops working at this time; null: never' })
  @Column({ name: 'expires_at', type: 'timestamptz', precision: 3, nullable: true })
  expiresAt: Date | null;

  @Field(() => Date, { nullable: true, description: 'Last request made with the key (recorded within a few seconds)' })
  @Column({ name: 'last_used_at', type: 'timestamptz', precision: 3, nullable: true })
  lastUsedAt: Date | null;

  @Field(() => Date, { nullable: true })
  @Column({ name: 'revoked_at', type: 'timestamptz', precision: 3, nullable: true })
  revokedAt: Date | null;
}
