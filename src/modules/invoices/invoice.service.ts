import { In, Not, type EntityManager } from 'typeorm';
import { addDays, todayIn } from '../../core/calendar';
import { nextYearlyNumber } from '../../core/database/yearly-number';
import { BadUserInputError, ConflictError, NotFoundError } from '../../core/errors/app-error';
import { decodeCursor, toConnection } from '../../core/graphql/connection';
import { allEach, nodesOf, pagesPerParent } from '../../core/graphql/relations';
import { isUuid } from '../../core/tenancy/tenant-schema';
import type { EntitlementService } from '../plans';
import { copyLines, copyQuote, recordDocumentEvent, QuoteStatus, type QuoteService } from '../quotes';
import { Invoice, InvoiceLineItem } from './invoice.entity';
import type { InvoiceFilter } from './invoice.inputs';
import { InvoiceStatus, OPEN_INVOICE_STATUSES } from './invoice-status';

export interface InvoiceServiceDeps {
  entitlements: Pick<EntitlementService, 'consume'>;
  quotes: Pick<QuoteService, 'get'>;
  /** The tenant's IANA time zone (issue and due dates follow its calendar) and payment terms. */
  termsOf: (em: EntityManager) => Promise<{ timeZone: string; paymentTermsDays: number }>;
  now: () => Date;
}

export interface InvoiceListOptions {
  first: number;
  after?: string;
  filter?: InvoiceFilter;
  withTotalCount?: boolean;
}

/**
 * Invoices of one tenant, made from ACCEPTED quotes: at most one that is not VOID per quote.
 * Creating one counts toward the plan's monthly `invoices` limit in the same transaction, so a
 * refused create writes nothing (not even a number). Status changes lock the invoice row.
 */
export class InvoiceService {
  constructor(private readonly deps: InvoiceServiceDeps) {}

  /** Due `dueDate` when given (not before today, the issue date), else after the tenant's payment terms. */
  async createFromQuote(
    em: EntityManager,
    tenantId: string,
    quoteId: string,
    dueDate?: string | null,
  ): Promise<Invoice> {
    const { timeZone, paymentTermsDays } = await this.deps.termsOf(em);
    const today = todayIn(timeZone, this.deps.now());
    if (dueDate && dueDate < today)
      throw new BadUserInputError('dueDate is before the issue date', {
        reason: 'DUE_BEFORE_ISSUE',
        field: 'dueDate',
        issueDate: today,
      });
    const quote = await this.deps.quotes.get(em, quoteId);
    if (quote.status !== QuoteStatus.ACCEPTED) {
      throw new ConflictError('Only an ACCEPTED quote can be invoiced', {
        reason: 'QUOTE_NOT_ACCEPTED',
        status: quote.status,
      });
    }
    const open = await em.findOneBy(Invoice, { quoteId: quote.id, status: Not(InvoiceStatus.VOID) });
    if (open)
      throw new ConflictError('The quote already has an invoice; void it first', {
        reason: 'INVOICE_EXISTS',
        invoiceId: open.id,
      });
    await this.deps.entitlements.consume(em, tenantId, 'invoices');
    const invoice = await em.save(
      em.create(Invoice, {
        number: await nextYearlyNumber(em, 'invoice_number_counters', 'INV', Number(today.slice(0, 4))),
        ...copyQuote(quote),
        issueDate: today,
        dueDate: dueDate ?? addDays(today, paymentTermsDays),
        status: InvoiceStatus.DRAFT,
        sentAt: null,
        sentBy: null,
        paidAt: null,
        voidedAt: null,
      }),
    );
    invoice.lineItems = await em.save(
      copyLines(quote.lineItems).map((line) => em.create(InvoiceLineItem, { ...line, invoiceId: invoice.id })),
    );
    await recordDocumentEvent(em, 'invoice.created', invoice, null);
    return invoice;
  }

  /** DRAFT → SENT, recording when and by whom; the caller mails it in the same transaction. */
  async markSent(em: EntityManager, id: string, author: string): Promise<Invoice> {
    const invoice = await this.load(em, id, { lock: true });
    if (invoice.status !== InvoiceStatus.DRAFT) {
      throw new ConflictError('Only a DRAFT invoice can be sent', {
        reason: 'INVOICE_NOT_DRAFT',
        status: invoice.status,
      });
    }
    invoice.status = InvoiceStatus.SENT;
    invoice.sentAt = this.deps.now();
    invoice.sentBy = author;
    return this.saveAndRecord(em, invoice, 'invoice.sent', InvoiceStatus.DRAFT);
  }

  /** `paidAt` defaults to now; it cannot be in the future nor before the issue date (on the tenant's calendar). */
  async markPaid(em: EntityManager, id: string, paidAt?: Date | null): Promise<Invoice> {
    const now = this.deps.now();
    if (paidAt && paidAt > now)
      throw new BadUserInputError('paidAt is in the future', { reason: 'PAID_AT_FUTURE', field: 'paidAt' });
    const invoice = await this.loadOpen(em, id, 'paid');
    if (paidAt && todayIn((await this.deps.termsOf(em)).timeZone, paidAt) < invoice.issueDate) {
      const details = { reason: 'PAID_BEFORE_ISSUE', field: 'paidAt', issueDate: invoice.issueDate };
      throw new BadUserInputError('paidAt is before the issue date', details);
    }
    const before = invoice.status;
    invoice.status = InvoiceStatus.PAID;
    invoice.paidAt = paidAt ?? now;
    return this.saveAndRecord(em, invoice, 'invoice.paid', before);
  }

  async void(em: EntityManager, id: string): Promise<Invoice> {
    const invoice = await this.loadOpen(em, id, 'voided');
    const before = invoice.status;
    invoice.status = InvoiceStatus.VOID;
    invoice.voidedAt = this.deps.now();
    return this.saveAndRecord(em, invoice, 'invoice.voided', before);
  }

  private async saveAndRecord(
    em: EntityManager,
    invoice: Invoice,
    type: 'invoice.sent' | 'invoice.paid' | 'invoice.voided',
    before: InvoiceStatus,
  ): Promise<Invoice> {
    const saved = await em.save(invoice);
    await recordDocumentEvent(em, type, saved, before);
    return saved;
  }

  /** The invoice with its lines (position order), e.g. to render it. */
  async get(em: EntityManager, id: string): Promise<Invoice> {
    return this.load(em, id);
  }

  /** Keyset page ordered by (createdAt, id), line items loaded for the page in one query. */
  async list(em: EntityManager, options: InvoiceListOptions) {
    const query = this.filtered(em, options.filter);
    const totalCount = options.withTotalCount ? await query.clone().getCount() : 0;
    if (options.after) query.andWhere('(i.createdAt, i.id) > (:createdAt, :id)', decodeCursor(options.after));
    const page = toConnection(
      await query
        .orderBy('i.createdAt', 'ASC')
        .addOrderBy('i.id', 'ASC')
        .limit(options.first + 1)
        .getMany(),
      options.first,
    );
    await this.withLines(
      em,
      page.edges.map((edge) => edge.node),
    );
    return { ...page, totalCount };
  }

  /** `list` for many customers at once (Customer.invoices): their pages in one query, their lines in another. */
  async pagesForCustomers(em: EntityManager, customerIds: readonly string[], options: InvoiceListOptions) {
    const pages = await pagesPerParent(this.filtered(em, options.filter), 'i', 'customerId', customerIds, options);
    await this.withLines(em, nodesOf(pages));
    return pages;
  }

  /** The invoices made from each quote, oldest first, in two queries (Quote.invoices). */
  async forQuotes(em: EntityManager, quoteIds: readonly string[]): Promise<Invoice[][]> {
    const invoices = await em.find(Invoice, {
      where: { quoteId: In([...quoteIds]) },
      order: { createdAt: 'ASC', id: 'ASC' },
    });
    await this.withLines(em, invoices);
    return allEach(quoteIds, invoices, (invoice) => invoice.quoteId);
  }

  private filtered(em: EntityManager, filter: InvoiceListOptions['filter']) {
    const query = em.createQueryBuilder(Invoice, 'i');
    const { status, customerId } = filter ?? {};
    if (status) query.andWhere('i.status = :status', { status });
    if (customerId) {
      if (!isUuid(customerId))
        throw new BadUserInputError('customerId must be a UUID', { reason: 'INVALID_ID', field: 'customerId' });
      query.andWhere('i.customerId = :customerId', { customerId });
    }
    return query;
  }

  /** Line items of all `invoices` in one query. */
  private async withLines(em: EntityManager, invoices: Invoice[]): Promise<void> {
    const lines = invoices.length
      ? await em.find(InvoiceLineItem, {
          where: { invoiceId: In(invoices.map((i) => i.id)) },
          order: { position: 'ASC' },
        })
      : [];
    for (const invoice of invoices) invoice.lineItems = lines.filter((line) => line.invoiceId === invoice.id);
  }

  /** Locked, and still DRAFT or SENT: paid and voided invoices are final. */
  private async loadOpen(em: EntityManager, id: string, change: 'paid' | 'voided'): Promise<Invoice> {
    const invoice = await this.load(em, id, { lock: true });
    if (!OPEN_INVOICE_STATUSES.includes(invoice.status)) {
      throw new ConflictError(`A ${invoice.status} invoice cannot be ${change}`, {
        reason: 'INVOICE_NOT_OPEN',
        status: invoice.status,
      });
    }
    return invoice;
  }

  private async load(em: EntityManager, id: string, options: { lock?: boolean } = {}): Promise<Invoice> {
    const found = isUuid(id)
      ? await em.findOne(Invoice, { where: { id }, lock: options.lock ? { mode: 'pessimistic_write' } : undefined })
      : null;
    if (!found) throw new NotFoundError('Invoice', id);
    found.lineItems = await em.find(InvoiceLineItem, { where: { invoiceId: id }, order: { position: 'ASC' } });
    return found;
  }
}
