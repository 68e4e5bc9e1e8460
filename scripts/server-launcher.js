#!/usr/bin/env node
// `npm start` (after the build): `node scripts/server-launcher.js dist/src/main.js` runs the server as a child
// in a process group of its own, passes SIGTERM and SIGINT on to it (SIGHUP as SIGTERM: the terminal went away)
// and exits with the server's exit code.
// Why: npm passes signals only to its script's shell, and Ctrl-C in a terminal signals the whole foreground
// group, the embedded PostgreSQL included, which would stop before the server drained. In its own group,
// the server alone decides when its database stops: after the drain.
const { spawn } = require('node:child_process');
const { constants } = require('node:os');

const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  process.stderr.write('usage: node scripts/server-launcher.js <entry.js> [args…]\n');
  process.exit(2);
}
const server = spawn(process.execPath, [entry, ...args], { stdio: ['ignore', 'inherit', 'inherit'], detached: true });
const forward = (signal) => () => server.kill(signal);
process.on('SIGTERM', forward('SIGTERM'));
process.on('SIGINT', forward('SIGINT'));
process.on('SIGHUP', forward('SIGTERM'));
server.on('error', (error) => {
  process.stderr.write(`could not start ${entry}: ${error.message}\n`);
  process.exit(1);
});
server.on('exit', (code, signal) => process.exit(code ?? 128 + (constants.signals[signal] ?? 0)));
