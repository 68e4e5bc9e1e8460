import { allOf, canRead, canWrite, Policy } from '../../core/authorization';
import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, FieldResolver, ID, Info, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { EntityManager } from 'typeorm';
import { selectsField } from '../../core/graphql/selection';
import type { OperationScope } from '../../core/tenancy/operation-scope';
import { OperationTenant, TenantManager } from '../../core/tenancy/tenant-request';
import { Article } from './article.entity';
import {
  ArticleConnection,
  ArticlesArgs,
  CreateArticleInput,
  SuggestedArticlesArgs,
  TopResolvingArticlesArgs,
  UpdateArticleInput,
} from './article.inputs';
import type { ArticleService } from './article.service';
import { resolvedCountLoad } from './ticket-articles.loader';

@Resolver(() => Article)
export class ArticleResolver {
  private readonly resolvedCount;

  constructor(private readonly articleService: ArticleService) {
    this.resolvedCount = resolvedCountLoad(articleService);
  }

  @Policy(canRead('articles'))
  @Query(() => Article)
  async article(
    @TenantManager() em: EntityManager,
    @Arg('id', () => ID) id: string,
    @Info() info: GraphQLResolveInfo,
  ): Promise<Article> {
    return this.one(em, info, await this.articleService.get(em, id));
  }

  @Policy(canRead('articles'))
  @Query(() => ArticleConnection)
  async articles(
    @TenantManager() em: EntityManager,
    @Args() args: ArticlesArgs,
    @Info() info: GraphQLResolveInfo,
  ): Promise<ArticleConnection> {
    const page = await this.articleService.list(em, args);
    await this.counted(
      em,
      info,
      page.edges.map((e) => e.node),
      ['edges', 'node'],
    );
    return page;
  }

  @Policy(allOf(canRead('articles'), canRead('tickets')))
  @Query(() => [Article], {
    description: "Published articles matching the ticket's subject, description and messages, best first",
  })
  async suggestedArticles(
    @TenantManager() em: EntityManager,
    @Args() { ticketId, limit }: SuggestedArticlesArgs,
    @Info() info: GraphQLResolveInfo,
  ): Promise<Article[]> {
    return this.counted(em, info, await this.articleService.suggested(em, ticketId, limit));
  }

  @Policy(canRead('tickets'))
  @Query(() => [Article], { description: 'Articles linked to the ticket' })
  async ticketArticles(
    @TenantManager() em: EntityManager,
    @Arg('ticketId', () => ID) ticketId: string,
    @Info() info: GraphQLResolveInfo,
  ): Promise<Article[]> {
    return this.counted(em, info, await this.articleService.linkedTo(em, ticketId));
  }

  @Policy(canRead('articles'))
  @Query(() => [Article], {
    description:
      'The articles that resolved the most tickets (resolvedTicketCount), most first; articles that resolved none are left out',
  })
  topResolvingArticles(
    @TenantManager() em: EntityManager,
    @Args() { limit }: TopResolvingArticlesArgs,
  ): Promise<Article[]> {
    return this.articleService.topResolving(em, limit);
  }

  @Policy(canWrite('articles'))
  @Mutation(() => Article)
  async createArticle(
    @TenantManager() em: EntityManager,
    @Arg('input') input: CreateArticleInput,
    @Info() info: GraphQLResolveInfo,
  ): Promise<Article> {
    return this.one(em, info, await this.articleService.create(em, input));
  }

  @Policy(canWrite('articles'))
  @Mutation(() => Article)
  async updateArticle(
    @TenantManager() em: EntityManager,
    @Arg('id', () => ID) id: string,
    @Arg('input') input: UpdateArticleInput,
    @Info() info: GraphQLResolveInfo,
  ): Promise<Article> {
    return this.one(em, info, await this.articleService.update(em, id, input));
  }

  @Policy(canWrite('tickets'))
  @Mutation(() => Boolean, { description: 'Idempotent' })
  linkArticle(
    @TenantManager() em: EntityManager,
    @Arg('ticketId', () => ID) ticketId: string,
    @Arg('articleId', () => ID) articleId: string,
  ): Promise<boolean> {
    return this.articleService.link(em, ticketId, articleId);
  }

  @Policy(canWrite('tickets'))
  @Mutation(() => Boolean, { description: 'False when they were not linked' })
  unlinkArticle(
    @TenantManager() em: EntityManager,
    @Arg('ticketId', () => ID) ticketId: string,
    @Arg('articleId', () => ID) articleId: string,
  ): Promise<boolean> {
    return this.articleService.unlink(em, ticketId, articleId);
  }

  @Policy(canRead('articles'))
  @FieldResolver(() => Int)
  resolvedTicketCount(@Root() article: Article, @OperationTenant() scope: OperationScope): number | Promise<number> {
    return article.resolvedTicketCount ?? scope.load(this.resolvedCount, article.id);
  }

  /** Counts resolved tickets (one query) only when the client selected them, at `path` below the root field. */
  private async counted(
    em: EntityManager,
    info: GraphQLResolveInfo,
    articles: Article[],
    path: string[] = [],
  ): Promise<Article[]> {
    return selectsField(info, 'resolvedTicketCount', path) ? this.articleService.countResolved(em, articles) : articles;
  }

  private async one(em: EntityManager, info: GraphQLResolveInfo, article: Article): Promise<Article> {
    return (await this.counted(em, info, [article]))[0];
  }
}
