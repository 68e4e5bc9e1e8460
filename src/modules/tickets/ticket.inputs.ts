import { ArgsType, Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { ArrayMaxSize, IsOptional, Length, MaxLength, ValidateNested } from 'class-validator';
import { ConnectionType, PaginationArgs } from '../../core/graphql/connection';
import { NotBlank, PatchField } from '../../core/validation/input-rules.decorators';
import { SlaStatus } from './sla-status';
import { Ticket } from './ticket.entity';
import { TicketChannel, TicketPriority, TicketStatus } from './ticket-enums';

@InputType()
export class CreateTicketInput {
  @Field()
  @Length(1, 300)
  @NotBlank()
  subject: string;

  @Field({ defaultValue: '' })
  @MaxLength(100_000)
  description: string = '';

  @Field(() => TicketPriority, { defaultValue: TicketPriority.NORMAL })
  priority: TicketPriority = TicketPriority.NORMAL;

  @Field(() => ID, { nullable: true })
  customerId?: string | null;

  @Field(() => ID, { nullable: true, description: 'A member of the organization' })
  assigneeId?: string | null;

  @Field(() => [String], { defaultValue: [] })
  @ArrayMaxSize(20)
  @Length(1, 50, { each: true })
  tags: string[];
}

@InputType({ description: 'Only the fields given are changed' })
export class UpdateTicketInput {
  @PatchField(() => String)
  @Length(1, 300)
  @NotBlank()
  subject?: string;

  @PatchField(() => String, { clearable: true })
  @MaxLength(100_000)
  description?: string | null;

  @PatchField(() => TicketStatus, { description: 'Every change is kept in statusHistory' })
  status?: TicketStatus;

  @PatchField(() => TicketPriority)
  priority?: TicketPriority;

  @PatchField(() => ID, { clearable: true })
  customerId?: string | null;

  @PatchField(() => [String], { clearable: true })
  @ArrayMaxSize(20)
  @Length(1, 50, { each: true })
  tags?: string[] | null;
}

@InputType()
export class TicketFilter {
  @Field(() => TicketStatus, { nullable: true })
  status?: TicketStatus;

  @Field(() => TicketPriority, { nullable: true })
  priority?: TicketPriority;

  @Field(() => ID, { nullable: true })
  assigneeId?: string;

  @Field(() => ID, { nullable: true })
  customerId?: string;

  @Field(() => TicketChannel, { nullable: true })
  channel?: TicketChannel;

  @Field(() => SlaStatus, { nullable: true, description: 'The SLA status now; tickets without a policy never match' })
  slaStatus?: SlaStatus;

  @Field(() => Int, { nullable: true, description: 'The ticket shown as #<number>' })
  number?: number;

  @Field(() => String, { nullable: true, description: 'Matches subject or description (case-insensitive substring)' })
  @IsOptional()
  @MaxLength(200)
  search?: string;
}

@ArgsType()
export class TicketsArgs extends PaginationArgs {
  @Field(() => TicketFilter, { nullable: true })
  @IsOptional()
  @ValidateNested()
  filter?: TicketFilter;
}

@ObjectType()
export class TicketConnection extends ConnectionType(Ticket, 'Ticket') {
  @Field(() => Int, { description: 'Tickets matching the filter, all pages' })
  totalCount: number;
}

@ArgsType()
export class AddTicketMessageArgs {
  @Field(() => ID)
  ticketId: string;

  @Field()
  @Length(1, 100_000)
  @NotBlank()
  body: string;

  @Field({ defaultValue: false, description: 'A note for the team only, never sent to the customer' })
  internal: boolean = false;
}
