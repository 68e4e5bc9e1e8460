import { ArgsType, Field, Float, Int, ObjectType } from 'type-graphql';

@ArgsType()
export class SlaReportArgs {
  @Field(() => Date, { description: 'Tickets created at or after this instant' })
  from: Date;

  @Field(() => Date, { description: 'Tickets created before this instant (exclusive); must be after `from`' })
  to: Date;
}

@ObjectType({
  description:
    'SLA figures over the tickets created in [from, to); times in SLA minutes: time spent PENDING excluded, and only business minutes for tickets under a business-hours policy',
})
export class SlaReport {
  @Field(() => Int, { description: 'Tickets created in the period, with or without an SLA' })
  ticketsTotal: number;

  @Field(() => Int, { description: 'Of those, the tickets with an SLA (a policy for their priority when they opened)' })
  slaTickets: number;

  @Field(() => Float, {
    description:
      'BREACHED tickets (either target missed, as of now) divided by slaTickets, 0 to 1; 0 when slaTickets is 0',
  })
  breachRate: number;

  @Field(() => Float, {
    nullable: true,
    description:
      'Mean SLA minutes (business minutes for business-hours tickets) from opening to the first public reply, PENDING time excluded, over the tickets with an SLA that have a reply; null when none',
  })
  averageFirstResponseMinutes: number | null;

  @Field(() => Float, {
    nullable: true,
    description:
      'Mean SLA minutes (business minutes for business-hours tickets) from opening to RESOLVED/CLOSED (the last time, if reopened), PENDING time excluded, over the resolved tickets with an SLA; null when none',
  })
  averageResolutionMinutes: number | null;

  @Field(() => Int, { description: 'Of the tickets created in the period, those AT_RISK now' })
  atRisk: number;
}
