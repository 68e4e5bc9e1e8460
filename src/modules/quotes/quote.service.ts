import { In, type EntityManager } from 'typeorm';
import { addDays, todayIn } from '../../core/calendar';
import { rawWrite } from '../../core/database/raw-write';
import { nextYearlyNumber } from '../../core/database/yearly-number';
import { markTenantDue } from '../../core/jobs/tenant-due-work';
import { BadUserInputError, ConflictError, NotFoundError } from '../../core/errors/app-error';
import { decodeCursor, likePattern, toConnection } from '../../core/graphql/connection';
import { nodesOf, pagesPerParent } from '../../core/graphql/relations';
import { isUuid } from '../../core/tenancy/tenant-schema';
import { fromScaled, toScaled, type ProductService } from '../catalog';
import type { CustomerService } from '../customers';
import type { EntitlementService } from '../plans';
import type { QuoteDocumentService } from './quote-document.service';
import { Quote, QuoteLineItem } from './quote.entity';
import type { CreateQuoteInput, QuoteFilter, QuoteLineItemInput, UpdateQuoteInput } from './quote.inputs';
import { effectiveStatus, QuoteStatus } from './quote-status';
import { recordDocumentEvent } from './quote.events';
import { lineTotals, MONEY_SCALE, PERCENT_SCALE, QUANTITY_SCALE, sumTotals } from './quote-totals';

/** The job that stores EXPIRED on overdue quotes; also its key in public.tenant_due_work. */
export const QUOTE_EXPIRY_JOB = 'quotes.expiry';
/** The earliest zone (UTC+14) starts a day this long before UTC does. */
const EARLIEST_ZONE_MS = 14 * 3_600_000;

/**
 * Marks the organization due for the expiry job when the day after `validUntil` may have begun in its zone (the
 * earliest zone's midnight, so no zone lookup here: the job's visit then knows the exact instant).
 */
const markExpiryDue = (em: EntityManager, validUntil: string) =>
  markTenantDue(em, QUOTE_EXPIRY_JOB, new Date(Date.parse(`${addDays(validUntil, 1)}T00:00:00Z`) - EARLIEST_ZONE_MS));

export interface QuoteServiceDeps {
  entitlements: Pick<EntitlementService, 'consume'>;
  customers: Pick<CustomerService, 'get'>;
  products: Pick<ProductService, 'get'>;
  documents: Pick<QuoteDocumentService, 'generate'>;
  /** The tenant's IANA time zone: quote dates and expiry follow its calendar. */
  timezoneOf: (em: EntityManager) => Promise<string>;
  now: () => Date;
}

export interface QuoteListOptions {
  first: number;
  after?: string;
  filter?: QuoteFilter;
  withTotalCount?: boolean;
}

/** The stored status with EXPIRED read from the date, as SQL, for filters. */
const EFFECTIVE_STATUS_SQL =
  "CASE WHEN q.status IN ('DRAFT', 'SENT') AND q.valid_until < :today THEN 'EXPIRED' ELSE q.status END";

/**
 * Quotes of one tenant. Totals are computed here (quote-totals.ts) and stored with the quote;
 * a quote is edited only while DRAFT and decided once. Creating one counts toward the
 * plan's monthly `quotes` limit in the same transaction.
 */
export class QuoteService {
  constructor(private readonly deps: QuoteServiceDeps) {}

  /** `author` names who acts (see QuoteDocumentVersion.createdBy); the four documents start at version 1. */
  async create(
    em: EntityManager,
    actor: { tenantId: string; author: string },
    input: CreateQuoteInput,
  ): Promise<Quote> {
    const today = await this.today(em);
    const customer = await this.deps.customers.get(em, input.customerId);
    if (input.validUntil < today)
      throw new BadUserInputError('validUntil is in the past', { reason: 'VALID_UNTIL_PAST', field: 'validUntil' });
    await this.deps.entitlements.consume(em, actor.tenantId, 'quotes');
    const quote = em.create(Quote, {
      number: await nextYearlyNumber(em, 'quote_number_counters', 'Q', Number(today.slice(0, 4))),
      customerId: input.customerId,
      title: input.title.trim(),
      currency: input.currency,
      validUntil: input.validUntil,
      storedStatus: QuoteStatus.DRAFT,
      rejectionReason: null,
      decidedAt: null,
      decidedBy: null,
      sentAt: null,
      sentBy: null,
    });
    await this.price(em, quote, input.lineItems);
    const saved = await this.save(em, quote);
    await markExpiryDue(em, saved.validUntil);
    await this.deps.documents.generate(em, saved, customer.name, actor.author);
    const created = this.withStatus(saved, today);
    await recordDocumentEvent(em, 'quote.created', created, null);
    return created;
  }

  async update(em: EntityManager, id: string, input: UpdateQuoteInput): Promise<Quote> {
    const today = await this.today(em);
    // An expired draft (never sent) may still be edited, e.g. to extend validUntil, which makes it a DRAFT again.
    const quote = await this.load(em, id, { lock: true });
    const expiredDraft = quote.storedStatus === QuoteStatus.EXPIRED && !quote.sentAt;
    if (quote.storedStatus !== QuoteStatus.DRAFT && !expiredDraft) {
      throw new ConflictError('Only a DRAFT quote can be edited', {
        reason: 'QUOTE_NOT_DRAFT',
        status: quote.storedStatus,
      });
    }
    if (input.title !== undefined) quote.title = input.title.trim();
    if (input.validUntil !== undefined) {
      if (input.validUntil < today)
        throw new BadUserInputError('validUntil is in the past', { reason: 'VALID_UNTIL_PAST', field: 'validUntil' });
      quote.validUntil = input.validUntil;
      quote.storedStatus = QuoteStatus.DRAFT;
      await markExpiryDue(em, quote.validUntil);
    }
    if (input.lineItems) {
      await em.delete(QuoteLineItem, { quoteId: quote.id });
      await this.price(em, quote, input.lineItems);
    }
    return this.withStatus(await this.save(em, quote), today);
  }

  /**
   * DRAFT → SENT, recording who sent it; the caller mails it in the same transaction (QuoteSender).
   * The row stays locked until then, so a quote is sent once.
   */
  async markSent(em: EntityManager, id: string, author: string): Promise<Quote> {
    const today = await this.today(em);
    const quote = this.withStatus(await this.load(em, id, { lock: true }), today);
    if (quote.status === QuoteStatus.EXPIRED) throw expiredError(quote);
    if (quote.status !== QuoteStatus.DRAFT)
      throw new ConflictError('Only a DRAFT quote can be sent', { reason: 'QUOTE_NOT_DRAFT', status: quote.status });
    quote.storedStatus = QuoteStatus.SENT;
    quote.sentAt = this.deps.now();
    quote.sentBy = author;
    const sent = this.withStatus(await em.save(quote), today);
    await recordDocumentEvent(em, 'quote.sent', sent, QuoteStatus.DRAFT);
    return sent;
  }

  accept(em: EntityManager, id: string, author: string): Promise<Quote> {
    return this.decide(em, id, { decision: QuoteStatus.ACCEPTED, reason: null, author });
  }

  reject(em: EntityManager, id: string, reason: string | null, author: string): Promise<Quote> {
    if (reason && reason.length > 2000)
      throw new BadUserInputError('reason is longer than 2000 characters', { reason: 'TOO_LONG', field: 'reason' });
    return this.decide(em, id, { decision: QuoteStatus.REJECTED, reason: reason?.trim() || null, author });
  }

  /** Stores EXPIRED on open quotes past validUntil (the daily job), so the table agrees with what the API reads. */
  async expireOverdue(em: EntityManager): Promise<number> {
    const { rows } = await rawWrite<{
      id: string;
      number: string;
      customerId: string;
      currency: string;
      total: string;
      status: string;
      before: string;
    }>(
      em,
      `UPDATE quotes q SET status = 'EXPIRED', updated_at = now()
         FROM (SELECT id, status FROM quotes WHERE status IN ('DRAFT', 'SENT') AND valid_until < $1 FOR UPDATE) old
        WHERE q.id = old.id
        RETURNING q.id, q.number, q.customer_id AS "customerId", q.currency, q.total, q.status, old.status AS before`,
      [await this.today(em)],
    );
    for (const { before, ...quote } of rows) await recordDocumentEvent(em, 'quote.expired', quote, before);
    return rows.length;
  }

  /** When the next open quote expires (the start of the day after its validUntil, in the tenant's zone); null: none. */
  async nextExpiryAt(em: EntityManager): Promise<Date | null> {
    const [{ at }]: { at: Date | null }[] = await em.query(
      `SELECT ((min(valid_until) + 1)::timestamp AT TIME ZONE $1) AS at FROM quotes WHERE status IN ('DRAFT', 'SENT')`,
      [await this.deps.timezoneOf(em)],
    );
    return at;
  }

  async get(em: EntityManager, id: string): Promise<Quote> {
    return this.withStatus(await this.load(em, id), await this.today(em));
  }

  /** Keyset page ordered by (createdAt, id), line items loaded for the page in one query. */
  async list(em: EntityManager, options: QuoteListOptions) {
    const today = await this.today(em);
    const query = this.filtered(em, options.filter, today);
    const totalCount = options.withTotalCount ? await query.clone().getCount() : 0;
    if (options.after) query.andWhere('(q.createdAt, q.id) > (:createdAt, :id)', decodeCursor(options.after));
    const rows = await query
      .orderBy('q.createdAt', 'ASC')
      .addOrderBy('q.id', 'ASC')
      .limit(options.first + 1)
      .getMany();
    const page = toConnection(rows, options.first);
    await this.hydrate(
      em,
      page.edges.map((edge) => edge.node),
      today,
    );
    return { ...page, totalCount };
  }

  /** `list` for many customers at once (Customer.quotes): their pages in one query, their lines in another. */
  async pagesForCustomers(em: EntityManager, customerIds: readonly string[], options: QuoteListOptions) {
    const today = await this.today(em);
    const pages = await pagesPerParent(
      this.filtered(em, options.filter, today),
      'q',
      'customerId',
      customerIds,
      options,
    );
    await this.hydrate(em, nodesOf(pages), today);
    return pages;
  }

  /** Quotes by id with their lines, in two queries (Contract.quote, Invoice.quote); missing ids are left out. */
  async byIds(em: EntityManager, ids: readonly string[]): Promise<Quote[]> {
    if (!ids.length) return [];
    const quotes = await em.findBy(Quote, { id: In([...ids]) });
    return this.hydrate(em, quotes, await this.today(em));
  }

  private filtered(em: EntityManager, filter: QuoteListOptions['filter'], today: string) {
    const query = em.createQueryBuilder(Quote, 'q').setParameter('today', today);
    const { status, customerId, search } = filter ?? {};
    if (status) query.andWhere(`${EFFECTIVE_STATUS_SQL} = :status`, { status });
    if (customerId) {
      if (!isUuid(customerId))
        throw new BadUserInputError('customerId must be a UUID', { reason: 'INVALID_ID', field: 'customerId' });
      query.andWhere('q.customerId = :customerId', { customerId });
    }
    if (search?.trim())
      query.andWhere('(q.title ILIKE :pattern OR q.number ILIKE :pattern)', { pattern: likePattern(search.trim()) });
    return query;
  }

  /** Line items of all `quotes` in one query, and their status on `today`. */
  private async hydrate(em: EntityManager, quotes: Quote[], today: string): Promise<Quote[]> {
    const lines = quotes.length
      ? await em.find(QuoteLineItem, { where: { quoteId: In(quotes.map((q) => q.id)) }, order: { position: 'ASC' } })
      : [];
    for (const quote of quotes) {
      quote.lineItems = lines.filter((line) => line.quoteId === quote.id);
      this.withStatus(quote, today);
    }
    return quotes;
  }

  /** Only a SENT quote is decided: the customer answers what they received. */
  private async decide(
    em: EntityManager,
    id: string,
    change: { decision: QuoteStatus; reason: string | null; author: string },
  ): Promise<Quote> {
    const today = await this.today(em);
    const quote = this.withStatus(await this.load(em, id, { lock: true }), today);
    const verb = change.decision.toLowerCase();
    if (quote.status === QuoteStatus.EXPIRED) throw expiredError(quote);
    if (quote.status === QuoteStatus.DRAFT)
      throw new ConflictError(`Send the quote before it is ${verb}`, {
        reason: 'QUOTE_NOT_SENT',
        status: quote.status,
      });
    if (quote.status !== QuoteStatus.SENT)
      throw new ConflictError(`A ${quote.status} quote cannot be ${verb}`, {
        reason: 'QUOTE_NOT_OPEN',
        status: quote.status,
      });
    quote.storedStatus = change.decision;
    quote.rejectionReason = change.reason;
    quote.decidedAt = this.deps.now();
    quote.decidedBy = change.author;
    const decided = this.withStatus(await em.save(quote), today);
    const type = change.decision === QuoteStatus.ACCEPTED ? 'quote.accepted' : 'quote.rejected';
    await recordDocumentEvent(em, type, decided, QuoteStatus.SENT);
    return decided;
  }

  private async load(em: EntityManager, id: string, options: { lock?: boolean } = {}): Promise<Quote> {
    const found = isUuid(id)
      ? await em.findOne(Quote, { where: { id }, lock: options.lock ? { mode: 'pessimistic_write' } : undefined })
      : null;
    if (!found) throw new NotFoundError('Quote', id);
    found.lineItems = await em.find(QuoteLineItem, { where: { quoteId: id }, order: { position: 'ASC' } });
    return found;
  }

  /** Saves the quote, then lines not yet stored (they are replaced whole, never edited). */
  private async save(em: EntityManager, quote: Quote): Promise<Quote> {
    const { lineItems } = quote;
    const saved = await em.save(quote);
    const fresh = lineItems.filter((line) => !line.id);
    for (const line of fresh) line.quoteId = saved.id;
    if (fresh.length) await em.save(fresh);
    saved.lineItems = lineItems;
    return saved;
  }

  /** Builds the line items (defaults from the catalog) and the quote's totals. */
  private async price(em: EntityManager, quote: Quote, inputs: QuoteLineItemInput[]): Promise<void> {
    const lines: QuoteLineItem[] = [];
    for (const [index, input] of inputs.entries()) {
      const field = (name: string) => `lineItems[${index}].${name}`;
      const product = input.productId ? await this.deps.products.get(em, input.productId) : null;
      if (product && product.currency !== quote.currency) {
        throw new BadUserInputError(`Product ${product.sku} is priced in ${product.currency}, not ${quote.currency}`, {
          reason: 'CURRENCY_MISMATCH',
          field: field('productId'),
        });
      }
      const description = input.description?.trim() || product?.name;
      const unitPrice = input.unitPrice ?? product?.unitPrice;
      if (!description || unitPrice == null) {
        throw new BadUserInputError('A line without a product needs a description and a unitPrice', {
          reason: 'INCOMPLETE_LINE',
          field: field('unitPrice'),
        });
      }
      const amounts = {
        quantity: bounded(input.quantity, QUANTITY_SCALE, { above: 0n, below: 10n ** 11n }, field('quantity')),
        unitPrice: bounded(unitPrice, MONEY_SCALE, { atLeast: 0n, below: 10n ** 12n }, field('unitPrice')),
        discountPercent: bounded(input.discountPercent ?? '0', PERCENT_SCALE, PERCENT_RANGE, field('discountPercent')),
        taxRate: bounded(input.taxRate ?? product?.taxRate ?? '0', PERCENT_SCALE, PERCENT_RANGE, field('taxRate')),
      };
      lines.push(
        em.create(QuoteLineItem, {
          position: index + 1,
          productId: product?.id ?? null,
          description,
          ...amounts,
          ...lineTotals(amounts),
        }),
      );
    }
    const totals = sumTotals(lines);
    // Amounts are never negative, so the quote's sums bound every line's (numeric(16, 2) columns).
    for (const key of ['subtotal', 'total'] as const)
      bounded(totals[key], MONEY_SCALE, { atLeast: 0n, below: 10n ** 14n }, key);
    quote.lineItems = lines;
    Object.assign(quote, totals);
  }

  private withStatus(quote: Quote, today: string): Quote {
    quote.status = effectiveStatus(quote.storedStatus, quote.validUntil, today);
    return quote;
  }

  /** Today's date (YYYY-MM-DD) on the tenant's calendar. */
  private async today(em: EntityManager): Promise<string> {
    return todayIn(await this.deps.timezoneOf(em), this.deps.now());
  }
}

const expiredError = (quote: Quote) =>
  new ConflictError(`The quote expired after ${quote.validUntil}`, {
    reason: 'QUOTE_EXPIRED',
    status: QuoteStatus.EXPIRED,
    validUntil: quote.validUntil,
  });

const PERCENT_RANGE = { atLeast: 0n, atMost: 100n };

interface Range {
  above?: bigint;
  atLeast?: bigint;
  atMost?: bigint;
  below?: bigint;
}

/** Normalises a decimal to `scale` places and checks it against whole-number bounds. */
function bounded(value: string, scale: number, range: Range, field: string): string {
  const scaled = toScaled(value, scale, field);
  const unit = 10n ** BigInt(scale);
  const outside =
    (range.above !== undefined && scaled <= range.above * unit) ||
    (range.atLeast !== undefined && scaled < range.atLeast * unit) ||
    (range.atMost !== undefined && scaled > range.atMost * unit) ||
    (range.below !== undefined && scaled >= range.below * unit);
  if (outside)
    throw new BadUserInputError(`${field} is out of range`, { reason: 'OUT_OF_RANGE', field, range: describe(range) });
  return fromScaled(scaled, scale);
}

const describe = (range: Range) =>
  [
    range.above !== undefined && `> ${range.above}`,
    range.atLeast !== undefined && `>= ${range.atLeast}`,
    range.atMost !== undefined && `<= ${range.atMost}`,
    range.below !== undefined && `< ${range.below}`,
  ]
    .filter(Boolean)
    .join(' and ');
