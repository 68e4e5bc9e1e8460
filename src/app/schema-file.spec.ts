import { readFile } from 'node:fs/promises';
import { SCHEMA_FILE } from './schema';
import { renderSchemaFile } from './schema-file';

describe('schema.graphql', () => {
  it('is up to date with the resolvers (run `npm run schema:emit` and commit it)', async () => {
    expect(await readFile(SCHEMA_FILE, 'utf8')).toBe(await renderSchemaFile());
  });
});
