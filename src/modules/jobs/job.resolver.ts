import { platformAdmin, Policy } from '../../core/authorization';
import { Arg, Int, Query, Resolver } from 'type-graphql';
import { JobInfo, JobState } from './job-info';
import { JobService } from './job.service';

@Resolver(() => JobInfo)
export class JobResolver {
  constructor(private readonly jobService: JobService) {}

  @Policy(platformAdmin)
  @Query(() => [JobInfo], { description: 'Platform admin: background jobs of all processes, soonest first' })
  jobs(
    @Arg('state', () => JobState, { nullable: true }) state?: JobState,
    @Arg('name', () => String, { nullable: true }) name?: string,
    @Arg('first', () => Int, { nullable: true, description: 'At most this many (default 50, max 500)' }) first?: number,
  ): Promise<JobInfo[]> {
    return this.jobService.list({ state: state ?? undefined, name: name ?? undefined, first: first ?? undefined });
  }
}
