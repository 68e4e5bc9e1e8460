import { allEach } from '../../core/graphql/relations';
import { defineBatchLoad, type BatchLoad } from '../../core/tenancy/operation-scope';
import type { Ticket, TicketService } from '../tickets';
import { Article } from './article.entity';
import type { ArticleService, TicketArticleLink } from './article.service';

/**
 * Rows linked to each id through `ticket_articles`, in link order: one query for the links of the
 * whole batch, one for the linked rows (`fetch`).
 */
function linkedLoad<T extends { id: string }>(
  articles: ArticleService,
  from: 'ticket' | 'article',
  fetch: (manager: Parameters<ArticleService['byIds']>[0], ids: string[]) => Promise<T[]>,
): BatchLoad<string, T[]> {
  const [own, other] = from === 'ticket' ? (['ticketId', 'articleId'] as const) : (['articleId', 'ticketId'] as const);
  return defineBatchLoad(async ({ manager }, ids) => {
    const links = await articles.links(manager, from, ids);
    const rows = new Map(
      (await fetch(manager, [...new Set(links.map((link) => link[other]))])).map((row) => [row.id, row]),
    );
    return allEach(ids, links, (link: TicketArticleLink) => link[own]).map((mine) =>
      mine.flatMap((link) => rows.get(link[other]) ?? []),
    );
  });
}

/** Ticket.articles and Article.tickets, batched. */
export function ticketArticleLoads(articles: ArticleService, tickets: Pick<TicketService, 'byIds'>) {
  return {
    articlesOfTicket: linkedLoad<Article>(articles, 'ticket', (manager, ids) => articles.byIds(manager, ids)),
    ticketsOfArticle: linkedLoad<Ticket>(articles, 'article', (manager, ids) => tickets.byIds(manager, ids)),
  };
}

/** Resolved tickets per article (Article.resolvedTicketCount when the root resolver did not count them). */
export const resolvedCountLoad = (articles: ArticleService): BatchLoad<string, number> =>
  defineBatchLoad(async ({ manager }, ids) => {
    const counted = await articles.countResolved(
      manager,
      ids.map((id) => Object.assign(new Article(), { id })),
    );
    const byId = new Map(counted.map((article) => [article.id, article.resolvedTicketCount ?? 0]));
    return ids.map((id) => byId.get(id) ?? 0);
  });
