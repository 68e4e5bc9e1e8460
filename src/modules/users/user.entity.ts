import { Field, ID, ObjectType } from 'type-graphql';
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { Timestamped } from '../../core/database/timestamped.entity';

/** A person who signs in. Shared across organizations, so it lives in `public`. */
@ObjectType({ description: 'A person who signs in' })
@Entity({ name: 'users', schema: 'public' })
export class User extends Timestamped {
  @Field(() => ID)
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Field()
  @Column({ length: 320 })
  email: string;

  /** argon2id; never selected unless asked for explicitly. */
  @Column({ name: 'password_hash', type: 'text', select: false })
  passwordHash: string;

  @Field()
  @Column({ name: 'first_name', length: 100 })
  firstName: string;

  @Field()
  @Column({ name: 'last_name', length: 100 })
  lastName: string;

  @Field(() => Date, { nullable: true })
  @Column({ name: 'email_verified_at', type: 'timestamptz', precision: 3, nullable: true })
  emailVerifiedAt: Date | null;

  @Field({ description: 'Whether the email address was confirmed; some operations require it' })
  get emailVerified(): boolean {
    return !!this.emailVerifiedAt;
  }

  @Field(() => Date, {
    nullable: true,
    description: 'Set while a platform admin has suspended the account: signing in is refused',
  })
  @Column({ name: 'suspended_at', type: 'timestamptz', precision: 3, nullable: true })
  suspendedAt: Date | null;

  @Column({ name: 'suspended_reason', type: 'varchar', length: 500, nullable: true })
  suspendedReason: string | null;

  @Column({ name: 'password_changed_at', type: 'timestamptz', precision: 3, default: () => 'now()' })
  passwordChangedAt: Date;

  @Column({ name: 'last_login_at', type: 'timestamptz', precision: 3, nullable: true })
  lastLoginAt: Date | null;
}
