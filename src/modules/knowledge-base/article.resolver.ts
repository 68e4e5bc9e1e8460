import { Arg, Args, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { EntityManager } from 'typeorm';
import { TenantManager, TenantScoped } from '../../core/tenancy/tenant-scoped.middleware';
import { Article } from './article.entity';
import { ArticleConnection, ArticlesArgs, CreateArticleInput, SuggestedArticlesArgs, UpdateArticleInput } from './article.inputs';
import type { ArticleService } from './article.service';

@Resolver(() => Article)
@TenantScoped()
export class ArticleResolver {
  constructor(private readonly articleService: ArticleService) {}

  @Query(() => Article)
  article(@TenantManager() em: EntityManager, @Arg('id', () => ID) id: string): Promise<Article> {
    return this.articleService.get(em, id);
  }

  @Query(() => ArticleConnection)
  articles(@TenantManager() em: EntityManager, @Args() args: ArticlesArgs): Promise<ArticleConnection> {
    return this.articleService.list(em, args);
  }

  @Query(() => [Article], { description: "Published articles matching the ticket's subject, description and messages, best first" })
  suggestedArticles(@TenantManager() em: EntityManager, @Args() { ticketId, limit }: SuggestedArticlesArgs): Promise<Article[]> {
    return this.articleService.suggested(em, ticketId, limit);
  }

  @Query(() => [Article], { description: 'Articles linked to the ticket' })
  ticketArticles(@TenantManager() em: EntityManager, @Arg('ticketId', () => ID) ticketId: string): Promise<Article[]> {
    return this.articleService.linkedTo(em, ticketId);
  }

  @Mutation(() => Article)
  createArticle(@TenantManager() em: EntityManager, @Arg('input') input: CreateArticleInput): Promise<Article> {
    return this.articleService.create(em, input);
  }

  @Mutation(() => Article)
  updateArticle(@TenantManager() em: EntityManager, @Arg('id', () => ID) id: string, @Arg('input') input: UpdateArticleInput): Promise<Article> {
    return this.articleService.update(em, id, input);
  }

  @Mutation(() => Boolean, { description: 'Idempotent' })
  linkArticle(@TenantManager() em: EntityManager, @Arg('ticketId', () => ID) ticketId: string, @Arg('articleId', () => ID) articleId: string): Promise<boolean> {
    return this.articleService.link(em, ticketId, articleId);
  }

  @Mutation(() => Boolean, { description: 'False when they were not linked' })
  unlinkArticle(@TenantManager() em: EntityManager, @Arg('ticketId', () => ID) ticketId: string, @Arg('articleId', () => ID) articleId: string): Promise<boolean> {
    return this.articleService.unlink(em, ticketId, articleId);
  }
}
