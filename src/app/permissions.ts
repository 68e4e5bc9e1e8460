import { apiKeyScopesOf } from '../core/authorization';
import { resolvers } from './schema';

/**
 * Who may call what is declared once per field, on its resolver method (`@Policy(…)`, see
 * src/core/authorization) and applied by `applyPolicies` in buildAppSchema. What an API key may be
 * granted follows from those declarations: exactly the scopes some policy checks.
 */
export const apiKeyScopes = apiKeyScopesOf(resolvers);
