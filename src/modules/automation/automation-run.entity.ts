import { Field, ID, ObjectType } from 'type-graphql';
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { AutomationActionType, AutomationTriggerType } from './automation-enums';

/** What one action of a run did ("priority URGENT", "skipped: …"). */
@ObjectType()
export class AutomationRunAction {
  @Field(() => AutomationActionType)
  type: AutomationActionType;

  @Field()
  outcome: string;
}

/** One evaluation of a rule on a ticket: whether it matched, what its actions did, or why they were undone. */
@ObjectType()
@Entity({ name: 'automation_runs' })
export class AutomationRun {
  @Field(() => ID)
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** Recording order (a chain's runs one after the other). */
  @Column({ type: 'bigint', insert: false, select: false })
  seq: string;

  @Field(() => ID, { nullable: true, description: 'Null once the rule is deleted (ruleName stays)' })
  @Column('uuid', { name: 'rule_id', nullable: true })
  ruleId: string | null;

  @Field()
  @Column({ length: 200, name: 'rule_name' })
  ruleName: string;

  @Column('uuid', { name: 'ticket_id' })
  ticketId: string;

  @Field(() => AutomationTriggerType)
  @Column({ type: 'varchar', length: 20, name: 'trigger_type' })
  triggerType: AutomationTriggerType;

  @Field()
  @Column()
  matched: boolean;

  @Field(() => [AutomationRunAction], { description: 'Empty when it did not match or its actions were rolled back' })
  @Column('jsonb')
  actions: AutomationRunAction[];

  @Field(() => String, {
    nullable: true,
    description: "Why the actions were rolled back (a failing action, the chain depth cap); the ticket's change stays",
  })
  @Column('text', { nullable: true })
  error: string | null;

  /** TIME_ELAPSED: the moment counted from (one run per rule, ticket and anchor). */
  @Column({ type: 'timestamptz', precision: 3, name: 'anchor_at', nullable: true })
  anchorAt: Date | null;

  @Field()
  @Column({ type: 'timestamptz', precision: 3 })
  at: Date;
}
