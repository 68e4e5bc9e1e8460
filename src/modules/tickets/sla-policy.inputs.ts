import { Field, InputType, Int } from 'type-graphql';
import { Length, Max, Min } from 'class-validator';
import { NotBlank } from '../../core/validation/input-rules.decorators';
import { TicketPriority } from './ticket-enums';

const YEAR_IN_MINUTES = 525_600;

@InputType()
export class CreateSlaPolicyInput {
  @Field()
  @Length(1, 200)
  @NotBlank()
  name: string;

  @Field(() => TicketPriority, { description: 'CONFLICT if the priority already has a policy' })
  priority: TicketPriority;

  @Field(() => Int)
  @Min(1)
  @Max(YEAR_IN_MINUTES)
  firstResponseMinutes: number;

  @Field(() => Int)
  @Min(1)
  @Max(YEAR_IN_MINUTES)
  resolutionMinutes: number;

  @Field({
    defaultValue: false,
    description:
      "Count only the organization's business hours (tenant settings businessHours, in its timezone) instead of every minute",
  })
  businessHoursOnly: boolean = false;
}
