// Real database and broker servers for the protocol tests, on 127.0.0.1 and free ports: redis-server,
// mosquitto, PostgreSQL and MariaDB from Debian's packages, each with its files in a temp dir removed
// on stop. As root, PostgreSQL runs as nobody (initdb and postgres refuse root) and mosquitto keeps
// root (`user root`: it would drop to a user that cannot read the temp dir).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { FixturePki } from '../../src/pki/generate.js';
import { findBinary, freePort, stopProcess, tail, waitForTls } from '../../src/targets/reference/process.js';
import { writeServerFiles, type ServerFiles, type StartedServer } from './servers.js';

export const REDIS = findBinary('redis-server');
export const MOSQUITTO = findBinary('mosquitto');
const PG_BIN = ['/usr/lib/postgresql/17/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/15/bin'].find((d) => existsSync(path.join(d, 'postgres')));
export const POSTGRES = PG_BIN ? path.join(PG_BIN, 'postgres') : undefined;
export const MARIADB = findBinary('mariadbd');
const MARIADB_INSTALL = findBinary('mariadb-install-db');

export const isRoot = process.getuid?.() === 0;
/** nobody:nogroup on Debian. */
const NOBODY = { uid: 65534, gid: 65534 };

export interface Spawned {
  proc: ChildProcess;
  logs: () => string;
  dead: () => string | undefined;
}

export function run(bin: string, args: string[], opts: { uid?: number; gid?: number; cwd?: string; env?: NodeJS.ProcessEnv } = {}): Spawned {
  const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  let out = '';
  let spawnError: Error | undefined;
  const add = (b: Buffer) => {
    if (out.length < 200_000) out += b.toString('utf8');
  };
  proc.stdout?.on('data', add);
  proc.stderr?.on('data', add);
  proc.once('error', (e) => (spawnError = e));
  return {
    proc,
    logs: () => out,
    dead: () =>
      spawnError
        ? `${bin} could not be started: ${spawnError.message}`
        : proc.exitCode !== null || proc.signalCode !== null
          ? `${path.basename(bin)} exited (${proc.exitCode ?? proc.signalCode}):\n${tail(out)}`
          : undefined,
  };
}

export async function tempDir(prefix: string, owner?: { uid: number; gid: number }): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  await fs.chmod(dir, 0o700);
  if (owner) await fs.chown(dir, owner.uid, owner.gid);
  return dir;
}

function handle(port: number, s: Spawned, dir: string): StartedServer {
  return {
    host: '127.0.0.1',
    port,
    logs: s.logs,
    stop: async () => {
      await stopProcess(s.proc);
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

/** Resolves once the server's log says `ready` and the port answers `send` (or, with nothing to send, says anything). */
export async function waitForAnswer(port: number, send: Buffer | undefined, s: Spawned, ready: RegExp, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const why = s.dead();
    if (why) throw new Error(why);
    if (!ready.test(s.logs())) {
      await new Promise((r) => setTimeout(r, 30));
      continue;
    }
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      const done = (v: boolean) => {
        s.destroy();
        resolve(v);
      };
      s.setTimeout(1000, () => done(false));
      s.once('connect', () => send && s.write(send));
      s.once('data', () => done(true));
      s.once('error', () => done(false));
      s.once('close', () => done(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 30));
  }
  throw new Error(`nothing answered on 127.0.0.1:${port} within ${timeoutMs} ms`);
}

/** Waits for `ready`; a server that does not get there is stopped, and the error carries its log. */
export async function whenReady(port: number, s: Spawned, dir: string, ready: Promise<void>): Promise<StartedServer> {
  try {
    await ready;
  } catch (e) {
    await stopProcess(s.proc);
    throw new Error(`${(e as Error).message}\n${tail(s.logs())}`);
  }
  return handle(port, s, dir);
}

/** Starts on a free port; retries on another port when the chosen one was taken meanwhile. */
export async function onFreePort(start: (port: number) => Promise<StartedServer>): Promise<StartedServer> {
  let last: unknown;
  for (let i = 0; i < 3; i++) {
    try {
      return await start(await freePort());
    } catch (e) {
      last = e;
      if (!/in use|EADDRINUSE|bind/i.test(String(e))) break;
    }
  }
  throw last;
}

export interface RedisOptions {
  pki: FixturePki;
  /** `tls-auth-clients`: yes (required), optional, no (not asked for). */
  authClients: 'yes' | 'optional' | 'no';
  requirepass?: string;
}

/** redis-server 7 on a TLS port only, nothing persisted. */
export async function startRedis(o: RedisOptions): Promise<StartedServer> {
  if (!REDIS) throw new Error('redis-server is not installed: apt-get install redis-server');
  const dir = await tempDir('mtls-redis-');
  const f = await writeServerFiles(dir, o.pki);
  return onFreePort(async (port) => {
    const s = run(REDIS, [
      '--port',
      '0',
      '--bind',
      '127.0.0.1',
      '--tls-port',
      String(port),
      '--tls-cert-file',
      f.chain,
      '--tls-key-file',
      f.key,
      '--tls-ca-cert-file',
      f.ca,
      '--tls-auth-clients',
      o.authClients,
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      ...(o.requirepass ? ['--requirepass', o.requirepass] : []),
    ]);
    return whenReady(port, s, dir, waitForTls('127.0.0.1', port, s.dead));
  });
}

export interface MosquittoOptions {
  pki: FixturePki;
  requireCertificate: boolean;
  useIdentityAsUsername: boolean;
  allowAnonymous: boolean;
}

/** mosquitto 2 with one TLS listener. */
export async function startMosquitto(o: MosquittoOptions): Promise<StartedServer> {
  if (!MOSQUITTO) throw new Error('mosquitto is not installed: apt-get install mosquitto');
  const dir = await tempDir('mtls-mosquitto-');
  const f = await writeServerFiles(dir, o.pki);
  return onFreePort(async (port) => {
    const conf = path.join(dir, `mosquitto-${port}.conf`);
    await fs.writeFile(
      conf,
      [
        ...(isRoot ? ['user root'] : []),
        'per_listener_settings true',
        `listener ${port} 127.0.0.1`,
        `cafile ${f.ca}`,
        `certfile ${f.chain}`,
        `keyfile ${f.key}`,
        `require_certificate ${o.requireCertificate}`,
        `use_identity_as_username ${o.useIdentityAsUsername}`,
        `allow_anonymous ${o.allowAnonymous}`,
        '',
      ].join('\n'),
    );
    const s = run(MOSQUITTO, ['-c', conf]);
    return whenReady(port, s, dir, waitForTls('127.0.0.1', port, s.dead));
  });
}

export interface PostgresOptions {
  pki: FixturePki;
  /** The superuser initdb creates (the client certificate's CN, so `cert` authentication admits it). */
  user: string;
  /** pg_hba.conf lines (a `local all all trust` line is added first). */
  hba: string[];
  ssl?: boolean;
  /** `ssl_ca_file`: the server asks for (and verifies) client certificates (default true). */
  clientCa?: boolean;
}

/** A fresh PostgreSQL cluster (initdb) started on a free port; as root, run as nobody. */
export async function startPostgres(o: PostgresOptions): Promise<StartedServer> {
  if (!POSTGRES || !PG_BIN) throw new Error('PostgreSQL is not installed: apt-get install postgresql');
  const owner = isRoot ? NOBODY : undefined;
  const dir = await tempDir('mtls-postgres-', owner);
  const f = await writeServerFiles(dir, o.pki);
  const hba = path.join(dir, 'pg_hba.conf');
  await fs.writeFile(hba, ['local all all trust', ...o.hba, ''].join('\n'));
  if (owner) for (const file of [...Object.values(f), hba]) await fs.chown(file, owner.uid, owner.gid);
  const data = path.join(dir, 'data');
  const init = spawnSync(path.join(PG_BIN, 'initdb'), ['-D', data, '-U', o.user, '-A', 'trust', '--no-sync', '-N', '--no-instructions'], {
    encoding: 'utf8',
    ...(owner ?? {}),
  });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
  return onFreePort(async (port) => {
    const settings = {
      listen_addresses: '127.0.0.1',
      port: String(port),
      unix_socket_directories: dir,
      hba_file: hba,
      ssl: o.ssl === false ? 'off' : 'on',
      ssl_cert_file: f.chain,
      ssl_key_file: f.key,
      ...(o.clientCa === false ? {} : { ssl_ca_file: f.ca }),
      fsync: 'off',
    };
    const s = run(POSTGRES, ['-D', data, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])], owner ?? {});
    return whenReady(port, s, dir, waitForAnswer(port, Buffer.from('0000000804d2162f', 'hex'), s, /database system is ready to accept connections/));
  });
}

export interface MariadbOptions {
  pki: FixturePki;
  /** SQL run at start-up (--init-file): the accounts. */
  initSql: string[];
  ssl?: boolean;
}

/** A fresh MariaDB data directory (mariadb-install-db) and mariadbd on a free port. */
export async function startMariadb(o: MariadbOptions): Promise<StartedServer> {
  if (!MARIADB || !MARIADB_INSTALL) throw new Error('MariaDB is not installed: apt-get install mariadb-server');
  const dir = await tempDir('mtls-mariadb-');
  const f: ServerFiles = await writeServerFiles(dir, o.pki);
  const data = path.join(dir, 'data');
  const user = isRoot ? ['--user=root'] : [];
  const install = spawnSync(MARIADB_INSTALL, ['--no-defaults', `--datadir=${data}`, ...user, '--auth-root-authentication-method=normal', '--skip-test-db'], {
    encoding: 'utf8',
  });
  if (install.status !== 0) throw new Error(`mariadb-install-db failed: ${install.stderr}`);
  const init = path.join(dir, 'init.sql');
  await fs.writeFile(init, o.initSql.map((l) => `${l};\n`).join(''));
  return onFreePort(async (port) => {
    const s = run(MARIADB, [
      '--no-defaults',
      `--datadir=${data}`,
      `--socket=${path.join(dir, 'sock')}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      ...user,
      ...(o.ssl === false ? ['--skip-ssl'] : [`--ssl-cert=${f.chain}`, `--ssl-key=${f.key}`, `--ssl-ca=${f.ca}`]),
      `--init-file=${init}`,
      '--skip-log-bin',
      '--innodb-buffer-pool-size=8M',
      '--skip-name-resolve',
      `--pid-file=${path.join(dir, 'pid')}`,
    ]);
    return whenReady(port, s, dir, waitForAnswer(port, undefined, s, /ready for connections/));
  });
}
