import {
  graphql,
  GraphQLList,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
  type GraphQLFieldResolver,
} from 'graphql';
import {
  applyPolicies,
  canRead,
  everyone,
  platformAdmin,
  POLICY_EXTENSION,
  type AccessRule,
  type FieldPolicy,
} from '../core/authorization';
import type { Principal } from '../core/http/request-context';
import { apiKeyScopes } from './permissions';
import { buildAppSchema } from './schema';

const policy = (rule: AccessRule): { extensions: Record<string, FieldPolicy> } => ({
  extensions: { [POLICY_EXTENSION]: { rule, scope: 'none' } },
});

/** A schema outside the app: `listed` has a policy, `unlisted` none; items have a field resolver of their own. */
function toySchema(calls: string[]) {
  const label: GraphQLFieldResolver<{ id: string }, unknown> = (item) => `item ${item.id}`;
  const Item = new GraphQLObjectType({ name: 'Item', fields: { label: { type: GraphQLString, resolve: label } } });
  const resolver = (name: string) => () => {
    calls.push(name);
    return [{ id: '1' }, { id: '2' }];
  };
  const schema = new GraphQLSchema({
    query: new GraphQLObjectType({
      name: 'Query',
      fields: {
        listed: { type: new GraphQLList(Item), resolve: resolver('listed'), ...policy(everyone) },
        adminOnly: { type: new GraphQLList(Item), resolve: resolver('adminOnly'), ...policy(platformAdmin) },
        unlisted: { type: new GraphQLList(Item), resolve: resolver('unlisted') },
      },
    }),
  });
  return { schema, label };
}

const run = (schema: GraphQLSchema, source: string, principal: Principal) =>
  graphql({ schema, source, contextValue: { principal } });

describe('field policies (@Policy, applyPolicies)', () => {
  it('denies a root field that has no policy, whoever asks, without running its resolver', async () => {
    const calls: string[] = [];
    const { schema } = toySchema(calls);
    const protectedSchema = applyPolicies(schema);

    for (const principal of [{ kind: 'anonymous' }, { kind: 'platform-admin' }] as Principal[]) {
      const res = await run(protectedSchema, '{ unlisted { label } }', principal);
      expect(res.errors![0].originalError).toMatchObject({
        code: 'FORBIDDEN',
        details: { reason: 'NO_PERMISSION_RULE' },
      });
    }
    expect((await run(protectedSchema, '{ listed { label } }', { kind: 'anonymous' })).data).toEqual({
      listed: [{ label: 'item 1' }, { label: 'item 2' }],
    });
    const refused = await run(protectedSchema, '{ adminOnly { label } }', { kind: 'anonymous' });
    expect(refused.errors![0].originalError).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(calls).toEqual(['listed']);
  });

  it('leaves fields without a policy as they are (large lists pay nothing)', () => {
    const { schema, label } = toySchema([]);
    const item = applyPolicies(schema).getType('Item') as GraphQLObjectType;
    expect(item.getFields().label.resolve).toBe(label);
  });

  it('declares a policy on every root field of the app (nothing is denied by accident)', async () => {
    const schema = await buildAppSchema();
    for (const type of ['Query', 'Mutation'] as const) {
      const undeclared = Object.values((schema.getType(type) as GraphQLObjectType).getFields()).filter(
        (f) => !f.extensions[POLICY_EXTENSION],
      );
      expect(undeclared.map((f) => f.name)).toEqual([]);
    }
  });

  it('derives the API-key scopes from the declarations', () => {
    expect(apiKeyScopes).toEqual(
      expect.arrayContaining(['customers:read', 'customers:write', 'tickets:read', 'quotes:write']),
    );
    expect(apiKeyScopes).toEqual([...new Set(apiKeyScopes)].sort());
  });

  it('a data rule refuses an API key without its scope and accepts one with the write scope', () => {
    const key = (scopes: string[]): Principal => ({ kind: 'api-key', apiKeyId: 'k', tenantId: 't', scopes });
    expect(canRead('customers').decide(key(['customers:write']))).toBe(true);
    expect(canRead('customers').decide(key(['tickets:read']))).toMatchObject({
      code: 'FORBIDDEN',
      details: { reason: 'MISSING_SCOPE' },
    });
  });
});
