import type { DataSource, EntityManager } from 'typeorm';
import { setEventActor } from '../../core/events';
import { runInSchema, type ScopedTenant } from '../../core/tenancy/tenant-scope';
import { TicketStatus } from '../tickets';
import type { AutomationEngine } from './automation-engine';
import { AutomationTimeAnchor, AutomationTimeUnit, AutomationTriggerType } from './automation-enums';
import { AutomationRule } from './automation-rule.entity';

export interface AutomationSweepDependencies {
  dataSource: DataSource;
  engine: Pick<AutomationEngine, 'runTimed'>;
  now: () => Date;
  /** Tickets per transaction (default 500): a sweep over many tickets never holds one long transaction. */
  batchSize?: number;
}

export interface SweepOutcome {
  tenants: number;
  runs: number;
  /** Organizations whose sweep failed (rolled back to their last finished batch; retried by the next sweep). */
  failed: { tenantId: string; error: string }[];
}

const HOUR_MS = 3_600_000;
const durationMs = (rule: AutomationRule) =>
  rule.trigger.after! * (rule.trigger.unit === AutomationTimeUnit.DAYS ? 24 : 1) * HOUR_MS;

/** Per ticket, the moment a rule counts from (SQL over `t`): the last entry into the status, or customer message. */
function anchorSql(rule: AutomationRule): { anchor: string; where: string; params: unknown[] } {
  if (rule.trigger.since === AutomationTimeAnchor.STATUS) {
    return {
      anchor: `(SELECT max(c.changed_at) FROM ticket_status_changes c WHERE c.ticket_id = t.id AND c.to_status = $3)`,
      where: 't.status = $3',
      params: [rule.trigger.status],
    };
  }
  return {
    anchor: `(SELECT max(m.created_at) FROM ticket_messages m WHERE m.ticket_id = t.id AND m.author = 'CUSTOMER')`,
    where: 't.status <> $3',
    params: [TicketStatus.CLOSED],
  };
}

/**
 * TIME_ELAPSED rules ("N hours/days after status X / the last customer message"). Only organizations listed in
 * public.automation_schedules as due are visited; each is worked in batches of tickets, one transaction per batch,
 * and every (rule, ticket, anchor) runs once (automation_runs.anchor_at), whatever the sweeps. Afterwards the
 * organization is next due when its earliest waiting ticket is, or when a ticket anchored now would be.
 */
export class AutomationSweep {
  private readonly batchSize: number;

  constructor(private readonly deps: AutomationSweepDependencies) {
    this.batchSize = deps.batchSize ?? 500;
  }

  async sweep(): Promise<SweepOutcome> {
    const tenants: { id: string; slug: string; schema_name: string }[] = await this.deps.dataSource.query(
      `SELECT t.id, t.slug, t.schema_name FROM public.automation_schedules s JOIN public.tenants t ON t.id = s.tenant_id
        WHERE t.status = 'ACTIVE' AND s.next_due_at <= $1 ORDER BY s.next_due_at`,
      [this.deps.now()],
    );
    let runs = 0;
    const failed: SweepOutcome['failed'] = [];
    // One failing organization must not stop the others.
    for (const row of tenants) {
      try {
        runs += await this.sweepTenant({ id: row.id, slug: row.slug, status: 'ACTIVE', schema: row.schema_name });
      } catch (error) {
        failed.push({ tenantId: row.id, error: error instanceof Error ? error.message : String(error) });
      }
    }
    return { tenants: tenants.length, runs, failed };
  }

  /** One organization, batch after batch; answers how many rule runs it made. */
  async sweepTenant(tenant: ScopedTenant): Promise<number> {
    let total = 0;
    for (;;) {
      const done = await runInSchema(this.deps.dataSource, tenant.schema, (em) => this.batch(em), tenant);
      total += done;
      if (done < this.batchSize) break;
    }
    await runInSchema(this.deps.dataSource, tenant.schema, (em) => this.reschedule(em, tenant.id), tenant);
    return total;
  }

  /** Up to batchSize due (rule, ticket) pairs in this transaction. */
  private async batch(em: EntityManager): Promise<number> {
    // Two sweeps of one organization (at-least-once jobs) take turns: the second sees the first's runs.
    await em.query(`SELECT pg_advisory_xact_lock(hashtext('automation-sweep:' || current_schema()))`);
    await setEventActor(em, 'system:automation');
    let done = 0;
    for (const rule of await this.timeRules(em)) {
      const cutoff = new Date(this.deps.now().getTime() - durationMs(rule));
      const { anchor, where, params } = anchorSql(rule);
      const due: { id: string; anchor: Date }[] = await em.query(
        `SELECT * FROM (SELECT t.id, ${anchor} AS anchor FROM tickets t WHERE ${where}) d
          WHERE d.anchor <= $1
            AND NOT EXISTS (SELECT 1 FROM automation_runs r WHERE r.rule_id = $2 AND r.ticket_id = d.id AND r.anchor_at = d.anchor)
          ORDER BY d.anchor, d.id LIMIT $4`,
        [cutoff, rule.id, ...params, this.batchSize - done],
      );
      for (const { id, anchor: at } of due) await this.deps.engine.runTimed(em, rule, id, at);
      done += due.length;
      if (done >= this.batchSize) break;
    }
    return done;
  }

  private async reschedule(em: EntityManager, tenantId: string): Promise<void> {
    const rules = await this.timeRules(em);
    if (!rules.length) {
      await em.query('DELETE FROM public.automation_schedules WHERE tenant_id = $1', [tenantId]);
      return;
    }
    const now = this.deps.now().getTime();
    let next = Infinity;
    for (const rule of rules) {
      const { anchor, where, params } = anchorSql(rule);
      // What waits now is due at its anchor + the duration; anything anchored later, no sooner than now + it.
      const [{ earliest }]: { earliest: Date | null }[] = await em.query(
        `SELECT min(d.anchor) AS earliest FROM (SELECT t.id, ${anchor} AS anchor FROM tickets t WHERE ${where}) d
          WHERE d.anchor > $2
            AND NOT EXISTS (SELECT 1 FROM automation_runs r WHERE r.rule_id = $1 AND r.ticket_id = d.id AND r.anchor_at = d.anchor)`,
        [rule.id, new Date(now - durationMs(rule)), ...params],
      );
      next = Math.min(next, (earliest?.getTime() ?? now) + durationMs(rule));
    }
    await em.query('UPDATE public.automation_schedules SET next_due_at = $2 WHERE tenant_id = $1', [
      tenantId,
      new Date(next),
    ]);
  }

  private timeRules(em: EntityManager): Promise<AutomationRule[]> {
    return em.find(AutomationRule, {
      where: { active: true, triggerType: AutomationTriggerType.TIME_ELAPSED },
      order: { position: 'ASC', createdAt: 'ASC' },
    });
  }
}
