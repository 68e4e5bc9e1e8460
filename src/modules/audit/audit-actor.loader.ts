import { defineBatchLoad } from '../../core/tenancy/operation-scope';
import { AuditActorKind, type AuditActor } from './audit.types';

/**
 * What a person reads for an actor: the user's email or the API key's name, for the actors of one page in two
 * queries. The actors come from this organization's own entries (people who acted here, former members included:
 * the log outlives membership); keys are looked up among this organization's only.
 */
export const actorLabel = defineBatchLoad<AuditActor, string | null>(
  async ({ manager, tenant }, actors) => {
    const idsOf = (kind: AuditActorKind) => [
      ...new Set(actors.filter((a) => a.kind === kind && a.id).map((a) => a.id!)),
    ];
    const uuid = /^[0-9a-f-]{36}$/i;
    const userIds = idsOf(AuditActorKind.USER).filter((id) => uuid.test(id));
    const keyIds = idsOf(AuditActorKind.API_KEY).filter((id) => uuid.test(id));
    const [users, keys]: { id: string; label: string }[][] = await Promise.all([
      userIds.length
        ? manager.query('SELECT id::text, email AS label FROM public.users WHERE id = ANY($1::uuid[])', [userIds])
        : [],
      keyIds.length
        ? manager.query(
            'SELECT id::text, name AS label FROM public.api_keys WHERE tenant_id = $1 AND id = ANY($2::uuid[])',
            [tenant.id, keyIds],
          )
        : [],
    ]);
    const labels = new Map([...users, ...keys].map((row) => [row.id, row.label]));
    return actors.map((actor) => (actor.id ? (labels.get(actor.id) ?? null) : null));
  },
  (actor) => actor.raw,
);
