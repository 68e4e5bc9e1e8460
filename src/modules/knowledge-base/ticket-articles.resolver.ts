import { FieldResolver, Resolver, Root } from 'type-graphql';
import { canRead, Policy } from '../../core/authorization';
import type { OperationScope } from '../../core/tenancy/operation-scope';
import { OperationTenant } from '../../core/tenancy/tenant-request';
import { Ticket, type TicketService } from '../tickets';
import { Article } from './article.entity';
import type { ArticleService } from './article.service';
import { ticketArticleLoads } from './ticket-articles.loader';

type Loads = ReturnType<typeof ticketArticleLoads>;

/** Ticket.articles: the knowledge base extends Ticket (tickets does not know articles: no import cycle). */
@Resolver(() => Ticket)
export class TicketArticlesResolver {
  constructor(private readonly loads: Loads) {}

  @Policy(canRead('articles'))
  @FieldResolver(() => [Article], {
    nullable: true,
    description: 'Linked articles, in link order; FORBIDDEN (and null) without articles:read',
  })
  articles(@Root() ticket: Ticket, @OperationTenant() scope: OperationScope): Promise<Article[]> {
    return scope.load(this.loads.articlesOfTicket, ticket.id);
  }
}

@Resolver(() => Article)
export class ArticleTicketsResolver {
  constructor(private readonly loads: Loads) {}

  @Policy(canRead('tickets'))
  @FieldResolver(() => [Ticket], {
    nullable: true,
    description: 'Tickets the article is linked to, in link order; FORBIDDEN (and null) without tickets:read',
  })
  tickets(@Root() article: Article, @OperationTenant() scope: OperationScope): Promise<Ticket[]> {
    return scope.load(this.loads.ticketsOfArticle, article.id);
  }
}

/** Both sides of the ticket–article link, sharing their loaders. */
export function ticketArticleResolvers(articles: ArticleService, tickets: Pick<TicketService, 'byIds'>) {
  const loads = ticketArticleLoads(articles, tickets);
  return { ticketArticles: new TicketArticlesResolver(loads), articleTickets: new ArticleTicketsResolver(loads) };
}
