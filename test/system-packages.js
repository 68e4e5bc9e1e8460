// Debian packages some tests need and npm cannot provide; `npm test` (test/run.js) calls this first.
// PgBouncer: the pooler proof (test/faults/pgbouncer.spec.ts) runs the API through a real one.
const { spawnSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const path = require('node:path');

const PACKAGES = [
  { binary: 'pgbouncer', apt: 'pgbouncer', neededBy: 'test/faults/pgbouncer.spec.ts' },
  // Dovecot: the email channel's tests fetch mail from a real IMAP server.
  { binary: 'dovecot', apt: 'dovecot-imapd', neededBy: 'src/modules/email-channel (IMAP tests)' },
];

const onPath = (binary) =>
  [...(process.env.PATH || '').split(path.delimiter), '/usr/sbin', '/usr/local/sbin'].some((dir) =>
    existsSync(path.join(dir, binary)),
  );

function aptInstall(name) {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () =>
    spawnSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', name], { stdio: 'inherit', env }).status ===
    0;
  if (install()) return true;
  // A fresh machine has no package lists yet.
  spawnSync('apt-get', ['update', '-q'], { stdio: 'inherit', env });
  return install();
}

/**
 * Installs what is missing when it can (root with apt-get); says loudly what it could not. Returns the missing ones.
 */
function ensureSystemPackages(write = (line) => process.stdout.write(`${line}\n`)) {
  const missing = [];
  for (const pkg of PACKAGES) {
    if (onPath(pkg.binary)) continue;
    const canInstall =
      process.getuid && process.getuid() === 0 && spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
    if (canInstall) {
      write(`Installing ${pkg.apt} (apt-get) for ${pkg.neededBy}…`);
      if (aptInstall(pkg.apt) && onPath(pkg.binary)) continue;
    }
    missing.push(pkg);
    write('');
    write(`!!! ${pkg.binary} is not installed and could not be installed here (needs root and apt-get).`);
    write(`!!! ${pkg.neededBy} will FAIL. Install it: sudo apt-get install -y ${pkg.apt}`);
    write('');
  }
  return missing;
}

module.exports = { ensureSystemPackages };
