import type { CodegenConfig } from '@graphql-codegen/cli';

/** Typed documents for the operations the end-to-end tests send (`test/operations/*.graphql`). */
const config: CodegenConfig = {
  schema: 'schema.graphql',
  documents: ['test/operations/**/*.graphql'],
  generates: {
    'test/generated/graphql.ts': {
      plugins: ['typescript-operations', 'typed-document-node'],
      config: {
        enumsAsTypes: true,
        avoidOptionals: { field: true },
        scalars: { DateTimeISO: 'string', Decimal: 'string' },
      },
    },
  },
};

export default config;
