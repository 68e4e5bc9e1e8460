import {
  CreateCustomerDocument,
  CustomerByIdDocument,
  CustomersDocument,
  DeleteCustomerDocument,
  UpdateCustomerDocument,
} from '../../../test/generated/graphql';
import { blankRefused, nullRefused, refusal } from '../../../test/support/input-errors';
import { waitFor } from '../../../test/support/jobs';
import { startTestApp, type TestApp } from '../../../test/support/test-app';

/** A cursor as encodeCursor writes it, with any date text and id. */
const cursorOf = (createdAt: string, id = '00000000-0000-4000-8000-000000000000') =>
  Buffer.from(JSON.stringify([createdAt, id])).toString('base64url');

describe('customers (through HTTP, real PostgreSQL)', () => {
  let app: TestApp;
  let acmeSchema: string;
  beforeAll(async () => {
    app = await startTestApp();
    acmeSchema = (await app.createTenant('acme')).schemaName;
  });
  afterAll(() => app.close());

  it('creates, reads, updates and deletes a customer', async () => {
    const created = await app.gql(
      CreateCustomerDocument,
      { input: { name: ' Ada ', email: 'ada@example.com', phone: '+977 1 5550100' } },
      { org: 'acme' },
    );
    expect(created.errors).toBeUndefined();
    const id = created.data!.createCustomer.id;
    expect(created.data!.createCustomer).toMatchObject({
      name: 'Ada',
      email: 'ada@example.com',
      phone: '+977 1 5550100',
    });

    const updated = await app.gql(
      UpdateCustomerDocument,
      { id, input: { name: 'Ada L.', phone: null } },
      { org: 'acme' },
    );
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
      await app.gql(
        CreateCustomerDocument,
        { input: { name: i === 3 ? 'Special 100%_off' : `Customer ${i}` } },
        { org: 'pager' },
      );
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
    const badEmail = await app.gql(
      CreateCustomerDocument,
      { input: { name: 'X', email: 'not-an-email' } },
      { org: 'acme' },
    );
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
    const again = await app.gql(
      CreateCustomerDocument,
      { input: { name: 'Two', email: 'DUP@example.com' } },
      { org: 'acme' },
    );
    expect(again.errors![0].extensions.code).toBe('CONFLICT');
    const search = await app.gql(CustomersDocument, { search: 'dup@' }, { org: 'acme' });
    expect(search.data!.customers.totalCount).toBe(1);
  });

  it('refuses a null or blank name, writing nothing; null clears the email', async () => {
    const acme = { org: 'acme' };
    const input = { name: 'Grace', email: 'grace@example.com' };
    const { id } = (await app.gql(CreateCustomerDocument, { input }, acme)).data!.createCustomer;
    const update = (patch: Record<string, unknown>) => app.gql(UpdateCustomerDocument, { id, input: patch }, acme);
    expect(refusal(await update({ name: null, email: null }))).toMatchObject(nullRefused('name'));
    expect(refusal(await update({ name: '   ' }))).toMatchObject(blankRefused('name'));
    expect((await app.gql(CustomerByIdDocument, { id }, acme)).data!.customer).toMatchObject(input);
    expect((await update({ email: null })).data!.updateCustomer).toMatchObject({ name: 'Grace', email: null });

    const count = async () => (await app.gql(CustomersDocument, {}, acme)).data!.customers.totalCount;
    const before = await count();
    const blank = await app.gql(CreateCustomerDocument, { input: { name: ' \t ' } }, acme);
    expect(refusal(blank)).toMatchObject(blankRefused('name'));
    expect(await count()).toBe(before);
  });

  it.each([
    ['year 0', cursorOf('0000-01-01T00:00:00.000Z')],
    ['year 300000', cursorOf('+300000-01-01T00:00:00.000Z')],
    ['year 1000', cursorOf('1000-06-01T00:00:00.000Z')],
    ['NaN', cursorOf('NaN')],
    ['an id that is not a UUID', cursorOf('2024-01-01T00:00:00.000Z', 'x')],
    ['a number for the date', Buffer.from('[0,"00000000-0000-4000-8000-000000000000"]').toString('base64url')],
    ['an object', Buffer.from('{}').toString('base64url')],
  ])('answers a cursor with %s with INVALID_CURSOR', async (_case, after) => {
    const page = await app.gql(CustomersDocument, { after }, { org: 'acme' });
    expect(page.status).toBe(200);
    expect(refusal(page)).toEqual({ code: 'BAD_USER_INPUT', reason: 'INVALID_CURSOR' });
  });

  it('tells only one of five concurrent deletes that it deleted; the others get NOT_FOUND', async () => {
    const acme = { org: 'acme' };
    const { id } = (await app.gql(CreateCustomerDocument, { input: { name: 'Raced' } }, acme)).data!.createCustomer;
    // Hold the row so that all five have read it and wait in their DELETE: the race made certain.
    const holder = app.dataSource.createQueryRunner();
    await holder.startTransaction();
    await holder.query(`SELECT 1 FROM "${acmeSchema}".customers WHERE id = $1 FOR UPDATE`, [id]);
    const deletes = Promise.all(Array.from({ length: 5 }, () => app.gql(DeleteCustomerDocument, { id }, acme)));
    const waiting = `SELECT count(*)::int AS n FROM pg_stat_activity
                      WHERE datname = current_database() AND wait_event_type = 'Lock'`;
    await waitFor(async () => (await app.dataSource.query(waiting))[0].n >= 5, 'five deletes waiting on the row');
    await holder.commitTransaction();
    await holder.release();
    const answers = await deletes;
    expect(answers.filter((a) => a.data?.deleteCustomer?.id === id)).toHaveLength(1);
    expect(answers.filter((a) => refusal(a)?.code === 'NOT_FOUND')).toHaveLength(4);
  });
});
