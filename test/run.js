#!/usr/bin/env node
// `npm test`: type-check (compiling the tree for child processes), ESLint and Prettier side by side, then Jest;
// ends with a plain "Tests: N passed, N failed" line that CI tools read.
const { spawn, spawnSync } = require('node:child_process');
const { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const run = (cmd, args, env = process.env) => spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env }).status ?? 1;
const flags = ['--no-typecheck', '--no-lint', '--record-timings'];
const has = (flag) => process.argv.includes(flag);

/** Runs a command with its output held back, then printed whole: several run at once without interleaving. */
function quiet(name, cmd, args) {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', (error) => resolve({ name, status: 1, output: `${output}${error.message}\n` }));
    child.on('close', (status) => {
      const seconds = Math.round((Date.now() - started) / 1000);
      resolve({
        name,
        status: status ?? 1,
        output: `${output}${name}: ${status === 0 ? 'ok' : 'failed'}, ${seconds} s\n`,
      });
    });
  });
}

/** Type-check and lint: the reason they failed, or undefined. */
async function checks(compiled) {
  // tsc emits the JS that tests' child processes (CLIs, API and worker processes) run: the type-check's own output,
  // so they start without ts-node compiling the app again in every child. All three are single-threaded.
  const steps = [];
  if (compiled) {
    process.stdout.write('Type-checking…\n');
    steps.push(quiet('tsc', bin('tsc'), ['-p', '.', '--outDir', compiled, '--sourceMap', 'false']));
  }
  if (!has('--no-lint')) {
    process.stdout.write('Linting (ESLint, Prettier)…\n');
    steps.push(quiet('eslint', bin('eslint'), ['.']));
    steps.push(quiet('prettier', bin('prettier'), ['--check', '--log-level', 'warn', '.']));
  }
  const results = await Promise.all(steps);
  for (const { output } of results) process.stdout.write(output);
  const failed = results.filter(({ status }) => status !== 0).map(({ name }) => name);
  if (failed.includes('tsc')) return 'type errors';
  return failed.length ? 'lint: run `npm run format`' : undefined;
}

/** Seconds per test file of this run, slowest first: what test/support/timing-sequencer.js reads on a fresh clone. */
function recordTimings(testResults) {
  const seconds = testResults
    .map((r) => [path.relative(root, r.name), Math.round((r.endTime - r.startTime) / 1000)])
    .sort((a, b) => b[1] - a[1]);
  writeFileSync(path.join(root, 'test', 'timings.json'), `${JSON.stringify(Object.fromEntries(seconds), null, 2)}\n`);
}

async function main() {
  const compiled = has('--no-typecheck') ? undefined : mkdtempSync(path.join(os.tmpdir(), 'tenantql-compiled-'));
  try {
    // The compiled files find the dependencies as the sources do.
    if (compiled) symlinkSync(path.join(root, 'node_modules'), path.join(compiled, 'node_modules'), 'dir');
    const failedCheck = await checks(compiled);
    if (failedCheck) {
      process.stdout.write(`Tests: 0 passed, 1 failed (${failedCheck})\n`);
      process.exitCode = 1;
      return;
    }
    // System packages some tests need (PgBouncer): installed when possible, otherwise their tests fail loudly.
    require('./system-packages').ensureSystemPackages();
    const results = path.join(root, '.jest-results.json');
    rmSync(results, { force: true });
    const extra = process.argv.slice(2).filter((a) => !flags.includes(a));
    // Read by test/support/node-entry.ts.
    const env = compiled ? { ...process.env, TENANTQL_TEST_COMPILED: compiled } : process.env;
    const status = run(bin('jest'), ['--ci', '--json', `--outputFile=${results}`, ...extra], env);
    try {
      const summary = JSON.parse(readFileSync(results, 'utf8'));
      const { numPassedTests, numFailedTests, numPendingTests, numRuntimeErrorTestSuites } = summary;
      if (has('--record-timings')) recordTimings(summary.testResults);
      const failed = numFailedTests + numRuntimeErrorTestSuites;
      process.stdout.write(
        `Tests: ${numPassedTests} passed, ${failed} failed${numPendingTests ? `, ${numPendingTests} skipped` : ''}\n`,
      );
    } catch {
      process.stdout.write('Tests: 0 passed, 1 failed (no results from jest)\n');
    }
    rmSync(results, { force: true });
    process.exitCode = status;
  } finally {
    if (compiled) rmSync(compiled, { recursive: true, force: true });
  }
}

void main();
