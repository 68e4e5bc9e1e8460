import { In, type EntityManager } from 'typeorm';
import { BadUserInputError, ConflictError, NotFoundError } from '../../core/errors/app-error';
import { allEach } from '../../core/graphql/relations';
import { isUuid } from '../../core/tenancy/tenant-schema';
import { QuoteDocument, QuoteDocumentType, QuoteDocumentVersion } from './quote-document.entity';
import { renderQuoteDocuments, type CompanyDetails } from './quote-document-templates';
import type { Quote } from './quote.entity';
import { QuoteStatus } from './quote-status';

const MAX_CONTENT = 200_000;

/**
 * The four documents of a quote, as append-only versions. Every change (an edit or a
 * restore) inserts the next version while the quote row is locked, so versions of one
 * document are numbered 1, 2, 3… without gaps or races.
 */
export class QuoteDocumentService {
  constructor(private readonly companyOf: (em: EntityManager) => Promise<CompanyDetails>) {}

  /** Version 1 of every document, written with the quote. */
  async generate(em: EntityManager, quote: Quote, customerName: string, author: string): Promise<void> {
    const contents = renderQuoteDocuments(quote, customerName, await this.companyOf(em));
    const versions = Object.entries(contents).map(([type, content]) =>
      em.create(QuoteDocumentVersion, {
        quoteId: quote.id,
        type: type as QuoteDocumentType,
        version: 1,
        content,
        createdBy: author,
      }),
    );
    await em.save(versions);
  }

  async get(em: EntityManager, quoteId: string, type: QuoteDocumentType): Promise<QuoteDocument> {
    if (!isUuid(quoteId)) throw new NotFoundError('Quote', quoteId);
    const versions = await em.find(QuoteDocumentVersion, { where: { quoteId, type }, order: { version: 'ASC' } });
    if (!versions.length) throw new NotFoundError('Quote', quoteId);
    return documentOf(versions);
  }

  /** Every document of many quotes, each with its history, in one query (Quote.documents). */
  async forQuotes(em: EntityManager, quoteIds: readonly string[]): Promise<QuoteDocument[][]> {
    const versions = await em.find(QuoteDocumentVersion, {
      where: { quoteId: In([...quoteIds]) },
      order: { type: 'ASC', version: 'ASC' },
    });
    return allEach(quoteIds, versions, (v) => v.quoteId).map((own) =>
      allEach([...new Set(own.map((v) => v.type))], own, (v) => v.type).map((history) => documentOf(history)),
    );
  }

  /** The current version of each document (for the PDF). */
  currentVersions(em: EntityManager, quoteId: string): Promise<QuoteDocumentVersion[]> {
    return em
      .createQueryBuilder(QuoteDocumentVersion, 'v')
      .distinctOn(['v.type'])
      .where('v.quoteId = :quoteId', { quoteId })
      .orderBy('v.type')
      .addOrderBy('v.version', 'DESC')
      .getMany();
  }

  async update(
    em: EntityManager,
    quoteId: string,
    type: QuoteDocumentType,
    content: string,
    author: string,
  ): Promise<QuoteDocument> {
    if (content.length > MAX_CONTENT)
      throw new BadUserInputError(`content is longer than ${MAX_CONTENT} characters`, {
        reason: 'TOO_LONG',
        field: 'content',
      });
    await this.lockDraft(em, quoteId);
    return this.append(em, quoteId, type, content, author);
  }

  /** Restoring copies an old version into a new one: history is never rewritten. */
  async restore(
    em: EntityManager,
    quoteId: string,
    type: QuoteDocumentType,
    version: number,
    author: string,
  ): Promise<QuoteDocument> {
    await this.lockDraft(em, quoteId);
    const old = await em.findOneBy(QuoteDocumentVersion, { quoteId, type, version });
    if (!old) throw new NotFoundError('QuoteDocumentVersion', `${type} v${version}`);
    return this.append(em, quoteId, type, old.content, author);
  }

  private async append(
    em: EntityManager,
    quoteId: string,
    type: QuoteDocumentType,
    content: string,
    author: string,
  ): Promise<QuoteDocument> {
    const [{ last }] = await em.query(
      'SELECT coalesce(max(version), 0) AS last FROM quote_document_versions WHERE quote_id = $1 AND type = $2',
      [quoteId, type],
    );
    await em.save(
      em.create(QuoteDocumentVersion, { quoteId, type, version: Number(last) + 1, content, createdBy: author }),
    );
    return this.get(em, quoteId, type);
  }

  /** Documents change only while the quote is a DRAFT; the row lock orders concurrent edits. */
  private async lockDraft(em: EntityManager, quoteId: string): Promise<void> {
    const [quote] = isUuid(quoteId)
      ? await em.query('SELECT status FROM quotes WHERE id = $1 FOR UPDATE', [quoteId])
      : [];
    if (!quote) throw new NotFoundError('Quote', quoteId);
    if (quote.status !== QuoteStatus.DRAFT)
      throw new ConflictError('Documents change only while the quote is a DRAFT', {
        reason: 'QUOTE_NOT_DRAFT',
        status: quote.status,
      });
  }
}

/** A document from its versions, oldest first: the last one is current. */
function documentOf(versions: QuoteDocumentVersion[]): QuoteDocument {
  const current = versions[versions.length - 1];
  return Object.assign(new QuoteDocument(), {
    type: current.type,
    currentVersion: current.version,
    content: current.content,
    versions,
  });
}
