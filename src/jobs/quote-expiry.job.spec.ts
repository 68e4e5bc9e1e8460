import pino from 'pino';
import type { EntityManager } from 'typeorm';
import { eventsOf } from '../../test/support/domain-events';
import { createTestDatabase, type TestDatabase } from '../../test/support/test-database';
import { openDatabase, type Database } from '../app/database';
import { createServices, type Services } from '../app/services';
import { loadConfig } from '../core/config/config';
import { runInSchema, type ScopedTenant } from '../core/tenancy/tenant-scope';
import { quoteExpiryJob } from './quote-expiry.job';

const logger = pino({ level: 'silent' });

describe('quote expiry job (controllable clock, real PostgreSQL)', () => {
  let database: TestDatabase;
  let db: Database;
  let services: Services;
  let now = new Date('2026-03-01T00:00:00Z');

  beforeAll(async () => {
    database = await createTestDatabase();
    const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', DATABASE_URL: database.url });
    db = await openDatabase(config, logger);
    services = createServices(config, db.dataSource, db.url, { now: () => now });
  });
  afterAll(async () => {
    await db.close();
    await database.drop();
  });

  const inTenant = <T>(tenant: ScopedTenant, work: (em: EntityManager) => Promise<T>) =>
    runInSchema(db.dataSource, tenant.schema, work, tenant);

  async function tenant(slug: string, timezone: string): Promise<ScopedTenant> {
    const created = await services.tenants.provision({ slug, name: slug });
    const scoped: ScopedTenant = { id: created.id, slug, status: 'ACTIVE', schema: created.schemaName };
    await inTenant(scoped, (em) => services.settings.update(em, { timezone }));
    return scoped;
  }

  let customers = 0;

  /** A quote valid until `validUntil`, taken to `to` (DRAFT, SENT or ACCEPTED). */
  async function quote(t: ScopedTenant, validUntil: string, to: 'DRAFT' | 'SENT' | 'ACCEPTED'): Promise<string> {
    return inTenant(t, async (em) => {
      const customer = await services.customers.create(em, t.id, {
        name: 'Buyer',
        email: `buyer${++customers}@example.test`,
      });
      const input = {
        customerId: customer.id,
        title: `${to} until ${validUntil}`,
        currency: 'NPR',
        validUntil,
        lineItems: [{ description: 'Work', quantity: '1', unitPrice: '10' }],
      };
      const { id } = await services.quotes.create(em, { tenantId: t.id, author: 'system' }, input);
      if (to !== 'DRAFT') await services.quotes.markSent(em, id, 'system');
      if (to === 'ACCEPTED') await services.quotes.accept(em, id, 'system');
      return id;
    });
  }

  const stored = async (t: ScopedTenant, id: string): Promise<string> =>
    (await db.dataSource.query(`SELECT status FROM "${t.schema}".quotes WHERE id = $1`, [id]))[0].status;

  const dueAt = async (t: ScopedTenant): Promise<string | undefined> =>
    (
      await db.dataSource.query(
        `SELECT due_at FROM public.tenant_due_work WHERE tenant_id = $1 AND job = 'quotes.expiry'`,
        [t.id],
      )
    )[0]?.due_at.toISOString();

  async function runAt(iso: string): Promise<void> {
    now = new Date(iso);
    await quoteExpiryJob(services).run({}, { logger, touch: async () => undefined });
  }

  it("stores EXPIRED on open quotes at each tenant's own midnight, and leaves decided ones", async () => {
    const kathmandu = await tenant('ktm-quotes', 'Asia/Kathmandu'); // UTC+05:45
    const utc = await tenant('utc-quotes', 'UTC');
    const draft = await quote(kathmandu, '2026-03-10', 'DRAFT');
    const sent = await quote(kathmandu, '2026-03-10', 'SENT');
    const accepted = await quote(kathmandu, '2026-03-10', 'ACCEPTED');
    const later = await quote(kathmandu, '2026-03-11', 'SENT');
    const utcDraft = await quote(utc, '2026-03-10', 'DRAFT');
    // Creating the quotes marked both organizations due when the 11th begins in the earliest zone (UTC+14).
    expect([await dueAt(kathmandu), await dueAt(utc)]).toEqual([
      '2026-03-10T10:00:00.000Z',
      '2026-03-10T10:00:00.000Z',
    ]);

    await runAt('2026-03-10T18:14:00Z'); // 23:59 on the 10th in Kathmandu: the last valid day
    // Visited, nothing expired: each is next due at its own midnight.
    expect([await dueAt(kathmandu), await dueAt(utc)]).toEqual([
      '2026-03-10T18:15:00.000Z',
      '2026-03-11T00:00:00.000Z',
    ]);
    expect(await stored(kathmandu, draft)).toBe('DRAFT');
    expect(await stored(kathmandu, sent)).toBe('SENT');

    await runAt('2026-03-10T18:15:00Z'); // midnight in Kathmandu, 18:15 in UTC
    expect([
      await stored(kathmandu, draft),
      await stored(kathmandu, sent),
      await stored(kathmandu, accepted),
      await stored(kathmandu, later),
    ]).toEqual(['EXPIRED', 'EXPIRED', 'ACCEPTED', 'SENT']);
    expect(await stored(utc, utcDraft)).toBe('DRAFT');
    expect(await dueAt(kathmandu)).toBe('2026-03-11T18:15:00.000Z'); // the quote valid until the 11th
    // One quote.expired per quote the job expired, acted by the job.
    const expired = (await eventsOf(db.dataSource, kathmandu.id, 'quote.expired')).map((e) => ({
      id: e.entityId,
      actor: e.actor,
      changes: e.changes,
    }));
    const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);
    const change = (before: string) => [{ field: 'status', before, after: 'EXPIRED' }];
    expect(expired.sort(byId)).toEqual(
      [
        { id: draft, actor: 'system:quotes.expiry', changes: change('DRAFT') },
        { id: sent, actor: 'system:quotes.expiry', changes: change('SENT') },
      ].sort(byId),
    );

    await runAt('2026-03-11T00:00:00Z');
    expect(await stored(utc, utcDraft)).toBe('EXPIRED');
    await runAt('2026-03-11T00:15:00Z');
    expect(await stored(kathmandu, later)).toBe('SENT');

    // The API reads the same; an expired draft may be extended (a DRAFT again), an expired sent quote is closed.
    await inTenant(kathmandu, async (em) => {
      expect((await services.quotes.get(em, sent)).status).toBe('EXPIRED');
      await expect(services.quotes.accept(em, sent, 'system')).rejects.toMatchObject({
        code: 'CONFLICT',
        details: { reason: 'QUOTE_EXPIRED' },
      });
      await expect(services.quotes.update(em, sent, { validUntil: '2026-04-30' })).rejects.toMatchObject({
        details: { reason: 'QUOTE_NOT_DRAFT' },
      });
      expect((await services.quotes.update(em, draft, { validUntil: '2026-04-30' })).status).toBe('DRAFT');
    });
    expect(await stored(kathmandu, draft)).toBe('DRAFT');
  });
});
