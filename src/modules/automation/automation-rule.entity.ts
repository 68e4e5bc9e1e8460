import { ArrayMaxSize, IsOptional, Length, Max, MaxLength, Min } from 'class-validator';
import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { MemberRole } from '../../core/authorization';
import { Timestamped } from '../../core/database/timestamped.entity';
import { MessageAuthor, TicketPriority, TicketStatus } from '../tickets';
import {
  AutomationActionType,
  AutomationField,
  AutomationMatch,
  AutomationOperator,
  AutomationTimeAnchor,
  AutomationTimeUnit,
  AutomationTriggerType,
} from './automation-enums';

/** When a rule runs (stored as given; the fields a type does not use stay null). */
@ObjectType('AutomationTrigger')
@InputType('AutomationTriggerInput')
export class AutomationTrigger {
  @Field(() => AutomationTriggerType)
  type: AutomationTriggerType;

  @Field(() => MessageAuthor, {
    nullable: true,
    description: 'MESSAGE_ADDED: only messages of this author (null: any)',
  })
  @IsOptional()
  messageAuthor?: MessageAuthor | null;

  @Field(() => Int, { nullable: true, description: 'TIME_ELAPSED: how many units after the anchor (1 to 8760)' })
  @IsOptional()
  @Min(1)
  @Max(8_760)
  after?: number | null;

  @Field(() => AutomationTimeUnit, { nullable: true, description: 'TIME_ELAPSED' })
  @IsOptional()
  unit?: AutomationTimeUnit | null;

  @Field(() => AutomationTimeAnchor, { nullable: true, description: 'TIME_ELAPSED: what the time counts from' })
  @IsOptional()
  since?: AutomationTimeAnchor | null;

  @Field(() => TicketStatus, { nullable: true, description: 'TIME_ELAPSED since STATUS: the status' })
  @IsOptional()
  status?: TicketStatus | null;
}

@ObjectType('AutomationCondition')
@InputType('AutomationConditionInput')
export class AutomationCondition {
  @Field(() => AutomationField)
  field: AutomationField;

  @Field(() => AutomationOperator)
  operator: AutomationOperator;

  @Field(() => String, { nullable: true, description: 'Null for operators that take no value' })
  @IsOptional()
  @MaxLength(500)
  value?: string | null;
}

/** One step of a rule; the fields its type does not use stay null. */
@ObjectType('AutomationAction')
@InputType('AutomationActionInput')
export class AutomationAction {
  @Field(() => AutomationActionType)
  type: AutomationActionType;

  @Field(() => TicketPriority, { nullable: true, description: 'SET_PRIORITY' })
  @IsOptional()
  priority?: TicketPriority | null;

  @Field(() => TicketStatus, { nullable: true, description: 'SET_STATUS' })
  @IsOptional()
  status?: TicketStatus | null;

  @Field(() => [String], { nullable: true, description: 'ADD_TAGS, REMOVE_TAGS' })
  @IsOptional()
  @ArrayMaxSize(20)
  @Length(1, 50, { each: true })
  tags?: string[] | null;

  @Field(() => ID, { nullable: true, description: 'ASSIGN (required), MAIL_MEMBER (null: the assignee)' })
  @IsOptional()
  memberId?: string | null;

  @Field(() => MemberRole, { nullable: true, description: 'ASSIGN_ROUND_ROBIN: among the members with this role' })
  @IsOptional()
  role?: MemberRole | null;

  @Field(() => ID, { nullable: true, description: 'APPLY_SLA_POLICY' })
  @IsOptional()
  slaPolicyId?: string | null;

  @Field(() => ID, { nullable: true, description: 'LINK_ARTICLE' })
  @IsOptional()
  articleId?: string | null;

  @Field(() => String, { nullable: true, description: 'MAIL_MEMBER: the subject (a template)' })
  @IsOptional()
  @MaxLength(300)
  subject?: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      'ADD_NOTE, SEND_REPLY, MAIL_MEMBER: a template; {{ticket.number}}, {{ticket.subject}}, {{ticket.status}}, ' +
      '{{ticket.priority}} and {{customer.name}} are replaced',
  })
  @IsOptional()
  @MaxLength(10_000)
  body?: string | null;
}

/** A rule of the organization (tenant schema); rules of one trigger run in `position` order. */
@ObjectType()
@Entity({ name: 'automation_rules' })
export class AutomationRule extends Timestamped {
  @Field(() => ID)
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Field()
  @Column({ length: 200 })
  name: string;

  @Field(() => Int, { description: 'Order among the organization rules (reorderAutomationRules)' })
  @Column('integer')
  position: number;

  @Field({ description: 'Inactive rules never run and do not count toward the plan limit' })
  @Column({ default: true })
  active: boolean;

  @Column({ type: 'varchar', length: 20, name: 'trigger_type' })
  triggerType: AutomationTriggerType;

  @Field(() => AutomationTrigger)
  @Column('jsonb')
  trigger: AutomationTrigger;

  @Field(() => AutomationMatch)
  @Column({ type: 'varchar', length: 3 })
  match: AutomationMatch;

  @Field(() => [AutomationCondition])
  @Column('jsonb')
  conditions: AutomationCondition[];

  @Field(() => [AutomationAction], { description: 'Applied in order' })
  @Column('jsonb')
  actions: AutomationAction[];

  /** ASSIGN_ROUND_ROBIN: who got the last ticket (the next one goes to the member after). */
  @Column('uuid', { name: 'round_robin_last_user_id', nullable: true })
  roundRobinLastUserId: string | null;
}
