import { Field, Int, ObjectType } from 'type-graphql';
import { Column, Entity, PrimaryColumn } from 'typeorm';
import { Timestamped } from '../../core/database/timestamped.entity';

/** IMAP UIDs and UIDVALIDITY are 32-bit unsigned: bigint in SQL, safe as numbers here. */
const uint32 = { to: (v: number | null) => v, from: (v: string | null) => (v === null ? null : Number(v)) };

/** The organization's support mailbox: polled into tickets, and the Reply-To of replies. Tenant data: no schema. */
@ObjectType({ description: 'The support mailbox; its password is never returned' })
@Entity({ name: 'email_channels' })
export class EmailChannel extends Timestamped {
  /** At most one per organization. */
  @PrimaryColumn({ type: 'smallint', default: 1 })
  id: number;

  @Field()
  @Column({ name: 'imap_host', length: 253 })
  imapHost: string;

  @Field(() => Int)
  @Column({ name: 'imap_port', type: 'integer' })
  imapPort: number;

  @Field({ description: 'Implicit TLS (usually port 993)' })
  @Column()
  secure: boolean;

  @Field()
  @Column({ length: 320 })
  username: string;

  @Column({ name: 'password_sealed', type: 'text' })
  passwordSealed: string;

  @Field()
  @Column({ length: 200 })
  folder: string;

  @Field({ description: 'The mailbox address: Reply-To of replies, so answers land in the polled folder' })
  @Column({ name: 'email_address', length: 320 })
  emailAddress: string;

  @Field()
  @Column({ name: 'poll_enabled' })
  pollEnabled: boolean;

  /** Mail that arrived before this is not read (set when the mailbox is first configured or changed). */
  @Column({ name: 'reading_since', type: 'timestamptz', precision: 3 })
  readingSince: Date;

  @Column({ name: 'uid_validity', type: 'bigint', nullable: true, transformer: uint32 })
  uidValidity: number | null;

  @Column({ name: 'last_uid', type: 'bigint', default: 0, transformer: uint32 })
  lastUid: number;

  @Field(() => Date, { nullable: true })
  @Column({ name: 'last_polled_at', type: 'timestamptz', precision: 3, nullable: true })
  lastPolledAt: Date | null;

  @Field(() => String, {
    nullable: true,
    description:
      'Why the last poll, test or team reply failed; a successful poll or test clears it, a sent reply clears a reply failure',
  })
  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError: string | null;

  @Field(() => Date, { nullable: true })
  @Column({ name: 'last_error_at', type: 'timestamptz', precision: 3, nullable: true })
  lastErrorAt: Date | null;

  @Field({ description: 'Always true once configured: the password itself is never returned' })
  get hasPassword(): boolean {
    return !!this.passwordSealed;
  }
}
