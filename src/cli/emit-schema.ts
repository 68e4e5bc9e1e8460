import 'reflect-metadata';
import { writeFile } from 'node:fs/promises';
import { SCHEMA_FILE } from '../app/schema';
import { renderSchemaFile } from '../app/schema-file';

/** `npm run schema:emit`: regenerates schema.graphql from the resolvers. */
renderSchemaFile()
  .then((sdl) => writeFile(SCHEMA_FILE, sdl))
  .then(() => process.stdout.write(`✓ wrote ${SCHEMA_FILE}\n`))
  .catch((error) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
