// Real mail servers for the smtp, imap and pop3 tests, on 127.0.0.1 and free ports, from Debian's
// packages: Dovecot 2.3 (IMAP and POP3 with STARTTLS, one process for both) and Postfix 3.7 (SMTP
// with STARTTLS), each with its configuration and state in a temp dir removed on stop. Both must
// start as root (they drop to their own users: dovenull, postfix); the packages' own services do not
// matter. Strict: the client certificate is required (Dovecot auth_ssl_require_client_cert, Postfix
// smtpd_tls_req_ccert); open: it is asked for and checked if sent, never required.
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, promises as fs, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { FixturePki } from '../../src/pki/generate.js';
import { findBinary, freePort, stopProcess, tail } from '../../src/targets/reference/process.js';
import { isRoot, run, tempDir, waitForAnswer, type Spawned } from './app-servers.js';
import { writeServerFiles, type StartedServer } from './servers.js';

export const DOVECOT = findBinary('dovecot');
const POSTFIX = findBinary('postfix');
const POSTFIX_MASTER = ['/usr/lib/postfix/sbin/master', '/usr/libexec/postfix/master'].find((p) => spawnSync('test', ['-x', p]).status === 0);
export const POSTFIX_BIN = POSTFIX && POSTFIX_MASTER ? POSTFIX : undefined;

/** Why the mail servers cannot run here (undefined: they can), for the skip message. */
export function mailServersUnavailable(bin: string | undefined, pkg: string): string | undefined {
  if (!bin) return `${pkg} is not installed (apt-get install ${pkg})`;
  if (!isRoot) return `${pkg} must be started as root here (it drops to its own user)`;
  return undefined;
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function uidOf(user: string): { uid: number; gid: number } {
  const id = (flag: string) => Number(spawnSync('id', [flag, user], { encoding: 'utf8' }).stdout.trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** A mail server's directory: 0755 (the servers' own users reach their sockets and homes in it; the key stays 0600). */
async function mailDir(prefix: string): Promise<string> {
  const dir = await tempDir(prefix);
  await fs.chmod(dir, 0o755);
  return dir;
}

async function started(s: Spawned, dir: string, ports: number[], ready: RegExp): Promise<void> {
  try {
    for (const port of ports) await waitForAnswer(port, undefined, s, ready);
  } catch (e) {
    await stopProcess(s.proc);
    await fs.rm(dir, { recursive: true, force: true });
    throw new Error(`${(e as Error).message}\n${tail(s.logs())}`);
  }
}

export interface MailServerOptions {
  pki: FixturePki;
  /** The client certificate is required (else asked for and verified if sent). */
  strict: boolean;
}

export interface StartedDovecot extends StartedServer {
  /** `port` is IMAP's. */
  pop3Port: number;
}

/** Dovecot with IMAP and POP3 (STARTTLS), a static passdb that admits any user without a password. */
export async function startDovecot(o: MailServerOptions): Promise<StartedDovecot> {
  if (!DOVECOT) throw new Error('dovecot is not installed: apt-get install dovecot-imapd dovecot-pop3d');
  const dir = await mailDir('mtls-dovecot-');
  const f = await writeServerFiles(dir, o.pki);
  const mailUser = uidOf('dovenull');
  const home = path.join(dir, 'home');
  await fs.mkdir(home);
  await fs.chown(home, mailUser.uid, mailUser.gid);
  const [imap, pop3] = [await freePort(), await freePort()];
  const conf = path.join(dir, 'dovecot.conf');
  await fs.writeFile(
    conf,
    [
      `base_dir = ${path.join(dir, 'run')}`,
      `state_dir = ${path.join(dir, 'state')}`,
      'log_path = /dev/stderr',
      'protocols = imap pop3',
      'listen = 127.0.0.1',
      'ssl = yes',
      `ssl_cert = <${f.chain}`,
      `ssl_key = <${f.key}`,
      `ssl_ca = <${f.ca}`,
      'ssl_verify_client_cert = yes',
      // Without it every client certificate is invalid: the fixture CA publishes no CRL.
      'ssl_require_crl = no',
      ...(o.strict ? ['auth_ssl_require_client_cert = yes'] : []),
      'passdb {\n  driver = static\n  args = nopassword=y\n}',
      `userdb {\n  driver = static\n  args = uid=${mailUser.uid} gid=${mailUser.gid} home=${home}/%u\n}`,
      `first_valid_uid = ${mailUser.uid}`,
      'mail_location = maildir:~/Maildir',
      `service imap-login {\n  inet_listener imap {\n    port = ${imap}\n  }\n  inet_listener imaps {\n    port = 0\n  }\n}`,
      `service pop3-login {\n  inet_listener pop3 {\n    port = ${pop3}\n  }\n  inet_listener pop3s {\n    port = 0\n  }\n}`,
      '',
    ].join('\n'),
  );
  const s = run(DOVECOT, ['-F', '-c', conf]);
  await started(s, dir, [imap, pop3], /starting up/);
  return {
    host: '127.0.0.1',
    port: imap,
    pop3Port: pop3,
    logs: s.logs,
    stop: async () => {
      await stopProcess(s.proc);
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

/** Postfix's smtpd on a free port with STARTTLS; its master run in the foreground with its own queue and data directories. */
export async function startPostfix(o: MailServerOptions): Promise<StartedServer> {
  if (!POSTFIX_BIN || !POSTFIX_MASTER) throw new Error('postfix is not installed: apt-get install postfix');
  const dir = await mailDir('mtls-postfix-');
  const f = await writeServerFiles(dir, o.pki);
  const data = path.join(dir, 'data');
  await fs.mkdir(path.join(dir, 'queue'));
  await fs.mkdir(data);
  const pf = uidOf('postfix');
  await fs.chown(data, pf.uid, pf.gid);
  const port = await freePort();
  const maillog = path.join(dir, 'maillog');
  await fs.writeFile(
    path.join(dir, 'main.cf'),
    [
      'compatibility_level = 3.6',
      `queue_directory = ${path.join(dir, 'queue')}`,
      `data_directory = ${data}`,
      'myhostname = mtls-harness.test',
      'mydestination =',
      'inet_interfaces = 127.0.0.1',
      'inet_protocols = ipv4',
      `maillog_file = ${maillog}`,
      `maillog_file_prefixes = ${dir}`,
      `smtpd_tls_cert_file = ${f.chain}`,
      `smtpd_tls_key_file = ${f.key}`,
      `smtpd_tls_CAfile = ${f.ca}`,
      'smtpd_tls_ask_ccert = yes',
      ...(o.strict ? ['smtpd_tls_security_level = encrypt', 'smtpd_tls_req_ccert = yes'] : ['smtpd_tls_security_level = may']),
      'smtpd_tls_loglevel = 1',
      // No reverse DNS of 127.0.0.1 (smtpd asks DNS, not /etc/hosts: without a resolver each greeting waits for its timeout).
      'smtpd_peername_lookup = no',
      '',
    ].join('\n'),
  );
  // Debian's master.cf with smtpd on the chosen port, not chrooted (the queue directory is not set up as a chroot).
  const master = await fs.readFile('/etc/postfix/master.cf', 'utf8');
  await fs.writeFile(path.join(dir, 'master.cf'), master.replace(/^smtp\s+inet\s.*$/m, `${port} inet n - n - - smtpd`));
  // `postfix check` creates the queue's subdirectories. Its output goes to a file: with Node's pipes
  // (socket pairs) as stdout and stderr, it takes 16 s instead of 0.5 s.
  const checkLog = path.join(dir, 'check.log');
  const fd = openSync(checkLog, 'w');
  const check = spawnSync(POSTFIX_BIN, ['-c', dir, 'check'], { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  if (check.status !== 0) throw new Error(`postfix check failed: ${tail(readFileSync(checkLog, 'utf8'))}`);
  const s = run(POSTFIX_MASTER, ['-c', dir, '-d'], { cwd: os.tmpdir() });
  const logs = () => `${s.logs()}${readText(maillog)}`;
  await started({ ...s, logs }, dir, [port], /daemon started/);
  return {
    host: '127.0.0.1',
    port,
    logs,
    stop: async () => {
      await stopProcess(s.proc);
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}
