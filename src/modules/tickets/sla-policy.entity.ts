import { Field, ID, Int, ObjectType } from 'type-graphql';
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { Timestamped } from '../../core/database/timestamped.entity';
import { TicketPriority } from './ticket-enums';

/** The response and resolution targets for tickets of one priority. */
@ObjectType()
@Entity({ name: 'sla_policies' })
export class SlaPolicy extends Timestamped {
  @Field(() => ID)
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Field()
  @Column({ length: 200 })
  name: string;

  @Field(() => TicketPriority, { description: 'One policy per priority' })
  @Column({ type: 'varchar', length: 10 })
  priority: TicketPriority;

  @Field(() => Int)
  @Column({ type: 'integer', name: 'first_response_minutes' })
  firstResponseMinutes: number;

  @Field(() => Int)
  @Column({ type: 'integer', name: 'resolution_minutes' })
  resolutionMinutes: number;

  @Field({ description: "Targets count only the organization's business hours" })
  @Column({ name: 'business_hours_only', default: false })
  businessHoursOnly: boolean;
}
