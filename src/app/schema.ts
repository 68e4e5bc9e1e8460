import path from 'node:path';
import type { GraphQLSchema } from 'graphql';
import { buildSchema, type ContainerType } from 'type-graphql';
import { authChecker } from '../core/http/auth-checker';
import { AuthResolver } from '../modules/auth';
import { CustomerResolver } from '../modules/customers';
import { JobResolver } from '../modules/jobs';
import { TenantResolver } from '../modules/tenants';
import { UserResolver } from '../modules/users';

export const resolvers = [TenantResolver, CustomerResolver, JobResolver, UserResolver, AuthResolver] as const;

export const SCHEMA_FILE = path.resolve(__dirname, '../../schema.graphql');

/** The executable schema. `container` hands TypeGraphQL the resolver instances built by `createServices`. */
export function buildAppSchema(container?: ContainerType): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: [...resolvers],
    container,
    authChecker,
    authMode: 'error',
    // Validation errors must not echo the submitted object back.
    validate: { forbidUnknownValues: false, validationError: { target: false, value: false } },
  });
}
