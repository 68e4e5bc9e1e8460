import {
  AddTicketMessageDocument,
  ArticleScreenDocument,
  CreateApiKeyDocument,
  CreateArticleDocument,
  CreateCustomerDocument,
  CreateInvoiceFromQuoteDocument,
  CreateTicketDocument,
  CustomerScreenDocument,
  CustomersWithTicketsDocument,
  GenerateContractFromQuoteDocument,
  InvoiceScreenDocument,
  LinkArticleDocument,
  QuoteScreenDocument,
  SendInvoiceDocument,
  TicketsScreenDocument,
  UpdateTicketDocument,
} from '../../test/generated/graphql';
import { acceptedQuote } from '../../test/support/accepted-quote';
import { addMember, signUp, type TestAccount } from '../../test/support/accounts';
import { startTestApp, type GraphQLResponse, type TestApp } from '../../test/support/test-app';
import { statementsDuring } from '../../bench/round-trips';

function data<T>(res: GraphQLResponse<T>): T {
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  return res.data!;
}

/** Transactions opened while `run` ran. */
const transactionsOpenedBy = (run: () => Promise<unknown>) =>
  statementsDuring(run, (text) => typeof text === 'string' && text.startsWith('BEGIN'));

describe('relation fields in the operation scope (HTTP, real PostgreSQL)', () => {
  let app: TestApp;
  let owner: TestAccount;
  let agent: TestAccount;
  let other: TestAccount;
  const ids = { customers: [] as string[], tickets: [] as string[], article: '', quote: '', contract: '', invoice: '' };
  const foreign = new Set<string>();
  let org: string;

  const key = async (scopes: string[]) => {
    const { secret } = data(
      await app.gql(CreateApiKeyDocument, { input: { name: `graph ${scopes.join(' ')}`, scopes } }, { org }),
    ).createApiKey;
    return { admin: false, headers: { 'x-api-key': secret } };
  };

  beforeAll(async () => {
    app = await startTestApp();
    owner = await signUp(app, 'owner@graph.test', 'Graph Co');
    agent = await signUp(app, 'agent@graph.test', 'Agent Own Co');
    other = await signUp(app, 'other@graph.test', 'Other Co');
    await addMember(app, owner, agent, 'MEMBER');
    await addMember(app, other, agent, 'ADMIN'); // the agent works for another organization too
    org = owner.tenant.slug;
    for (const name of ['Ada', 'Grace']) {
      ids.customers.push(
        data(
          await app.gql(
            CreateCustomerDocument,
            { input: { name, email: `${name.toLowerCase()}@example.com` } },
            { org },
          ),
        ).createCustomer.id,
      );
    }
    for (let i = 0; i < 12; i++) {
      const input = {
        subject: `Printer ${i}`,
        customerId: ids.customers[i % 2],
        assigneeId: i % 3 ? agent.userId : null,
      };
      ids.tickets.push(data(await app.gql(CreateTicketDocument, { input }, { org })).createTicket.id);
    }
    await app.gql(UpdateTicketDocument, { id: ids.tickets[0], input: { status: 'OPEN' } }, { org });
    data(
      await app.gql(
        AddTicketMessageDocument,
        { ticketId: ids.tickets[1], body: 'On it', internal: true },
        { bearer: agent.token, org },
      ),
    );
    ids.article = data(
      await app.gql(
        CreateArticleDocument,
        { input: { title: 'Reset the printer', body: 'Hold the button', status: 'PUBLISHED' } },
        { org },
      ),
    ).createArticle.id;
    for (const ticketId of ids.tickets.slice(0, 2))
      await app.gql(LinkArticleDocument, { ticketId, articleId: ids.article }, { org });
    const lineItems = [{ description: 'Toner', quantity: '2', unitPrice: '40.00' }];
    ids.quote = (
      await acceptedQuote(app, org, {
        customerId: ids.customers[0],
        title: 'Toner',
        currency: 'NPR',
        validUntil: '2099-12-31',
        lineItems,
      })
    ).id;
    ids.contract = data(
      await app.gql(GenerateContractFromQuoteDocument, { quoteId: ids.quote }, { org }),
    ).generateContractFromQuote.id;
    ids.invoice = data(
      await app.gql(CreateInvoiceFromQuoteDocument, { quoteId: ids.quote }, { org }),
    ).createInvoiceFromQuote.id;
    await app.gql(SendInvoiceDocument, { id: ids.invoice }, { org });
    // The other organization: same agent, its own customers and tickets.
    foreign.add(other.tenant.id).add(other.tenant.slug).add(agent.tenant.id);
    const elsewhere = { org: other.tenant.slug };
    const theirs = data(await app.gql(CreateCustomerDocument, { input: { name: 'Theirs' } }, elsewhere)).createCustomer
      .id;
    foreign.add(theirs);
    const input = { subject: 'Their ticket', customerId: theirs, assigneeId: agent.userId };
    foreign.add(data(await app.gql(CreateTicketDocument, { input }, elsewhere)).createTicket.id);
  }, 120_000);
  afterAll(() => app.close());

  const noForeignIds = (res: unknown) => {
    const text = JSON.stringify(res);
    expect([...foreign].filter((id) => text.includes(id))).toEqual([]);
  };

  it('answers a tickets screen with customer, assignee (a Member of this organization), articles and messages', async () => {
    const res = await app.gql(TicketsScreenDocument, { first: 50 }, { org });
    const nodes = data(res).tickets.edges.map((e) => e.node);
    expect(nodes).toHaveLength(12);
    expect(nodes[0]).toMatchObject({
      id: ids.tickets[0],
      customer: { id: ids.customers[0], name: 'Ada' },
      assignee: null,
      articles: [{ id: ids.article }],
    });
    expect(nodes[1].assignee).toEqual({ id: agent.userId, name: 'agent Tester', email: agent.email, role: 'MEMBER' });
    expect(nodes[1].messages).toEqual([
      expect.objectContaining({
        body: 'On it',
        authorMember: { id: agent.userId, name: 'agent Tester', role: 'MEMBER' },
      }),
    ]);
    expect(nodes[2]).toMatchObject({ customer: { id: ids.customers[0] }, articles: [], messages: [] });
    noForeignIds(res);
  });

  it('answers the customer, quote, invoice and article screens in one query each, with no other organization at any depth', async () => {
    const customer = data(await app.gql(CustomerScreenDocument, { id: ids.customers[0] }, { org })).customer;
    expect(customer.tickets).toMatchObject({
      totalCount: 1,
      edges: [{ node: { id: ids.tickets[0], status: 'OPEN' } }],
    });
    expect(customer.quotes!.edges[0].node).toMatchObject({
      id: ids.quote,
      contract: { id: ids.contract },
      invoices: [{ id: ids.invoice, status: 'SENT' }],
    });
    expect(customer.contracts!.edges.map((e) => e.node.id)).toEqual([ids.contract]);
    expect(customer.invoices).toMatchObject({ totalCount: 1, edges: [{ node: { id: ids.invoice } }] });
    const quote = await app.gql(QuoteScreenDocument, { id: ids.quote }, { org });
    expect(data(quote).quote).toMatchObject({
      customer: { id: ids.customers[0] },
      contract: { id: ids.contract },
      invoices: [{ id: ids.invoice }],
    });
    expect(data(quote).quote.documents.length).toBeGreaterThan(0);
    const invoice = await app.gql(InvoiceScreenDocument, { id: ids.invoice }, { org });
    expect(data(invoice).invoice).toMatchObject({
      customer: { id: ids.customers[0] },
      quote: { id: ids.quote, customer: { id: ids.customers[0] } },
    });
    const article = await app.gql(ArticleScreenDocument, { id: ids.article }, { org });
    expect(data(article).article.tickets!.map((t) => t.id)).toEqual(ids.tickets.slice(0, 2));
    for (const res of [customer, quote, invoice, article]) noForeignIds(res);
  });

  it('costs the same round trips for 2 tickets as for 12, in one transaction per operation', async () => {
    // The fewest of a few requests: background work (usage meters) only ever adds statements.
    const trips = async (first: number) => {
      const counts = [];
      for (let i = 0; i < 3; i++)
        counts.push(await statementsDuring(() => app.gql(TicketsScreenDocument, { first }, { org })));
      return Math.min(...counts);
    };
    expect(await trips(12)).toBe(await trips(2));
    const both = `{ tickets(first: 5) { edges { node { id customer { id } } } } customers(first: 5) { edges { node { id } } } }`;
    expect(await transactionsOpenedBy(() => app.gql(both, {}, { org }))).toBe(1);
    expect(await transactionsOpenedBy(() => app.gql('{ plans { code } }', {}, { org }))).toBe(0);
  });

  it('refuses a nested fan-out by its cost before anything runs, and serves a 50-ticket screen', async () => {
    const fanOut = await app.gql(
      '{ customers(first: 100) { edges { node { tickets(first: 100) { edges { node { id } } } } } } }',
      {},
      { org },
    );
    expect(fanOut.status).toBe(400);
    expect(fanOut.errors![0].extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      reason: 'QUERY_COST_EXCEEDED',
      maxCost: 5000,
    });
    expect((await app.gql(TicketsScreenDocument, { first: 50 }, { org })).errors).toBeUndefined();
  });

  it('pages nested connections and validates their arguments like root lists', async () => {
    const first = data(await app.gql(CustomersWithTicketsDocument, { first: 2, ticketsFirst: 2 }, { org })).customers
      .edges[0].node.tickets!;
    expect(first).toMatchObject({ totalCount: 6, pageInfo: { hasNextPage: true } });
    const next = data(
      await app.gql(
        CustomersWithTicketsDocument,
        { first: 1, ticketsFirst: 5, after: first.pageInfo.endCursor },
        { org },
      ),
    );
    expect(next.customers.edges[0].node.tickets!.edges.map((e) => e.node.id)).toEqual(
      [4, 6, 8, 10].map((i) => ids.tickets[i]),
    );
    for (const ticketsFirst of [0, 101]) {
      const res = await app.gql(CustomersWithTicketsDocument, { first: 1, ticketsFirst }, { org });
      expect(res.errors![0].extensions.code).toBe('BAD_USER_INPUT');
    }
    const bad = await app.gql(
      CustomersWithTicketsDocument,
      { first: 1, ticketsFirst: 1, after: 'not-a-cursor' },
      { org },
    );
    expect(bad.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVALID_CURSOR' });
  });

  it('holds field policies at nested paths: a key without customers:read gets customer null and FORBIDDEN there', async () => {
    const res = await app.gql(TicketsScreenDocument, { first: 1 }, await key(['tickets:read', 'articles:read']));
    expect(res.data!.tickets.edges[0].node).toMatchObject({
      id: ids.tickets[0],
      customer: null,
      assignee: null,
      articles: [{ id: ids.article }],
    });
    const paths = res.errors!.map((e) => [e.path!.join('.'), e.extensions.code, e.extensions.requiredScope]);
    expect(paths).toEqual([
      ['tickets.edges.0.node.customer', 'FORBIDDEN', 'customers:read'],
      ['tickets.edges.0.node.assignee', 'FORBIDDEN', 'members:read'],
    ]);
  });

  it('suggestedArticles needs tickets:read as well as articles:read (it reads what the ticket says)', async () => {
    const query = `{ suggestedArticles(ticketId: "${ids.tickets[0]}") { id } }`;
    const refused = await app.gql(query, {}, await key(['articles:read']));
    expect(refused.errors![0].extensions).toMatchObject({
      code: 'FORBIDDEN',
      reason: 'MISSING_SCOPE',
      requiredScope: 'tickets:read',
    });
    expect((await app.gql(query, {}, await key(['articles:read', 'tickets:read']))).errors).toBeUndefined();
  });

  describe('a mutation is all-or-nothing', () => {
    const stored = async (name: string) => {
      const [{ schema_name: schema }] = await app.dataSource.query(
        'SELECT schema_name FROM public.tenants WHERE id = $1',
        [owner.tenant.id],
      );
      const [{ n }] = await app.dataSource.query(
        `SELECT count(*)::int AS n FROM "${schema}".customers WHERE name = $1`,
        [name],
      );
      return n as number;
    };

    it('rolls back when a nested field is FORBIDDEN', async () => {
      const res = await app.gql(
        'mutation { createCustomer(input: {name: "Nested forbidden"}) { id tickets { totalCount } } }',
        {},
        await key(['customers:write']),
      );
      expect(res.errors!.map((e) => [e.path!.join('.'), e.extensions.code])).toEqual([
        ['createCustomer.tickets', 'FORBIDDEN'],
      ]);
      expect(await stored('Nested forbidden')).toBe(0);
    });

    it('rolls back when a nested field fails on its input', async () => {
      const res = await app.gql(
        'mutation { createCustomer(input: {name: "Nested cursor"}) { id tickets(after: "x") { totalCount } } }',
        {},
        { org },
      );
      expect(res.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVALID_CURSOR' });
      expect(await stored('Nested cursor')).toBe(0);
    });

    it('runs a released field after another tenant field in the operation inside that transaction (no second one waiting on it)', async () => {
      const input = { customerId: ids.customers[0], customerRequest: 'nothing we sell', quoteTitle: 'Released' };
      const res = await app.gql(
        'mutation($input: GenerateQuoteInput!) { createCustomer(input: {name: "Before released"}) { id } generateQuote(input: $input) { generatedBy } }',
        { input },
        { org },
      );
      expect(res.errors!.map((e) => [e.path!.join('.'), e.extensions.reason])).toEqual([
        ['generateQuote', 'NO_MATCHING_PRODUCTS'],
      ]);
      expect(await stored('Before released')).toBe(0);
    });

    it('rolls back every root field when a later one fails, and commits them all otherwise', async () => {
      const missing = '00000000-0000-4000-8000-000000000000';
      const failed = await app.gql(
        `mutation { a: createCustomer(input: {name: "Serial A"}) { id } b: updateCustomer(id: "${missing}", input: {name: "x"}) { id } }`,
        {},
        { org },
      );
      expect(failed.errors!.map((e) => e.extensions.code)).toEqual(['NOT_FOUND']);
      expect(await stored('Serial A')).toBe(0);
      const ok = await app.gql(
        'mutation { a: createCustomer(input: {name: "Serial B"}) { id } b: createCustomer(input: {name: "Serial B"}) { id tickets { totalCount } } }',
        {},
        { org },
      );
      expect(ok.errors).toBeUndefined();
      expect(await stored('Serial B')).toBe(2);
    });
  });
});
