import { parse, TypeInfo, visit, visitWithTypeInfo, type GraphQLSchema } from 'graphql';
import { POLICY_EXTENSION, type AccessRule, type FieldPolicy } from '../../core/authorization';
import type { Principal } from '../../core/http/request-context';

/**
 * The access rules of every field an operation selects, read from the schema's `@Policy` declarations: a tool
 * needs exactly what its GraphQL twin needs, and nothing here decides anything the policies do not.
 */
export function operationRules(schema: GraphQLSchema, operation: string): AccessRule[] {
  const typeInfo = new TypeInfo(schema);
  const rules = new Set<AccessRule>();
  visit(
    parse(operation),
    visitWithTypeInfo(typeInfo, {
      Field() {
        const policy = typeInfo.getFieldDef()?.extensions?.[POLICY_EXTENSION] as FieldPolicy | undefined;
        if (policy) rules.add(policy.rule);
      },
    }),
  );
  return [...rules];
}

/**
 * Whether the rules let an API key in: its scopes decide (a key has no role). Only what `tools/list` shows: every
 * call is decided again by the same rules where GraphQL runs them.
 */
export const allowedFor = (rules: readonly AccessRule[], principal: Principal): boolean =>
  rules.every((rule) => rule.decide(principal) === true);
