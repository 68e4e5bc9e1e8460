import {
  AddTicketMessageDocument,
  ArticleByIdDocument,
  ArticleResolvedCountDocument,
  ArticlesWithResolvedCountsDocument,
  ArticlesDocument,
  CreateArticleDocument,
  CreateTicketDocument,
  LinkArticleDocument,
  SuggestedArticlesDocument,
  TicketArticlesDocument,
  TopResolvingArticlesDocument,
  UnlinkArticleDocument,
  UpdateArticleDocument,
  UpdateTicketDocument,
  type CreateArticleInput,
} from '../../../test/generated/graphql';
import { signUp, type TestAccount } from '../../../test/support/accounts';
import { blankRefused, nullRefused, refusal } from '../../../test/support/input-errors';
import { startTestApp, type TestApp } from '../../../test/support/test-app';

describe('knowledge base (through HTTP, real PostgreSQL)', () => {
  let app: TestApp;
  let owner: TestAccount;
  let org: { bearer: string; org: string };

  beforeAll(async () => {
    app = await startTestApp({ AUTH_RATE_LIMIT_PER_HOUR: '1000' });
    owner = await signUp(app, 'kb@articles.test', 'Article Desk');
    org = { bearer: owner.token, org: owner.tenant.slug };
  });
  afterAll(() => app.close());

  const article = async (input: CreateArticleInput, at = org) => {
    const res = await app.gql(CreateArticleDocument, { input }, at);
    expect(res.errors).toBeUndefined();
    return res.data!.createArticle;
  };
  const ticket = async (subject: string, at = org) =>
    (await app.gql(CreateTicketDocument, { input: { subject } }, at)).data!.createTicket;

  it('creates, updates and finds articles by full-text search, status and category', async () => {
    const reset = await article({
      title: 'Resetting your password',
      body: 'Open settings and choose "forgot password".',
      category: 'Account',
      tags: ['Login'],
      status: 'PUBLISHED',
    });
    expect(reset).toMatchObject({ category: 'Account', tags: ['login'], status: 'PUBLISHED' });
    const refunds = await article({
      title: 'Refunds',
      body: 'Refunds are paid within five days.',
      category: 'Billing',
    });
    expect(refunds.status).toBe('DRAFT');

    const titles = async (vars: object) =>
      (await app.gql(ArticlesDocument, vars, org)).data!.articles.edges.map((e) => e.node.title);
    expect(await titles({ search: 'passwords' })).toEqual(['Resetting your password']); // stemmed: passwords ~ password
    expect(await titles({ search: 'refund paid' })).toEqual(['Refunds']);
    expect(await titles({ search: 'refund -paid' })).toEqual([]);
    expect(await titles({ status: 'DRAFT' })).toEqual(['Refunds']);
    expect(await titles({ category: 'Account' })).toEqual(['Resetting your password']);

    const updated = await app.gql(
      UpdateArticleDocument,
      { id: refunds.id, input: { status: 'PUBLISHED', body: 'Money back in a week.', category: null } },
      org,
    );
    expect(updated.data!.updateArticle).toMatchObject({ status: 'PUBLISHED', category: null });
    expect(await titles({ search: 'refund paid' })).toEqual([]); // the search vector follows the new body
    expect(await titles({ search: 'money' })).toEqual(['Refunds']);

    const page = await app.gql(ArticlesDocument, { first: 1 }, org);
    const next = await app.gql(ArticlesDocument, { first: 1, after: page.data!.articles.pageInfo.endCursor }, org);
    expect([...page.data!.articles.edges, ...next.data!.articles.edges].map((e) => e.node.id)).toEqual([
      reset.id,
      refunds.id,
    ]);
  });

  it("suggests published articles ranked from the ticket's subject and messages, and links them", async () => {
    const desk = await signUp(app, 'sug@articles.test', 'Suggest Desk');
    const at = { bearer: desk.token, org: desk.tenant.slug };
    const printer = await article(
      {
        title: 'Printer offline',
        body: 'Restart the printer and check the printer cable.',
        tags: [],
        status: 'PUBLISHED',
      },
      at,
    );
    const wifi = await article(
      {
        title: 'Wifi drops',
        body: 'Move closer to the router; a printer may interfere.',
        tags: [],
        status: 'PUBLISHED',
      },
      at,
    );
    await article({ title: 'Printer draft', body: 'Printer printer printer offline', tags: [], status: 'DRAFT' }, at);
    await article({ title: 'Printer archive', body: 'Printer offline, old model', tags: [], status: 'ARCHIVED' }, at);

    const t = await ticket('My printer is offline', at);
    const suggested = await app.gql(SuggestedArticlesDocument, { ticketId: t.id }, at);
    expect(suggested.data!.suggestedArticles.map((a) => a.id)).toEqual([printer.id, wifi.id]);
    const one = await app.gql(SuggestedArticlesDocument, { ticketId: t.id, limit: 1 }, at);
    expect(one.data!.suggestedArticles.map((a) => a.id)).toEqual([printer.id]);

    const other = await ticket('Question', at);
    expect((await app.gql(SuggestedArticlesDocument, { ticketId: other.id }, at)).data!.suggestedArticles).toEqual([]);
    await app.gql(AddTicketMessageDocument, { ticketId: other.id, body: 'The router keeps dropping wifi' }, at);
    expect(
      (await app.gql(SuggestedArticlesDocument, { ticketId: other.id }, at)).data!.suggestedArticles.map((a) => a.id),
    ).toEqual([wifi.id]);

    expect((await app.gql(LinkArticleDocument, { ticketId: t.id, articleId: printer.id }, at)).data!.linkArticle).toBe(
      true,
    );
    expect((await app.gql(LinkArticleDocument, { ticketId: t.id, articleId: printer.id }, at)).data!.linkArticle).toBe(
      true,
    );
    expect(
      (await app.gql(TicketArticlesDocument, { ticketId: t.id }, at)).data!.ticketArticles.map((a) => a.id),
    ).toEqual([printer.id]);
    expect(
      (await app.gql(UnlinkArticleDocument, { ticketId: t.id, articleId: printer.id }, at)).data!.unlinkArticle,
    ).toBe(true);
    expect(
      (await app.gql(UnlinkArticleDocument, { ticketId: t.id, articleId: printer.id }, at)).data!.unlinkArticle,
    ).toBe(false);
    expect((await app.gql(TicketArticlesDocument, { ticketId: t.id }, at)).data!.ticketArticles).toEqual([]);
  });

  it("keeps organizations apart: B neither finds, suggests nor links A's articles", async () => {
    const secret = await article({
      title: 'Internal escalation matrix',
      body: 'Escalate to the duty manager',
      tags: [],
      status: 'PUBLISHED',
    });
    const ticketOfA = await ticket('Escalation needed');
    const b = await signUp(app, 'b@articles.test', 'Other Desk');
    const asB = { bearer: b.token, org: b.tenant.slug };
    const ticketOfB = await ticket('Escalation needed', asB);
    expect((await app.gql(ArticlesDocument, { search: 'escalation' }, asB)).data!.articles.edges).toEqual([]);
    expect((await app.gql(SuggestedArticlesDocument, { ticketId: ticketOfB.id }, asB)).data!.suggestedArticles).toEqual(
      [],
    );
    for (const res of [
      await app.gql(ArticleByIdDocument, { id: secret.id }, asB),
      await app.gql(UpdateArticleDocument, { id: secret.id, input: { title: 'Hijacked' } }, asB),
      await app.gql(SuggestedArticlesDocument, { ticketId: ticketOfA.id }, asB),
      await app.gql(LinkArticleDocument, { ticketId: ticketOfB.id, articleId: secret.id }, asB),
      await app.gql(TicketArticlesDocument, { ticketId: ticketOfA.id }, asB),
    ]) {
      expect(res.errors![0].extensions.code).toBe('NOT_FOUND');
    }
    expect((await app.gql(ArticleByIdDocument, { id: secret.id }, org)).data!.article.title).toBe(
      'Internal escalation matrix',
    );
  });

  it('counts the RESOLVED or CLOSED tickets each article is linked to, and ranks the articles that resolved the most', async () => {
    const desk = await signUp(app, 'stats@articles.test', 'Stats Desk');
    const at = { bearer: desk.token, org: desk.tenant.slug };
    const [printer, wifi, unused] = [
      await article({ title: 'Printer', body: 'Restart it', tags: [], status: 'PUBLISHED' }, at),
      await article({ title: 'Wifi', body: 'Move closer', tags: [], status: 'PUBLISHED' }, at),
      await article({ title: 'Unused', body: 'Nobody reads this', tags: [] }, at),
    ];
    const tickets = [
      await ticket('One', at),
      await ticket('Two', at),
      await ticket('Three', at),
      await ticket('Four', at),
    ];
    const links: [number, { id: string }][] = [
      [0, printer],
      [1, printer],
      [2, printer],
      [3, wifi],
    ];
    for (const [index, linked] of links)
      await app.gql(LinkArticleDocument, { ticketId: tickets[index].id, articleId: linked.id }, at);
    const setStatus = (index: number, status: 'RESOLVED' | 'CLOSED' | 'OPEN') =>
      app.gql(UpdateTicketDocument, { id: tickets[index].id, input: { status } }, at);
    await setStatus(0, 'RESOLVED');
    await setStatus(1, 'CLOSED');
    await setStatus(3, 'RESOLVED'); // ticket 2 stays open: not counted

    const counts = async () =>
      (await app.gql(ArticlesWithResolvedCountsDocument, { first: 10 }, at)).data!.articles.edges.map((e) => [
        e.node.title,
        e.node.resolvedTicketCount,
      ]);
    expect(await counts()).toEqual([
      ['Printer', 2],
      ['Wifi', 1],
      ['Unused', 0],
    ]);
    const top = async (limit?: number) =>
      (await app.gql(TopResolvingArticlesDocument, { limit }, at)).data!.topResolvingArticles.map((a) => [
        a.id,
        a.resolvedTicketCount,
      ]);
    expect(await top()).toEqual([
      [printer.id, 2],
      [wifi.id, 1],
    ]);
    expect(await top(1)).toEqual([[printer.id, 2]]);

    await setStatus(1, 'OPEN'); // reopened: no longer resolved by the article
    expect(
      (await app.gql(ArticleResolvedCountDocument, { id: printer.id }, at)).data!.article.resolvedTicketCount,
    ).toBe(1);
    expect((await app.gql(ArticleResolvedCountDocument, { id: unused.id }, at)).data!.article.resolvedTicketCount).toBe(
      0,
    );
    expect(
      (await app.gql(TopResolvingArticlesDocument, {}, org)).data!.topResolvingArticles.map((a) => a.id),
    ).not.toContain(printer.id);
    expect((await app.gql(TopResolvingArticlesDocument, { limit: 101 }, at)).errors![0].extensions.code).toBe(
      'BAD_USER_INPUT',
    );
  });

  it('rejects bad input with BAD_USER_INPUT', async () => {
    expect(
      (await app.gql(CreateArticleDocument, { input: { title: '', body: 'x' } }, org)).errors![0].extensions.code,
    ).toBe('BAD_USER_INPUT');
    expect((await app.gql(ArticlesDocument, { search: 'x'.repeat(201) }, org)).errors![0].extensions.code).toBe(
      'BAD_USER_INPUT',
    );
    const t = await ticket('Anything');
    expect(
      (await app.gql(SuggestedArticlesDocument, { ticketId: t.id, limit: 21 }, org)).errors![0].extensions.code,
    ).toBe('BAD_USER_INPUT');
  });

  it('refuses null title, body or status and blank titles or bodies; null clears category and tags', async () => {
    const input = { title: 'Kept', body: 'Body', category: 'How-to', tags: ['x'] };
    const kept = await article(input);
    const update = (patch: Record<string, unknown>) =>
      app.gql(UpdateArticleDocument, { id: kept.id, input: patch }, org);
    for (const property of ['title', 'body', 'status']) {
      expect(refusal(await update({ [property]: null }))).toMatchObject(nullRefused(property));
    }
    for (const property of ['title', 'body']) {
      expect(refusal(await update({ [property]: ' \n ' }))).toMatchObject(blankRefused(property));
    }
    expect((await app.gql(ArticleByIdDocument, { id: kept.id }, org)).data!.article).toMatchObject(input);
    const cleared = (await update({ category: null, tags: null })).data!.updateArticle;
    expect(cleared).toMatchObject({ title: 'Kept', category: null, tags: [] });
    const blank = await app.gql(CreateArticleDocument, { input: { title: ' ', body: 'b' } }, org);
    expect(refusal(blank)).toMatchObject(blankRefused('title'));
  });
});
