export { JobInfo, JobState } from './job-info';
export { JobService, type JobInspector } from './job.service';
export { JobResolver } from './job.resolver';
