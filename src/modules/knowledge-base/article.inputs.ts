import { ArgsType, Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { ArrayMaxSize, IsOptional, Length, Max, MaxLength, Min } from 'class-validator';
import { ConnectionType, PaginationArgs } from '../../core/graphql/connection';
import { NotBlank, PatchField } from '../../core/validation/input-rules.decorators';
import { Article, ArticleStatus } from './article.entity';

@InputType()
export class CreateArticleInput {
  @Field()
  @Length(1, 300)
  @NotBlank()
  title: string;

  @Field()
  @Length(1, 200_000)
  @NotBlank()
  body: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(1, 100)
  category?: string | null;

  @Field(() => [String], { defaultValue: [] })
  @ArrayMaxSize(20)
  @Length(1, 50, { each: true })
  tags: string[];

  @Field(() => ArticleStatus, { defaultValue: ArticleStatus.DRAFT })
  status: ArticleStatus = ArticleStatus.DRAFT;
}

@InputType({ description: 'Only the fields given are changed' })
export class UpdateArticleInput {
  @PatchField(() => String)
  @Length(1, 300)
  @NotBlank()
  title?: string;

  @PatchField(() => String)
  @Length(1, 200_000)
  @NotBlank()
  body?: string;

  @PatchField(() => String, { clearable: true })
  @Length(1, 100)
  category?: string | null;

  @PatchField(() => [String], { clearable: true })
  @ArrayMaxSize(20)
  @Length(1, 50, { each: true })
  tags?: string[] | null;

  @PatchField(() => ArticleStatus)
  status?: ArticleStatus;
}

@ArgsType()
export class ArticlesArgs extends PaginationArgs {
  @Field(() => String, { nullable: true, description: 'Full-text search over title and body (web search syntax)' })
  @IsOptional()
  @MaxLength(200)
  search?: string;

  @Field(() => ArticleStatus, { nullable: true })
  status?: ArticleStatus;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(100)
  category?: string;
}

@ArgsType()
export class SuggestedArticlesArgs {
  @Field(() => ID)
  ticketId: string;

  @Field(() => Int, { defaultValue: 5, description: '1 to 20' })
  @Min(1)
  @Max(20)
  limit: number = 5;
}

@ArgsType()
export class TopResolvingArticlesArgs {
  @Field(() => Int, { defaultValue: 10, description: '1 to 100' })
  @Min(1)
  @Max(100)
  limit: number = 10;
}

@ObjectType()
export class ArticleConnection extends ConnectionType(Article, 'Article') {}
