import { defaultFieldResolver, isObjectType, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import { ForbiddenError } from '../errors/app-error';
import type { RequestContext } from '../http/request-context';
import type { ScopedTenant } from '../tenancy/tenant-scope';
import { requestTenantTransaction } from '../tenancy/tenant-request';
import type { Decision } from './access-rule';
import { POLICY_EXTENSION, type FieldPolicy } from './policy';

type Resolver = GraphQLFieldResolver<unknown, RequestContext>;

const refuse = (decision: Decision) => {
  if (decision !== true) throw decision;
};

/** Deny by default: a root field nobody declared a policy for. */
const withoutPolicy: Resolver = () => {
  throw new ForbiddenError('Not allowed', { reason: 'NO_PERMISSION_RULE' });
};

/**
 * The one authorization middleware: the field's policy decided before its resolver, in the scope the
 * policy names. `organization`: the operation's scope, opened by the first such field (the caller's
 * role comes with it), already open for the fields below it, so a list's items are decided
 * synchronously. `released`: decided in a short scope that is closed before the resolver runs.
 */
function guarded({ rule, scope }: FieldPolicy, resolve: Resolver): Resolver {
  if (scope === 'none') {
    return (root, args, ctx, info) => {
      refuse(rule.decide(ctx.principal));
      return resolve(root, args, ctx, info);
    };
  }
  if (scope === 'released') {
    return async (root, args, ctx, info) => {
      // Decided in the operation's scope when an earlier field opened it, else in a short one of its own.
      await requestTenantTransaction(ctx)(async (_manager, tenant) =>
        refuse(rule.decide(ctx.principal, tenant.memberRole)),
      );
      return resolve(root, args, ctx, info);
    };
  }
  return (root, args, ctx, info) => {
    const decideThenResolve = (tenant: ScopedTenant) => {
      refuse(rule.decide(ctx.principal, tenant.memberRole));
      return resolve(root, args, ctx, info);
    };
    const open = ctx.tenantScope.current;
    if (open) return decideThenResolve(open.tenant);
    return ctx.tenantScope.open(ctx).then((opened) => decideThenResolve(opened.tenant));
  };
}

/**
 * A subscription field's policy is decided once, when it subscribes, in a short scope of the organization
 * (its role read there) that stays open while `subscribe` runs (it reads the tenant, replays missed events)
 * and closes before the first event: its events then resolve with no connection held.
 */
function guardedSubscribe({ rule, scope }: FieldPolicy, subscribe: Resolver): Resolver {
  if (scope === 'none') {
    return (root, args, ctx, info) => {
      refuse(rule.decide(ctx.principal));
      return subscribe(root, args, ctx, info);
    };
  }
  return async (root, args, ctx, info) => {
    let result: unknown;
    try {
      const opened = await ctx.tenantScope.open(ctx);
      refuse(rule.decide(ctx.principal, opened.tenant.memberRole));
      result = await subscribe(root, args, ctx, info);
    } catch (error) {
      await ctx.tenantScope.close(error);
      throw error;
    }
    await ctx.tenantScope.close();
    return result;
  };
}

/**
 * Applies the `@Policy` declarations of every field (any type, so relation fields are guarded too)
 * and refuses root fields that have none (subscriptions: at subscribe time, see guardedSubscribe). Fields
 * without a policy keep their resolver untouched: large lists pay nothing for fields nobody guards.
 */
export function applyPolicies(schema: GraphQLSchema): GraphQLSchema {
  const roots = new Set(
    [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].filter(Boolean),
  );
  const subscriptionType = schema.getSubscriptionType();
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const policy = field.extensions?.[POLICY_EXTENSION] as FieldPolicy | undefined;
      if (type === subscriptionType) {
        // Decided at subscribe time; each event's `resolve` only shapes what was already allowed.
        const subscribe = (field.subscribe ?? withoutPolicy) as Resolver;
        field.subscribe = (policy ? guardedSubscribe(policy, subscribe) : withoutPolicy) as typeof field.subscribe;
      } else if (policy)
        field.resolve = guarded(policy, (field.resolve ?? defaultFieldResolver) as Resolver) as typeof field.resolve;
      else if (roots.has(type)) field.resolve = withoutPolicy;
    }
  }
  return schema;
}
