import { Field, ID, Int, ObjectType } from 'type-graphql';
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { Timestamped } from '../../core/database/timestamped.entity';
import { SlaStatus, type SlaClock } from './sla-status';
import { DeliveryStatus, MessageAuthor, TicketChannel, TicketPriority, TicketStatus } from './ticket-enums';

@ObjectType()
@Entity({ name: 'ticket_messages' })
export class TicketMessage {
  @Field(() => ID)
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid', { name: 'ticket_id' })
  ticketId: string;

  @Field()
  @Column('text')
  body: string;

  @Field({ description: 'Internal notes stay with the team: never sent to the customer' })
  @Column({ default: false })
  internal: boolean;

  @Field(() => ID, { nullable: true, description: 'The team member who wrote it; null for the customer or an API key' })
  @Column('uuid', { name: 'author_user_id', nullable: true })
  authorUserId: string | null;

  @Field(() => MessageAuthor)
  @Column({ type: 'varchar', length: 8, default: MessageAuthor.TEAM })
  author: MessageAuthor;

  /** The channel's id of the message (email Message-ID, WhatsApp wamid): unique, so a redelivery is recognised. */
  @Column({ type: 'varchar', length: 998, name: 'external_id', nullable: true })
  externalId: string | null;

  @Field(() => DeliveryStatus, { nullable: true, description: 'For team replies sent through email or WhatsApp' })
  @Column({ type: 'varchar', length: 10, name: 'delivery_status', nullable: true })
  deliveryStatus: DeliveryStatus | null;

  @Field(() => String, { nullable: true, description: 'Why the channel could not deliver it' })
  @Column('text', { name: 'delivery_error', nullable: true })
  deliveryError: string | null;

  @Column({ type: 'timestamptz', precision: 3, name: 'delivery_updated_at', nullable: true })
  deliveryUpdatedAt: Date | null;

  @Field()
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt: Date;
}

@ObjectType()
@Entity({ name: 'ticket_status_changes' })
export class TicketStatusChange {
  @Field(() => ID)
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid', { name: 'ticket_id' })
  ticketId: string;

  @Field(() => TicketStatus, { nullable: true, description: 'Null for the change that opened the ticket' })
  @Column({ type: 'varchar', length: 10, name: 'from_status', nullable: true })
  fromStatus: TicketStatus | null;

  @Field(() => TicketStatus)
  @Column({ type: 'varchar', length: 10, name: 'to_status' })
  toStatus: TicketStatus;

  @Field(() => ID, { nullable: true })
  @Column('uuid', { name: 'changed_by_user_id', nullable: true })
  changedByUserId: string | null;

  @Field()
  @CreateDateColumn({ name: 'changed_at', type: 'timestamptz', precision: 3 })
  changedAt: Date;
}

/** Tenant data: no schema here, the transaction's search_path decides which tenant's table it is. */
@ObjectType()
@Entity({ name: 'tickets' })
export class Ticket extends Timestamped implements SlaClock {
  @Field(() => ID)
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Field(() => Int, { description: 'Per-organization number, shown as #1042 (e.g. in email subjects)' })
  @Column({ type: 'integer', update: false })
  number: number;

  @Field()
  @Column({ length: 300 })
  subject: string;

  @Field()
  @Column('text')
  description: string;

  @Field(() => TicketStatus)
  @Column({ type: 'varchar', length: 10 })
  status: TicketStatus;

  @Field(() => TicketPriority)
  @Column({ type: 'varchar', length: 10 })
  priority: TicketPriority;

  @Field(() => TicketChannel)
  @Column({ type: 'varchar', length: 10 })
  channel: TicketChannel;

  @Field(() => ID, { nullable: true })
  @Column('uuid', { name: 'customer_id', nullable: true })
  customerId: string | null;

  @Field(() => ID, { nullable: true, description: 'The team member working the ticket' })
  @Column('uuid', { name: 'assignee_id', nullable: true })
  assigneeId: string | null;

  @Field(() => [String])
  @Column('text', { array: true })
  tags: string[];

  @Field(() => String, {
    nullable: true,
    description: 'Where replies go on its channel: the email address or WhatsApp number it came from',
  })
  @Column({ type: 'varchar', length: 320, name: 'contact_address', nullable: true })
  contactAddress: string | null;

  @Column({ type: 'integer', name: 'sla_first_response_minutes', nullable: true })
  slaFirstResponseMinutes: number | null;

  @Column({ type: 'integer', name: 'sla_resolution_minutes', nullable: true })
  slaResolutionMinutes: number | null;

  @Field(() => Date, {
    nullable: true,
    description: 'Null without an SLA policy for its priority; moved on by time spent PENDING',
  })
  @Column({ type: 'timestamptz', precision: 3, name: 'first_response_due_at', nullable: true })
  firstResponseDueAt: Date | null;

  @Field(() => Date, {
    nullable: true,
    description: 'Null without an SLA policy for its priority; moved on by time spent PENDING',
  })
  @Column({ type: 'timestamptz', precision: 3, name: 'resolution_due_at', nullable: true })
  resolutionDueAt: Date | null;

  @Field({
    description:
      "Whether its SLA counts only the organization's business hours (the policy's businessHoursOnly when it opened)",
  })
  @Column({ name: 'sla_business_hours_only', default: false })
  slaBusinessHoursOnly: boolean;

  @Field(() => Date, {
    nullable: true,
    description: 'When the first response becomes AT_RISK (80% of its time used); moved on by time spent PENDING',
  })
  @Column({ type: 'timestamptz', precision: 3, name: 'first_response_at_risk_at', nullable: true })
  firstResponseAtRiskAt: Date | null;

  @Field(() => Date, {
    nullable: true,
    description: 'When the resolution becomes AT_RISK (80% of its time used); moved on by time spent PENDING',
  })
  @Column({ type: 'timestamptz', precision: 3, name: 'resolution_at_risk_at', nullable: true })
  resolutionAtRiskAt: Date | null;

  @Field(() => Date, { nullable: true, description: 'The first public reply of the team' })
  @Column({ type: 'timestamptz', precision: 3, name: 'first_responded_at', nullable: true })
  firstRespondedAt: Date | null;

  @Field(() => Date, { nullable: true })
  @Column({ type: 'timestamptz', precision: 3, name: 'resolved_at', nullable: true })
  resolvedAt: Date | null;

  /** Set while PENDING: the SLA clock stands still. */
  @Column({ type: 'timestamptz', precision: 3, name: 'sla_paused_at', nullable: true })
  slaPausedAt: Date | null;

  /** Worked out by the service at read time with its clock. */
  @Field(() => SlaStatus, { nullable: true, description: 'Null without an SLA policy for its priority' })
  slaStatus?: SlaStatus | null;

  /** Preloaded by the root resolver when selected at its level, otherwise batched by TicketResolver.messages. */
  @Field(() => [TicketMessage], { description: 'Oldest first' })
  messages?: TicketMessage[];

  @Field(() => [TicketStatusChange], { description: 'Oldest first' })
  statusHistory?: TicketStatusChange[];
}
