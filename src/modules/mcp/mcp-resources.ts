import type { ResourceTemplate } from '@modelcontextprotocol/sdk/types.js';
import { NotFoundError } from '../../core/errors/app-error';
import { isUuid } from '../../core/tenancy/tenant-schema';
import { capText } from './mcp-tool';
import { untrustedBlock } from './untrusted-content';

/** A transcript longer than this keeps its newest messages, each cut at MESSAGE_CHARS. */
const TRANSCRIPT_MESSAGES = 200;
const MESSAGE_CHARS = 10_000;
export const RESOURCE_PAGE_SIZE = 25;

/** A resource kind: its URI pattern, the ONE GraphQL operation that reads it, and its text for a model. */
export interface McpResourceKind {
  template: ResourceTemplate;
  /** The operation's variables for a URI of this kind; undefined when the URI is not one. */
  match(uri: string): Record<string, unknown> | undefined;
  operation: string;
  text(data: Record<string, unknown>, uri: string): { mimeType: string; text: string };
}

interface ArticleData {
  title: string;
  category: string | null;
  status: string;
  body: string;
  updatedAt: string;
}

interface TranscriptData {
  number: number;
  subject: string;
  status: string;
  priority: string;
  channel: string;
  createdAt: string;
  messages: { author: string; internal: boolean; body: string; createdAt: string }[];
}

export const articleResource: McpResourceKind = {
  template: {
    uriTemplate: 'kb://articles/{id}',
    name: 'article',
    title: 'Knowledge-base article',
    description: "A published article of the organization's knowledge base, as Markdown",
    mimeType: 'text/markdown',
  },
  match(uri) {
    const id = /^kb:\/\/articles\/([^/?#]+)$/.exec(uri)?.[1];
    return id && isUuid(id) ? { id } : undefined;
  },
  operation: `query McpArticleResource($id: ID!) { article(id: $id) { title category status body updatedAt } }`,
  text(data, uri) {
    const article = data.article as ArticleData;
    // Drafts and archived articles are the team's work in progress, not the organization's published answer.
    if (article.status !== 'PUBLISHED') throw new NotFoundError('Article', uri);
    const heading = `# ${article.title}\n\nCategory: ${article.category ?? 'none'} · Updated ${article.updatedAt}`;
    return { mimeType: 'text/markdown', text: untrustedBlock(`${heading}\n\n${article.body}`) };
  },
};

export const ticketTranscriptResource: McpResourceKind = {
  template: {
    uriTemplate: 'ticket://{number}',
    name: 'ticket-transcript',
    title: 'Ticket transcript',
    description: 'The whole conversation of a ticket (#number), oldest first, internal notes marked',
    mimeType: 'text/plain',
  },
  match(uri) {
    const number = /^ticket:\/\/([1-9][0-9]{0,9})$/.exec(uri)?.[1];
    return number && Number(number) <= 2_147_483_647 ? { number: Number(number) } : undefined;
  },
  operation: `query McpTicketTranscript($number: Int!) {
    tickets(filter: { number: $number }, first: 1) {
      edges { node { number subject status priority channel createdAt messages { author internal body createdAt } } }
    }
  }`,
  text(data, uri) {
    const [edge] = (data.tickets as { edges: { node: TranscriptData }[] }).edges;
    if (!edge) throw new NotFoundError('Ticket', uri);
    const ticket = edge.node;
    const shown = ticket.messages.slice(-TRANSCRIPT_MESSAGES);
    const lines = [
      `Ticket #${ticket.number}: ${ticket.subject}`,
      `Status ${ticket.status} · priority ${ticket.priority} · channel ${ticket.channel} · opened ${ticket.createdAt}`,
      ...(shown.length < ticket.messages.length
        ? [`(${ticket.messages.length - shown.length} older messages not shown)`]
        : []),
      ...shown.map(
        (m) => `\n[${m.createdAt}] ${m.internal ? 'INTERNAL NOTE' : m.author}:\n${capText(m.body, MESSAGE_CHARS)}`,
      ),
    ];
    return { mimeType: 'text/plain', text: untrustedBlock(lines.join('\n')) };
  },
};

export const MCP_RESOURCES: readonly McpResourceKind[] = [articleResource, ticketTranscriptResource];

/** `resources/list`: the published articles, a page at a time (tickets are reached by number, not listed). */
export const PUBLISHED_ARTICLES = `query McpArticleResources($first: Int!, $after: String) {
  articles(status: PUBLISHED, first: $first, after: $after) {
    pageInfo { endCursor hasNextPage } edges { node { id title category } }
  }
}`;
