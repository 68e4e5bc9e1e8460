import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ImapFlow } from 'imapflow';
import { freeLocalPort } from '../../src/core/database/embedded-postgres';

export interface ImapTestServer {
  host: string;
  port: number;
  /** The password of every user. */
  password: string;
  /** Appends a raw RFC 822 message to a user's folder (INBOX) over IMAP, as a mail delivery would; returns its UID. */
  append(user: string, raw: string, folder?: string): Promise<number>;
  stop(): Promise<void>;
}

const DOVECOT = ['/usr/sbin/dovecot', '/usr/local/sbin/dovecot'].find((p) => existsSync(p));
const PASSWORD = 'imap-test-password';

/**
 * Mail files belong to an unprivileged user: the one the embedded PostgreSQL runs as (created when tests start as
 * root), else nobody.
 */
function mailOwner(): { name: string; uid: number; gid: number } {
  for (const name of ['postgres', 'nobody']) {
    const id = spawnSync('id', ['-u', name], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
    if (id.status === 0) return { name, uid: Number(id.stdout), gid: Number(gid.stdout) };
  }
  throw new Error('No unprivileged OS user (postgres or nobody) to own the test maildirs');
}

function config(dir: string, port: number, owner: { uid: number; gid: number }): string {
  return `
protocols = imap
listen = 127.0.0.1
base_dir = ${dir}/run
state_dir = ${dir}/state
instance_name = tenantql-imap-test-${port}
log_path = ${dir}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
mail_location = maildir:${dir}/mail/%u
mail_uid = ${owner.uid}
mail_gid = ${owner.gid}
first_valid_uid = 1
first_valid_gid = 1
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/users
}
userdb {
  driver = static
  args = uid=${owner.uid} gid=${owner.gid} home=${dir}/mail/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
`;
}

const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });

/**
 * A private Dovecot (Debian's dovecot-imapd) for the email channel's tests: its own config, run,
 * state and maildir directories in one temp dir, plaintext login on 127.0.0.1 and a free port,
 * one user per name in `users` (all with `password`). `stop()` kills it and removes the dir.
 */
export async function startImapTestServer(users: string[]): Promise<ImapTestServer> {
  if (!DOVECOT)
    throw new Error('Dovecot is not installed; the email channel tests need it: sudo apt-get install -y dovecot-imapd');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tenantql-imap-'));
  let child: ChildProcess | undefined;
  try {
    const owner = mailOwner();
    chmodSync(dir, 0o755); // the mail user must reach its maildir
    for (const sub of ['run', 'state', 'mail']) mkdirSync(path.join(dir, sub));
    chownSync(path.join(dir, 'mail'), owner.uid, owner.gid);
    writeFileSync(path.join(dir, 'users'), users.map((u) => `${u}:{PLAIN}${PASSWORD}::::::\n`).join(''));
    const port = await freeLocalPort();
    const conf = path.join(dir, 'dovecot.conf');
    writeFileSync(conf, config(dir, port, owner));
    const check = spawnSync(DOVECOT, ['-n', '-c', conf], { encoding: 'utf8' });
    if (check.status !== 0)
      throw new Error(`Dovecot rejected the test configuration:\n${check.stderr || check.stdout}`);

    const started = spawn(DOVECOT, ['-F', '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = started;
    let stderr = '';
    started.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    for (let i = 0; !(await accepts(port)); i++) {
      if (started.exitCode !== null || i > 100) {
        const log = existsSync(path.join(dir, 'dovecot.log'))
          ? readFileSync(path.join(dir, 'dovecot.log'), 'utf8')
          : '';
        throw new Error(`Dovecot did not start (exit ${started.exitCode}):\n${stderr}${log}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }

    return {
      host: '127.0.0.1',
      port,
      password: PASSWORD,
      async append(user, raw, folder = 'INBOX') {
        const client = new ImapFlow({
          host: '127.0.0.1',
          port,
          secure: false,
          auth: { user, pass: PASSWORD },
          logger: false,
        });
        await client.connect();
        try {
          if (folder !== 'INBOX') await client.mailboxCreate(folder).catch(() => undefined);
          const result = await client.append(folder, raw);
          if (!result || !result.uid) throw new Error(`Appending to ${user}/${folder} returned no UID`);
          return result.uid;
        } finally {
          await client.logout();
        }
      },
      stop: async () => {
        await new Promise<void>((resolve) => {
          if (started.exitCode !== null) return resolve();
          started.once('exit', () => resolve());
          started.kill('SIGTERM');
        });
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    child?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
