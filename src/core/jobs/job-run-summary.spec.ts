import { captureLogger } from '../../../test/support/jobs';
import { JobRunSummary } from './job-run-summary';

describe('job run summary', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('logs runs, failed runs and failed tenants per job once per window at info, nothing for an idle window', () => {
    const { logger, lines } = captureLogger();
    const summary = new JobRunSummary(logger, 600_000);
    for (let i = 0; i < 30; i++) summary.recordRun('email.outbox.deliver', 'success');
    summary.recordRun('tickets.sla.check', 'failure');
    summary.recordRun('tickets.sla.check', 'success');
    summary.recordTenantFailures('tickets.sla.check', 3);
    jest.advanceTimersByTime(600_000);
    expect(lines).toEqual([
      expect.objectContaining({
        level: 30,
        msg: 'job runs summary',
        windowSeconds: 600,
        jobs: {
          'email.outbox.deliver': { runs: 30, failures: 0, tenantFailures: 0 },
          'tickets.sla.check': { runs: 2, failures: 1, tenantFailures: 3 },
        },
      }),
    ]);
    jest.advanceTimersByTime(600_000); // nothing ran
    summary.recordRun('quotes.expiry', 'success');
    summary.close(); // the last, partial window at shutdown
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ jobs: { 'quotes.expiry': { runs: 1, failures: 0, tenantFailures: 0 } } });
  });
});
