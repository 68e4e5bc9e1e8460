import { In, type DataSource } from 'typeorm';
import { mapWithConcurrency } from '../core/concurrency';
import { addCounts, noSecrets, type ResealCount } from '../core/crypto/reseal';
import type { SecretBox } from '../core/crypto/secret-box';
import { runInSchema } from '../core/tenancy/tenant-scope';
import { resealEmailChannelSecrets } from '../modules/email-channel';
import { Tenant } from '../modules/tenants';
import { resealWhatsAppSecrets } from '../modules/whatsapp-channel';

/**
 * Organizations whose secrets are kept readable. Archived ones too: they can be activated
 * again, and once the previous key is dropped nothing sealed with it opens any more.
 */
const RESEALED_STATUSES = ['ACTIVE', 'SUSPENDED', 'ARCHIVED'];
/** Tenants worked on at once: each holds a pooled connection for its transaction. */
export const RESEAL_CONCURRENCY = 4;

export interface ResealFailure {
  tenant: Pick<Tenant, 'slug' | 'schemaName'>;
  error: string;
}

export interface ResealSummary extends ResealCount {
  tenants: number;
  failed: ResealFailure[];
  durationMs: number;
}

export interface ResealRunOptions {
  /** Count what would change, write nothing. */
  dryRun: boolean;
  /** Only these organizations (the others are known to hold no secret). */
  tenantIds?: string[];
  onStart?: (tenants: number) => void;
  onResult?: (failed: boolean) => void;
}

/**
 * Re-seals every organization's stored secrets with the current ENCRYPTION_KEY: one transaction
 * per organization (its mailbox password and its WhatsApp tokens), so one that fails (a key not
 * configured) rolls back alone and the others carry on. Idempotent: values already on the
 * current key are left as they are.
 */
export async function resealAllSecrets(
  dataSource: DataSource,
  secrets: SecretBox,
  options: ResealRunOptions,
): Promise<ResealSummary> {
  const started = Date.now();
  const tenants =
    options.tenantIds?.length === 0
      ? []
      : await dataSource.getRepository(Tenant).find({
          where: { status: In(RESEALED_STATUSES), ...(options.tenantIds && { id: In(options.tenantIds) }) },
          order: { createdAt: 'ASC' },
        });
  options.onStart?.(tenants.length);
  const failed: ResealFailure[] = [];
  const counts = await mapWithConcurrency(tenants, RESEAL_CONCURRENCY, async (tenant) => {
    try {
      const count = await runInSchema(dataSource, tenant.schemaName, async (em) => {
        const mailbox = await resealEmailChannelSecrets(em, secrets, tenant.id, options);
        return addCounts(mailbox, await resealWhatsAppSecrets(em, secrets, tenant.id, options));
      });
      options.onResult?.(false);
      return count;
    } catch (error) {
      failed.push({ tenant, error: error instanceof Error ? error.message : String(error) });
      options.onResult?.(true);
      return noSecrets();
    }
  });
  failed.sort((a, b) => a.tenant.slug.localeCompare(b.tenant.slug));
  return {
    ...counts.reduce(addCounts, noSecrets()),
    tenants: tenants.length,
    failed,
    durationMs: Date.now() - started,
  };
}
