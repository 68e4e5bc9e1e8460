import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { JobState as JobStateValue } from '../../core/jobs/job-runner';

export enum JobState {
  SCHEDULED = 'SCHEDULED',
  RUNNING = 'RUNNING',
  FAILED = 'FAILED',
  COMPLETED = 'COMPLETED',
  DISABLED = 'DISABLED',
}
registerEnumType(JobState, {
  name: 'JobState',
  description: 'Where a background job is: waiting (or repeating), running now, last run failed, done, or disabled',
});

/** A row of the job queue, as `celery inspect` would show it. Platform admins only. */
@ObjectType({ description: 'A background job (one-off or repeating)' })
export class JobInfo {
  @Field(() => ID)
  id: string;

  @Field({ description: 'Job name, e.g. email.outbox.deliver' })
  name: string;

  @Field(() => JobState)
  state: JobStateValue;

  @Field(() => Date, { nullable: true })
  nextRunAt: Date | null;

  @Field(() => Date, { nullable: true })
  lastRunAt: Date | null;

  @Field(() => Date, { nullable: true })
  lastFinishedAt: Date | null;

  @Field(() => Int, { description: 'Failures since the last success' })
  failCount: number;

  @Field(() => String, { nullable: true, description: 'Error message of the last failure' })
  failReason: string | null;

  @Field(() => String, { nullable: true, description: "Repeating jobs: interval ('5 minutes') or cron expression" })
  repeatInterval: string | null;
}
