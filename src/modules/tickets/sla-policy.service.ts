import type { EntityManager } from 'typeorm';
import { ConflictError } from '../../core/errors/app-error';
import type { EntitlementService } from '../plans';
import { SlaPolicy } from './sla-policy.entity';
import type { CreateSlaPolicyInput } from './sla-policy.inputs';

/** SLA policies are a plan feature (`sla_policies`); tickets pick theirs by priority when they open. */
export class SlaPolicyService {
  constructor(private readonly entitlements: Pick<EntitlementService, 'requireFeature'>) {}

  async create(em: EntityManager, tenantId: string, input: CreateSlaPolicyInput): Promise<SlaPolicy> {
    await this.entitlements.requireFeature(em, tenantId, 'sla_policies');
    if (await em.existsBy(SlaPolicy, { priority: input.priority })) {
      throw new ConflictError(`A policy for ${input.priority} tickets exists already`, { reason: 'SLA_POLICY_EXISTS' });
    }
    return em.save(em.create(SlaPolicy, { ...input, name: input.name.trim() }));
  }

  async list(em: EntityManager, tenantId: string): Promise<SlaPolicy[]> {
    await this.entitlements.requireFeature(em, tenantId, 'sla_policies');
    return em.find(SlaPolicy, { order: { createdAt: 'ASC', id: 'ASC' } });
  }
}
