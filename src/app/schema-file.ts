import { lexicographicSortSchema, printSchema } from 'graphql';
import { buildAppSchema } from './schema';

const HEADER =
  '# Generated from the TypeGraphQL resolvers by `npm run schema:emit`. Do not edit; CI fails when stale.\n\n';

/** The SDL committed as `schema.graphql`: sorted, so it only changes when the API does. */
export async function renderSchemaFile(): Promise<string> {
  return HEADER + printSchema(lexicographicSortSchema(await buildAppSchema())) + '\n';
}
