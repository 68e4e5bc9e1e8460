import { graphql, GraphQLList, GraphQLObjectType, GraphQLSchema, GraphQLString, type GraphQLFieldResolver } from 'graphql';
import type { Principal } from '../core/http/request-context';
import { everyone, platformAdmin } from '../modules/memberships';
import { appPermissions, applyPermissions } from './permissions';
import { buildAppSchema } from './schema';

/** A schema outside the app: `listed` has a rule, `unlisted` none; items have a field resolver of their own. */
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
        listed: { type: new GraphQLList(Item), resolve: resolver('listed') },
        adminOnly: { type: new GraphQLList(Item), resolve: resolver('adminOnly') },
        unlisted: { type: new GraphQLList(Item), resolve: resolver('unlisted') },
      },
    }),
  });
  return { schema, label };
}

const run = (schema: GraphQLSchema, source: string, principal: Principal) =>
  graphql({ schema, source, contextValue: { principal } });

describe('permissions (graphql-shield)', () => {
  it('denies a root field that has no rule, whoever asks, without running its resolver', async () => {
    const calls: string[] = [];
    const { schema } = toySchema(calls);
    const protectedSchema = applyPermissions(schema, { Query: { listed: everyone, adminOnly: platformAdmin } });

    for (const principal of [{ kind: 'anonymous' }, { kind: 'platform-admin' }] as Principal[]) {
      const res = await run(protectedSchema, '{ unlisted { label } }', principal);
      expect(res.errors![0].originalError).toMatchObject({ code: 'FORBIDDEN', details: { reason: 'NO_PERMISSION_RULE' } });
    }
    expect((await run(protectedSchema, '{ listed { label } }', { kind: 'anonymous' })).data).toEqual({ listed: [{ label: 'item 1' }, { label: 'item 2' }] });
    const refused = await run(protectedSchema, '{ adminOnly { label } }', { kind: 'anonymous' });
    expect(refused.errors![0].originalError).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(calls).toEqual(['listed']);
  });

  it('wraps root fields only: field resolvers of types stay as they are (large lists stay fast)', () => {
    const { schema, label } = toySchema([]);
    const protectedSchema = applyPermissions(schema, { Query: { listed: everyone } });
    const item = protectedSchema.getType('Item') as GraphQLObjectType;
    expect(item.getFields().label.resolve).toBe(label);
    const query = protectedSchema.getQueryType()!;
    expect(query.getFields().listed.resolve).not.toBe((schema.getQueryType()!.getFields().listed).resolve);
  });

  it('has an explicit rule for every root field of the app (nothing is denied by accident)', async () => {
    const schema = await buildAppSchema();
    for (const type of ['Query', 'Mutation'] as const) {
      const fields = Object.keys((schema.getType(type) as GraphQLObjectType).getFields()).sort();
      expect(Object.keys(appPermissions[type] ?? {}).sort()).toEqual(fields);
    }
  });
});
