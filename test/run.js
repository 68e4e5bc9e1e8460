#!/usr/bin/env node
// `npm test`: type-check, then Jest; ends with a plain "Tests: N passed, N failed" line that CI tools read.
const { spawnSync } = require('node:child_process');
const { readFileSync, rmSync } = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const run = (cmd, args) => spawnSync(cmd, args, { cwd: root, stdio: 'inherit' }).status ?? 1;

if (!process.argv.includes('--no-typecheck')) {
  process.stdout.write('Type-checking…\n');
  if (run(bin('tsc'), ['--noEmit', '-p', '.']) !== 0) {
    process.stdout.write('Tests: 0 passed, 1 failed (type errors)\n');
    process.exit(1);
  }
}
if (!process.argv.includes('--no-lint')) {
  process.stdout.write('Linting (ESLint, Prettier)…\n');
  if (run(bin('eslint'), ['.']) !== 0 || run(bin('prettier'), ['--check', '--log-level', 'warn', '.']) !== 0) {
    process.stdout.write('Tests: 0 passed, 1 failed (lint: run `npm run format`)\n');
    process.exit(1);
  }
}
// System packages some tests need (PgBouncer): installed when possible, otherwise their tests fail loudly.
require('./system-packages').ensureSystemPackages();
const results = path.join(root, '.jest-results.json');
rmSync(results, { force: true });
const extra = process.argv.slice(2).filter((a) => a !== '--no-typecheck' && a !== '--no-lint');
const status = run(bin('jest'), ['--ci', '--json', `--outputFile=${results}`, ...extra]);
try {
  const { numPassedTests, numFailedTests, numPendingTests, numRuntimeErrorTestSuites } = JSON.parse(
    readFileSync(results, 'utf8'),
  );
  const failed = numFailedTests + numRuntimeErrorTestSuites;
  process.stdout.write(
    `Tests: ${numPassedTests} passed, ${failed} failed${numPendingTests ? `, ${numPendingTests} skipped` : ''}\n`,
  );
} catch {
  process.stdout.write('Tests: 0 passed, 1 failed (no results from jest)\n');
}
rmSync(results, { force: true });
process.exit(status);
