import {
  CreateCustomerDocument,
  CustomerByIdDocument,
  CustomersDocument,
  DeleteCustomerDocument,
  UpdateCustomerDocument,
} from '../../../test/generated/graphql';
import { startTestApp, type TestApp } from '../../../test/support/test-app';

describe('customers (through HTTP, real PostgreSQL)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
    await app.createTenant('acme');
  });
  afterAll(() => app.close());

  it('creates, reads, updates and deletes a customer', async () => {
    const created = await app.gql(CreateCustomerDocument, { input: { name: ' Ada ', email: 'ada@example.com', phone: '+977 1 5550100' } }, { org: 'acme' });
    expect(created.errors).toBeUndefined();
    const id = created.data!.createCustomer.id;
    expect(created.data!.createCustomer).toMatchObject({ name: 'Ada', email: 'ada@example.com', phone: '+977 1 5550100' });

    const updated = await app.gql(UpdateCustomerDocument, { id, input: { name: 'Ada L.', phone: null } }, { org: 'acme' });
    expect(updated.data!.updateCustomer).toEqual({ id, name: 'Ada L.', email: 'ada@example.com', phone: null });

    const fetched = await app.gql(CustomerByIdDocument, { id }, { org: 'acme' });
    expect(fetched.data!.customer.name).toBe('Ada L.');

    const deleted = await app.gql(DeleteCustomerDocument, { id }, { org: 'acme' });
    expect(deleted.data!.deleteCustomer).toEqual({ id, name: 'Ada L.' });
    const gone = await app.gql(CustomerByIdDocument, { id }, { org: 'acme' });
    expect(gone.errors![0].extensions.code).toBe('NOT_FOUND');
  });

  it('pages with cursors, counts and searches (wildcards are literal)', async () => {
    await app.createTenant('pager');
    for (let i = 0; i < 7; i++) {
      await app.gql(CreateCustomerDocument, { input: { name: i === 3 ? 'Special 100%_off' : `Customer ${i}` } }, { org: 'pager' });
    }
    const first = await app.gql(CustomersDocument, { first: 3 }, { org: 'pager' });
    expect(first.data!.customers.totalCount).toBe(7);
    expect(first.data!.customers.edges.map((e) => e.node.name)).toEqual(['Customer 0', 'Customer 1', 'Customer 2']);
    expect(first.data!.customers.pageInfo.hasNextPage).toBe(true);

    const seen = [...first.data!.customers.edges.map((e) => e.node.id)];
    let after = first.data!.customers.pageInfo.endCursor;
    for (;;) {
      const page = await app.gql(CustomersDocument, { first: 3, after }, { org: 'pager' });
      seen.push(...page.data!.customers.edges.map((e) => e.node.id));
      if (!page.data!.customers.pageInfo.hasNextPage) break;
      after = page.data!.customers.pageInfo.endCursor;
    }
    expect(new Set(seen).size).toBe(7);

    const percent = await app.gql(CustomersDocument, { search: '%_' }, { org: 'pager' });
    expect(percent.data!.customers.edges.map((e) => e.node.name)).toEqual(['Special 100%_off']);
    const caseless = await app.gql(CustomersDocument, { search: 'customer 6' }, { org: 'pager' });
    expect(caseless.data!.customers.totalCount).toBe(1);
  });

  it('rejects bad input with BAD_USER_INPUT and writes nothing', async () => {
    const badEmail = await app.gql(CreateCustomerDocument, { input: { name: 'X', email: 'not-an-email' } }, { org: 'acme' });
    expect(badEmail.errors![0].extensions.code).toBe('BAD_USER_INPUT');
    expect(JSON.stringify(badEmail.errors)).not.toContain('not-an-email'); // input is not echoed back
    const emptyName = await app.gql(CreateCustomerDocument, { input: { name: '' } }, { org: 'acme' });
    expect(emptyName.errors![0].extensions.code).toBe('BAD_USER_INPUT');
    const badCursor = await app.gql(CustomersDocument, { after: 'garbage' }, { org: 'acme' });
    expect(badCursor.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVALID_CURSOR' });
    const tooMany = await app.gql(CustomersDocument, { first: 1000 }, { org: 'acme' });
    expect(tooMany.errors![0].extensions.code).toBe('BAD_USER_INPUT');
    const badId = await app.gql(CustomerByIdDocument, { id: 'not-a-uuid' }, { org: 'acme' });
    expect(badId.errors![0].extensions.code).toBe('NOT_FOUND');
    const all = await app.gql(CustomersDocument, {}, { org: 'acme' });
    expect(all.data!.customers.edges.map((e) => e.node.name)).not.toContain('X');
  });

  it('answers a duplicate email with CONFLICT and rolls the transaction back', async () => {
    await app.gql(CreateCustomerDocument, { input: { name: 'One', email: 'dup@example.com' } }, { org: 'acme' });
    const again = await app.gql(CreateCustomerDocument, { input: { name: 'Two', email: 'DUP@example.com' } }, { org: 'acme' });
    expect(again.errors![0].extensions.code).toBe('CONFLICT');
    const search = await app.gql(CustomersDocument, { search: 'dup@' }, { org: 'acme' });
    expect(search.data!.customers.totalCount).toBe(1);
  });
});
