import { canRead, Policy } from '../../core/authorization';
import { Args, Query, Resolver } from 'type-graphql';
import type { EntityManager } from 'typeorm';
import type { ScopedTenant } from '../../core/tenancy/tenant-scope';
import { CurrentTenant, TenantManager } from '../../core/tenancy/tenant-request';
import type { SlaReportService } from './sla-report.service';
import { SlaReport, SlaReportArgs } from './sla-report.types';

@Resolver(() => SlaReport)
export class SlaReportResolver {
  constructor(private readonly slaReportService: SlaReportService) {}

  @Policy(canRead('tickets'))
  @Query(() => SlaReport, {
    description:
      'BAD_USER_INPUT (INVALID_PERIOD) unless to is after from; PLAN_UPGRADE_REQUIRED unless the plan has sla_policies',
  })
  slaReport(
    @TenantManager() em: EntityManager,
    @CurrentTenant() tenant: ScopedTenant,
    @Args() { from, to }: SlaReportArgs,
  ): Promise<SlaReport> {
    return this.slaReportService.report(em, tenant.id, from, to);
  }
}
