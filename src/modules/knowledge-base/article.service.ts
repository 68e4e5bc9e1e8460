import { In, type EntityManager } from 'typeorm';
import { rawWrite } from '../../core/database/raw-write';
import { NotFoundError } from '../../core/errors/app-error';
import { decodeCursor, toConnection } from '../../core/graphql/connection';
import { isUuid } from '../../core/tenancy/tenant-schema';
import { Ticket, TicketMessage, TicketStatus } from '../tickets';
import { Article, ArticleStatus } from './article.entity';
import type { ArticlesArgs, CreateArticleInput, UpdateArticleInput } from './article.inputs';

const normalizeTags = (tags: string[]) => [...new Set(tags.map((tag) => tag.trim().toLowerCase()).filter(Boolean))];

/**
 * Any word of the text may match: the text's own lexemes (already stemmed, so the `simple`
 * configuration keeps them as they are), quoted, OR-ed. Null when the text has no words.
 */
const ANY_WORD_QUERY = `(SELECT to_tsquery('simple', string_agg(quote_literal(lexeme), ' | ')) FROM unnest(to_tsvector('english', $1)))`;

/** Per article, its linked tickets that are RESOLVED or CLOSED; `where` narrows the links (alias `l`). */
const resolvedCountsSql = (where: string) =>
  `SELECT l.article_id AS id, count(*)::int AS count FROM ticket_articles l JOIN tickets t ON t.id = l.ticket_id
    WHERE t.status IN ('${TicketStatus.RESOLVED}', '${TicketStatus.CLOSED}') ${where} GROUP BY l.article_id`;

export interface TicketArticleLink {
  ticketId: string;
  articleId: string;
}

/** Knowledge-base articles of one tenant; every method takes the tenant-scoped manager of the caller's transaction. */
export class ArticleService {
  async create(em: EntityManager, input: CreateArticleInput): Promise<Article> {
    return em.save(
      em.create(Article, {
        title: input.title.trim(),
        body: input.body,
        category: input.category?.trim() || null,
        tags: normalizeTags(input.tags),
        status: input.status,
      }),
    );
  }

  async update(em: EntityManager, id: string, input: UpdateArticleInput): Promise<Article> {
    const article = await this.get(em, id);
    if (input.title !== undefined) article.title = input.title.trim();
    if (input.body !== undefined) article.body = input.body;
    if (input.category !== undefined) article.category = input.category?.trim() || null;
    if (input.tags !== undefined) article.tags = normalizeTags(input.tags ?? []);
    if (input.status !== undefined) article.status = input.status;
    return em.save(article);
  }

  async get(em: EntityManager, id: string): Promise<Article> {
    const article = isUuid(id) ? await em.findOneBy(Article, { id }) : null;
    if (!article) throw new NotFoundError('Article', id);
    return article;
  }

  /** Keyset page ordered by (createdAt, id); `search` narrows with the GIN-indexed full-text vector. */
  async list(em: EntityManager, args: ArticlesArgs) {
    const query = em.createQueryBuilder(Article, 'a');
    if (args.search?.trim())
      query.andWhere(`a.search_vector @@ websearch_to_tsquery('english', :search)`, { search: args.search.trim() });
    if (args.status) query.andWhere('a.status = :status', { status: args.status });
    if (args.category) query.andWhere('a.category = :category', { category: args.category });
    if (args.after) query.andWhere('(a.createdAt, a.id) > (:createdAt, :id)', decodeCursor(args.after));
    const rows = await query
      .orderBy('a.createdAt', 'ASC')
      .addOrderBy('a.id', 'ASC')
      .limit(args.first + 1)
      .getMany();
    return toConnection(rows, args.first);
  }

  /** Published articles ranked by how well they match the ticket's subject, description and messages. */
  async suggested(em: EntityManager, ticketId: string, limit: number): Promise<Article[]> {
    const ticket = isUuid(ticketId) ? await em.findOneBy(Ticket, { id: ticketId }) : null;
    if (!ticket) throw new NotFoundError('Ticket', ticketId);
    const messages = await em.find(TicketMessage, { where: { ticketId }, select: { body: true } });
    const text = [ticket.subject, ticket.description, ...messages.map((m) => m.body)].join('\n');
    const ranked: { id: string }[] = await em.query(
      `SELECT a.id FROM articles a, ${ANY_WORD_QUERY} AS q(query)
       WHERE a.status = $2 AND a.search_vector @@ q.query
       ORDER BY ts_rank(a.search_vector, q.query) DESC, a.created_at, a.id
       LIMIT $3`,
      [text, ArticleStatus.PUBLISHED, limit],
    );
    return this.inOrder(
      em,
      ranked.map(({ id }) => id),
    );
  }

  /** Sets `resolvedTicketCount` on the articles: one query for all of them. */
  async countResolved(em: EntityManager, articles: Article[]): Promise<Article[]> {
    if (!articles.length) return articles;
    const rows: { id: string; count: number }[] = await em.query(
      resolvedCountsSql('AND l.article_id = ANY($1::uuid[])'),
      [articles.map((a) => a.id)],
    );
    for (const article of articles) article.resolvedTicketCount = rows.find((r) => r.id === article.id)?.count ?? 0;
    return articles;
  }

  /** The articles linked to the most RESOLVED or CLOSED tickets, whatever their status; most first, then by id. */
  async topResolving(em: EntityManager, limit: number): Promise<Article[]> {
    const rows: { id: string; count: number }[] = await em.query(
      `${resolvedCountsSql('')} ORDER BY count DESC, l.article_id LIMIT $1`,
      [limit],
    );
    const articles = await this.inOrder(
      em,
      rows.map((r) => r.id),
    );
    for (const [index, article] of articles.entries()) article.resolvedTicketCount = rows[index].count;
    return articles;
  }

  /**
   * Links of many tickets (`by: 'ticket'`) or articles, oldest first, in one query (Ticket.articles, Article.tickets).
   */
  async links(em: EntityManager, by: 'ticket' | 'article', ids: readonly string[]): Promise<TicketArticleLink[]> {
    const rows: { ticket_id: string; article_id: string }[] = await em.query(
      `SELECT ticket_id, article_id FROM ticket_articles WHERE ${by}_id = ANY($1::uuid[]) ORDER BY linked_at, ticket_id, article_id`,
      [ids],
    );
    return rows.map((row) => ({ ticketId: row.ticket_id, articleId: row.article_id }));
  }

  /** Articles by id, in one query; missing ids are left out. */
  async byIds(em: EntityManager, ids: readonly string[]): Promise<Article[]> {
    return ids.length ? em.findBy(Article, { id: In([...ids]) }) : [];
  }

  private async inOrder(em: EntityManager, ids: string[]): Promise<Article[]> {
    if (!ids.length) return [];
    const articles = await em.findBy(Article, { id: In(ids) });
    return ids.map((id) => articles.find((a) => a.id === id)!);
  }

  /** Idempotent: linking twice keeps one link. */
  async link(em: EntityManager, ticketId: string, articleId: string): Promise<boolean> {
    await this.assertTicket(em, ticketId);
    await this.get(em, articleId);
    await em.query('INSERT INTO ticket_articles (ticket_id, article_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [
      ticketId,
      articleId,
    ]);
    return true;
  }

  /** False when there was no such link. */
  async unlink(em: EntityManager, ticketId: string, articleId: string): Promise<boolean> {
    if (!isUuid(ticketId) || !isUuid(articleId)) return false;
    const sql = 'DELETE FROM ticket_articles WHERE ticket_id = $1 AND article_id = $2';
    const { affected } = await rawWrite(em, sql, [ticketId, articleId]);
    return affected > 0;
  }

  /** Articles linked to the ticket, oldest link first. */
  async linkedTo(em: EntityManager, ticketId: string): Promise<Article[]> {
    await this.assertTicket(em, ticketId);
    return em
      .createQueryBuilder(Article, 'a')
      .innerJoin('ticket_articles', 'l', 'l.article_id = a.id')
      .where('l.ticket_id = :ticketId', { ticketId })
      .orderBy('l.linked_at', 'ASC')
      .addOrderBy('a.id', 'ASC')
      .getMany();
  }

  private async assertTicket(em: EntityManager, ticketId: string): Promise<void> {
    if (!isUuid(ticketId) || !(await em.existsBy(Ticket, { id: ticketId })))
      throw new NotFoundError('Ticket', ticketId);
  }
}
