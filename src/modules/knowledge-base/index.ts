export { Article, ArticleStatus } from './article.entity';
export { ArticleService } from './article.service';
export { ArticleResolver } from './article.resolver';
export { ArticleTicketsResolver, TicketArticlesResolver, ticketArticleResolvers } from './ticket-articles.resolver';
