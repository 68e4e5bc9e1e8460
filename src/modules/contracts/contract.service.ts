import { In, type EntityManager } from 'typeorm';
import { addDays, addMonths, todayIn } from '../../core/calendar';
import { nextYearlyNumber } from '../../core/database/yearly-number';
import { BadUserInputError, ConflictError, NotFoundError } from '../../core/errors/app-error';
import { decodeCursor, toConnection } from '../../core/graphql/connection';
import { allEach, nodesOf, pagesPerParent } from '../../core/graphql/relations';
import { isUuid } from '../../core/tenancy/tenant-schema';
import { assertCalendarDateInRange } from '../../core/validation/date-range';
import {
  asQuoteLineInputs,
  copyLines,
  copyQuote,
  recordDocumentEvent,
  QuoteStatus,
  type Quote,
  type QuoteService,
} from '../quotes';
import { Contract, ContractLineItem } from './contract.entity';
import type { ContractFilter, ContractTermsInput } from './contract.inputs';
import { ContractStatus, EFFECTIVE_CONTRACT_STATUS_SQL, effectiveContractStatus } from './contract-status';

/** Default length of a contract when no endDate is given. */
const DEFAULT_TERM_MONTHS = 12;
/** How long a renewal quote is valid for. */
const RENEWAL_QUOTE_VALID_DAYS = 30;

export interface ContractServiceDeps {
  quotes: Pick<QuoteService, 'get' | 'create'>;
  /** The tenant's IANA time zone: contract dates and expiry follow its calendar. */
  timezoneOf: (em: EntityManager) => Promise<string>;
  now: () => Date;
}

export interface ContractListOptions {
  first: number;
  after?: string;
  filter?: ContractFilter;
  withTotalCount?: boolean;
}

/**
 * Contracts of one tenant, each made from one ACCEPTED quote (a unique index backs the check).
 * Status changes lock the contract row, so concurrent activations or terminations decide once.
 */
export class ContractService {
  constructor(private readonly deps: ContractServiceDeps) {}

  async generateFromQuote(em: EntityManager, quoteId: string, terms: ContractTermsInput = {}): Promise<Contract> {
    const today = await this.today(em);
    const quote = await this.deps.quotes.get(em, quoteId);
    if (quote.status !== QuoteStatus.ACCEPTED) {
      throw new ConflictError('Only an ACCEPTED quote can become a contract', {
        reason: 'QUOTE_NOT_ACCEPTED',
        status: quote.status,
      });
    }
    const existing = await em.findOneBy(Contract, { quoteId: quote.id });
    if (existing)
      throw new ConflictError('The quote already has a contract', {
        reason: 'CONTRACT_EXISTS',
        contractId: existing.id,
      });
    const startDate = terms.startDate ?? today;
    const endDate = terms.endDate ?? assertCalendarDateInRange(addMonths(startDate, DEFAULT_TERM_MONTHS), 'endDate');
    if (endDate <= startDate)
      throw new BadUserInputError('endDate must be after startDate', {
        reason: 'END_NOT_AFTER_START',
        field: 'endDate',
      });
    if (endDate < today)
      throw new BadUserInputError('endDate is in the past', { reason: 'END_DATE_PAST', field: 'endDate' });
    const contract = await em.save(
      em.create(Contract, {
        number: await nextYearlyNumber(em, 'contract_number_counters', 'C', Number(today.slice(0, 4))),
        ...copyQuote(quote),
        startDate,
        endDate,
        storedStatus: ContractStatus.DRAFT,
        activatedAt: null,
        terminatedAt: null,
        terminationReason: null,
        renewalQuoteId: null,
      }),
    );
    contract.lineItems = await em.save(
      copyLines(quote.lineItems).map((line) => em.create(ContractLineItem, { ...line, contractId: contract.id })),
    );
    return this.withStatus(contract, today);
  }

  async activate(em: EntityManager, id: string): Promise<Contract> {
    const today = await this.today(em);
    const contract = this.withStatus(await this.load(em, id, { lock: true }), today);
    if (contract.status !== ContractStatus.DRAFT) {
      throw new ConflictError(`A ${contract.status} contract cannot be activated`, {
        reason: 'CONTRACT_NOT_DRAFT',
        status: contract.status,
      });
    }
    contract.storedStatus = ContractStatus.ACTIVE;
    contract.activatedAt = this.deps.now();
    const active = this.withStatus(await em.save(contract), today);
    await recordDocumentEvent(em, 'contract.activated', active, ContractStatus.DRAFT);
    return active;
  }

  async terminate(em: EntityManager, id: string, reason: string): Promise<Contract> {
    const trimmed = reason.trim();
    if (!trimmed || trimmed.length > 2000)
      throw new BadUserInputError('reason must be 1 to 2000 characters', { reason: 'INVALID_REASON', field: 'reason' });
    const today = await this.today(em);
    const contract = this.withStatus(await this.load(em, id, { lock: true }), today);
    const before = contract.status;
    if (contract.status !== ContractStatus.DRAFT && contract.status !== ContractStatus.ACTIVE) {
      throw new ConflictError(`A ${contract.status} contract cannot be terminated`, {
        reason: 'CONTRACT_NOT_OPEN',
        status: contract.status,
      });
    }
    contract.storedStatus = ContractStatus.TERMINATED;
    contract.terminatedAt = this.deps.now();
    contract.terminationReason = trimmed;
    const terminated = this.withStatus(await em.save(contract), today);
    await recordDocumentEvent(em, 'contract.terminated', terminated, before);
    return terminated;
  }

  /**
   * A renewal: a new DRAFT quote for the same customer with the contract's lines and prices
   * (counted toward the quotes limit like any quote). Once per contract, ACTIVE or EXPIRED only.
   */
  async renew(em: EntityManager, actor: { tenantId: string; author: string }, id: string): Promise<Quote> {
    const today = await this.today(em);
    const contract = this.withStatus(await this.load(em, id, { lock: true }), today);
    if (contract.status !== ContractStatus.ACTIVE && contract.status !== ContractStatus.EXPIRED) {
      throw new ConflictError(`A ${contract.status} contract cannot be renewed`, {
        reason: 'CONTRACT_NOT_RENEWABLE',
        status: contract.status,
      });
    }
    if (contract.renewalQuoteId) {
      throw new ConflictError('The contract already has a renewal quote', {
        reason: 'ALREADY_RENEWED',
        quoteId: contract.renewalQuoteId,
      });
    }
    const quote = await this.deps.quotes.create(em, actor, {
      customerId: contract.customerId,
      title: `Renewal of ${contract.number}: ${contract.title}`.slice(0, 200),
      currency: contract.currency,
      validUntil: addDays(today, RENEWAL_QUOTE_VALID_DAYS),
      lineItems: asQuoteLineInputs(contract.lineItems),
    });
    await em.update(Contract, { id: contract.id }, { renewalQuoteId: quote.id });
    return quote;
  }

  async get(em: EntityManager, id: string): Promise<Contract> {
    return this.withStatus(await this.load(em, id), await this.today(em));
  }

  /** Keyset page ordered by (createdAt, id), line items loaded for the page in one query. */
  async list(em: EntityManager, options: ContractListOptions) {
    const today = await this.today(em);
    const query = this.filtered(em, options.filter, today);
    const totalCount = options.withTotalCount ? await query.clone().getCount() : 0;
    if (options.after) query.andWhere('(c.createdAt, c.id) > (:createdAt, :id)', decodeCursor(options.after));
    const page = toConnection(
      await query
        .orderBy('c.createdAt', 'ASC')
        .addOrderBy('c.id', 'ASC')
        .limit(options.first + 1)
        .getMany(),
      options.first,
    );
    await this.hydrate(
      em,
      page.edges.map((edge) => edge.node),
      today,
    );
    return { ...page, totalCount };
  }

  /** `list` for many customers at once (Customer.contracts): their pages in one query, their lines in another. */
  async pagesForCustomers(em: EntityManager, customerIds: readonly string[], options: ContractListOptions) {
    const today = await this.today(em);
    const pages = await pagesPerParent(
      this.filtered(em, options.filter, today),
      'c',
      'customerId',
      customerIds,
      options,
    );
    await this.hydrate(em, nodesOf(pages), today);
    return pages;
  }

  /** The newest contract made from each quote (null for none), in two queries (Quote.contract). */
  async forQuotes(em: EntityManager, quoteIds: readonly string[]): Promise<(Contract | null)[]> {
    const newestFirst = await em.find(Contract, {
      where: { quoteId: In([...quoteIds]) },
      order: { createdAt: 'DESC', id: 'DESC' },
    });
    const newest = allEach(quoteIds, newestFirst, (c) => c.quoteId).map((own) => own[0] ?? null);
    await this.hydrate(
      em,
      newest.filter((c): c is Contract => c !== null),
      await this.today(em),
    );
    return newest;
  }

  private filtered(em: EntityManager, filter: ContractListOptions['filter'], today: string) {
    const query = em.createQueryBuilder(Contract, 'c').setParameter('today', today);
    const { status, customerId } = filter ?? {};
    if (status) query.andWhere(`${EFFECTIVE_CONTRACT_STATUS_SQL} = :status`, { status });
    if (customerId) {
      if (!isUuid(customerId))
        throw new BadUserInputError('customerId must be a UUID', { reason: 'INVALID_ID', field: 'customerId' });
      query.andWhere('c.customerId = :customerId', { customerId });
    }
    return query;
  }

  /** Line items of all `contracts` in one query, and their status on `today`. */
  private async hydrate(em: EntityManager, contracts: Contract[], today: string): Promise<void> {
    const lines = contracts.length
      ? await em.find(ContractLineItem, {
          where: { contractId: In(contracts.map((c) => c.id)) },
          order: { position: 'ASC' },
        })
      : [];
    for (const contract of contracts) {
      contract.lineItems = lines.filter((line) => line.contractId === contract.id);
      this.withStatus(contract, today);
    }
  }

  private async load(em: EntityManager, id: string, options: { lock?: boolean } = {}): Promise<Contract> {
    const found = isUuid(id)
      ? await em.findOne(Contract, { where: { id }, lock: options.lock ? { mode: 'pessimistic_write' } : undefined })
      : null;
    if (!found) throw new NotFoundError('Contract', id);
    found.lineItems = await em.find(ContractLineItem, { where: { contractId: id }, order: { position: 'ASC' } });
    return found;
  }

  private withStatus(contract: Contract, today: string): Contract {
    contract.status = effectiveContractStatus(contract.storedStatus, contract.endDate, today);
    return contract;
  }

  private async today(em: EntityManager): Promise<string> {
    return todayIn(await this.deps.timezoneOf(em), this.deps.now());
  }
}
