import type { GraphQLSchema } from 'graphql';
import { applyMiddleware, middleware, type IMiddlewareFieldMap, type IMiddlewareTypeMap } from 'graphql-middleware';
import type { IMiddlewareResolver } from 'graphql-middleware/dist/types';
import { allow, deny, shield } from 'graphql-shield';
import { ForbiddenError } from '../core/errors/app-error';
import type { RequestContext } from '../core/http/request-context';
import { tenantScopeMiddleware } from '../core/tenancy/tenant-scoped.middleware';
import { apiKeyPermissions } from '../modules/api-keys';
import { authPermissions } from '../modules/auth/auth.permissions';
import { productPermissions } from '../modules/catalog';
import { contractPermissions } from '../modules/contracts/contract.permissions';
import { customerPermissions } from '../modules/customers/customer.permissions';
import { emailChannelPermissions } from '../modules/email-channel/email-channel.permissions';
import { invoicePermissions } from '../modules/invoices/invoice.permissions';
import { jobPermissions } from '../modules/jobs/job.permissions';
import { articlePermissions } from '../modules/knowledge-base';
import { apiKeyScopesOf, membershipPermissions, needsOrganization, releasedDecisionOf, type PermissionRule, type PermissionTree } from '../modules/memberships';
import { onboardingPermissions } from '../modules/onboarding';
import { paymentPermissions } from '../modules/payments';
import { planPermissions } from '../modules/plans';
import { quotePermissions } from '../modules/quotes';
import { quoteGenerationPermissions } from '../modules/quotes/quote-generation.permissions';
import { settingsPermissions } from '../modules/settings';
import { tenantPermissions } from '../modules/tenants/tenant.permissions';
import { ticketPermissions } from '../modules/tickets';
import { slaReportPermissions } from '../modules/tickets/sla-report.permissions';
import { userPermissions } from '../modules/users/user.permissions';
import { whatsAppChannelPermissions } from '../modules/whatsapp-channel/whatsapp-channel.permissions';

const ROOT_TYPES = ['Query', 'Mutation'] as const;

/** One tree from the modules' trees; a field claimed by two modules is a bug. */
export function composePermissions(trees: PermissionTree[]): PermissionTree {
  const composed: Required<PermissionTree> = { Query: {}, Mutation: {} };
  for (const tree of trees) {
    for (const type of ROOT_TYPES) {
      for (const [field, rule] of Object.entries(tree[type] ?? {})) {
        if (composed[type][field]) throw new Error(`Permission for ${type}.${field} is defined twice`);
        composed[type][field] = rule;
      }
    }
  }
  return composed;
}

export const appPermissions = composePermissions([
  authPermissions,
  userPermissions,
  tenantPermissions,
  membershipPermissions,
  apiKeyPermissions,
  settingsPermissions,
  onboardingPermissions,
  customerPermissions,
  productPermissions,
  quotePermissions,
  quoteGenerationPermissions,
  contractPermissions,
  invoicePermissions,
  jobPermissions,
  planPermissions,
  paymentPermissions,
  ticketPermissions,
  slaReportPermissions,
  articlePermissions,
  emailChannelPermissions,
  whatsAppChannelPermissions,
]);

const rulesOf = (tree: PermissionTree): PermissionRule[] => ROOT_TYPES.flatMap((type) => Object.values(tree[type] ?? {}));

/** Exactly the scopes some rule checks: what an API key may be given. */
export const apiKeyScopes = apiKeyScopesOf(rulesOf(appPermissions));

/**
 * Opens the organization's scope (its transaction, with the caller's role read by
 * the statement that opens it) before the rule runs, so role rules cost no query. A
 * refusal (shield returns errors as values) is thrown, so the transaction rolls back.
 */
const withinOrganization: IMiddlewareResolver<unknown, RequestContext> = (resolve, root, args, context, info) =>
  tenantScopeMiddleware({ root, args, context, info }, async () => {
    const result = await resolve(root, args, context, info);
    if (result instanceof Error) throw result;
    return result;
  });

/**
 * For `checkedThenReleased` rules: decides in the organization's scope, which then commits and
 * gives its connection back; the resolver runs outside any transaction and opens its own.
 */
const checkedThenReleasedScope =
  (decide: NonNullable<ReturnType<typeof releasedDecisionOf>>): IMiddlewareResolver<unknown, RequestContext> =>
  async (resolve, root, args, context, info) => {
    await tenantScopeMiddleware({ root, args, context, info }, async () => {
      const decision = decide(context.principal);
      if (decision !== true) throw decision;
    });
    return resolve(root, args, context, info);
  };

function organizationScopesFor(schema: GraphQLSchema, tree: PermissionTree): IMiddlewareTypeMap {
  const map: IMiddlewareTypeMap = {};
  for (const type of ROOT_TYPES.filter((t) => schema.getType(t))) {
    const fields: IMiddlewareFieldMap = {};
    for (const [field, rule] of Object.entries(tree[type] ?? {})) {
      const released = releasedDecisionOf(rule);
      if (released) fields[field] = checkedThenReleasedScope(released);
      else if (needsOrganization(rule)) fields[field] = withinOrganization;
    }
    map[type] = fields;
  }
  return map;
}

/**
 * Applies a permission tree with graphql-shield: deny by default (a root field
 * without a rule is FORBIDDEN), typed errors passed through. Only Query and Mutation
 * fields are wrapped: shield would otherwise wrap every field of every type, which
 * made large lists several times slower; the root field already decided.
 */
export function applyPermissions(schema: GraphQLSchema, tree: PermissionTree = appPermissions): GraphQLSchema {
  // checkedThenReleased fields were decided by their scope middleware (organizationScopesFor).
  const shieldTree = Object.fromEntries(
    ROOT_TYPES.filter((type) => tree[type]).map((type) => [type, Object.fromEntries(Object.entries(tree[type]!).map(([field, rule]) => [field, releasedDecisionOf(rule) ? allow : rule]))]),
  );
  const rules = shield(shieldTree, {
    fallbackRule: deny,
    fallbackError: () => new ForbiddenError('Not allowed', { reason: 'NO_PERMISSION_RULE' }),
    allowExternalErrors: true,
  });
  const rootFieldRules = middleware((s) => {
    const generated = rules.generate(s) as IMiddlewareTypeMap;
    return Object.fromEntries(ROOT_TYPES.filter((type) => s.getType(type)).map((type) => [type, generated[type]]));
  });
  const organizationScopes = middleware((s) => organizationScopesFor(s, tree));
  // The first middleware is the outermost: the scope opens, then the rule runs inside it.
  return applyMiddleware(schema, organizationScopes, rootFieldRules);
}
