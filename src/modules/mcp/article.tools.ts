import { z } from 'zod';
import { capText, defineTool, inputs, page, READ_ONLY } from './mcp-tool';

const SUMMARY = 'id title category status tags updatedAt body';
const COSTS_ONE_CALL = 'Costs one API call against the plan.';

interface ArticleNode {
  body: string;
  [field: string]: unknown;
}

/** Search results show the start of each article; articles_get has the whole text. */
const excerpt = ({ body, ...article }: ArticleNode) => ({ ...article, excerpt: capText(body, 300) });

export const articleTools = [
  defineTool({
    name: 'articles_search',
    title: 'Search the knowledge base',
    description:
      "Full-text search over the organization's knowledge-base articles (title and body, web search syntax: words, " +
      '"a phrase", -excluded), best match first; published articles unless another status is asked for. Use it to ' +
      `ground an answer in the organization's own documentation. ${COSTS_ONE_CALL}`,
    input: z.object({
      query: inputs.search.optional().describe('Words to search for; without it, the newest articles'),
      category: z.string().trim().min(1).max(100).optional(),
      status: z.enum(['PUBLISHED', 'DRAFT', 'ARCHIVED']).default('PUBLISHED'),
      first: inputs.first,
      after: inputs.after,
    }),
    annotations: READ_ONLY,
    operation: `query McpArticlesSearch(
      $search: String, $category: String, $status: ArticleStatus, $first: Int!, $after: String
    ) {
      articles(search: $search, category: $category, status: $status, first: $first, after: $after) {
        pageInfo { endCursor hasNextPage } edges { node { ${SUMMARY} } }
      }
    }`,
    variables: ({ query, ...rest }) => ({ search: query, ...rest }),
    output: (data) => page(data.articles, excerpt),
    untrusted: true,
  }),
  defineTool({
    name: 'articles_get',
    title: 'Get an article',
    description: `One knowledge-base article with its whole text (also readable as the resource kb://articles/{id}). ${COSTS_ONE_CALL}`,
    input: z.object({ id: inputs.id('article') }),
    annotations: READ_ONLY,
    operation: `query McpArticleGet($id: ID!) { article(id: $id) { ${SUMMARY} createdAt } }`,
    variables: (args) => args,
    output: (data) => {
      const article = data.article as ArticleNode;
      return { ...article, body: capText(article.body, 20_000) };
    },
    untrusted: true,
  }),
  defineTool({
    name: 'articles_suggest',
    title: 'Suggest articles for a ticket',
    description:
      "Published articles that match a ticket's subject, description and messages, best first: the likeliest " +
      `answers to the customer's question. ${COSTS_ONE_CALL}`,
    input: z.object({
      ticketId: z.string().uuid().describe("The ticket's id"),
      limit: z.number().int().min(1).max(10).default(5),
    }),
    annotations: READ_ONLY,
    operation: `query McpArticlesSuggest($ticketId: ID!, $limit: Int!) {
      suggestedArticles(ticketId: $ticketId, limit: $limit) { ${SUMMARY} }
    }`,
    variables: (args) => args,
    output: (data) => ({ items: (data.suggestedArticles as ArticleNode[]).map(excerpt) }),
    untrusted: true,
  }),
];
