import { canRead, canWrite, type PermissionTree } from '../memberships';

/** Articles are tenant data (API keys: articles:read / articles:write); linking one changes the ticket. */
export const articlePermissions: PermissionTree = {
  Query: {
    article: canRead('articles'),
    articles: canRead('articles'),
    suggestedArticles: canRead('articles'),
    ticketArticles: canRead('tickets'),
    topResolvingArticles: canRead('articles'),
  },
  Mutation: {
    createArticle: canWrite('articles'),
    updateArticle: canWrite('articles'),
    linkArticle: canWrite('tickets'),
    unlinkArticle: canWrite('tickets'),
  },
};
