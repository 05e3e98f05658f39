// A reference server as a process: its template rendered, its files written (files.ts), started on a free
// loopback port, waited for until it speaks TLS, reloaded or restarted for rotation, and stopped.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { HarnessError } from '../../core/errors.js';
import { fixturePath } from '../../io/fixtures.js';
import { mintFixturePki, type FixturePki } from '../../pki/generate.js';
import { clientPolicyFor, type ProfileName } from '../profiles.js';
import type { ApplyMode } from '../../core/target.js';
import type { ReferenceChange, StartedReference } from '../target.js';
import { notAnswering } from './starttls.js';
import type { ProcessImplementation, StartTls } from './types.js';
import { changedFiles, pkiFiles, replaceFiles, SECRET_FILES, serverOwner, writeFiles, type Owner } from './files.js';

export type { ProcessImplementation, RenderContext, Rendered } from './types.js';
export { changedFiles, fileMode, PKI_FILES, pkiFiles, replaceFiles, SECRET_FILES, serverOwner, writeFiles, type Owner } from './files.js';

const TEMPLATE_DIR = fixturePath('reference');

/**
 * Renders `fixtures/reference/<name>` (or the template at an absolute path) replacing `{{key}}`; a
 * placeholder without a value is a bug and throws (a silently empty directive could weaken a profile).
 */
export function renderTemplate(name: string, values: Record<string, string>): string {
  const text = readFileSync(path.resolve(TEMPLATE_DIR, name), 'utf8');
  return text.replace(/\{\{(\w+)\}\}/g, (_, k: string) => {
    const v = values[k];
    if (v === undefined) throw new HarnessError('internal', `template ${name}: no value for {{${k}}}`);
    return v;
  });
}

/** Path of a binary on PATH or in the sbin directories (a non-root PATH may lack them), or an absolute path that exists. */
export function findBinary(bin: string): string | undefined {
  if (path.isAbsolute(bin)) return existsSync(bin) ? bin : undefined;
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin', '/usr/local/sbin', '/usr/bin']) {
    if (dir && existsSync(path.join(dir, bin))) return path.join(dir, bin);
  }
  return undefined;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * Resolves once a full TLS handshake with the server completes, or a TLS alert proves a TLS server
 * is answering (a server that requires a client certificate refuses ours). A listening socket is
 * not enough: nginx and haproxy accept before they are ready to handshake. With `starttls`
 * (PostgreSQL, MariaDB) it is the probe of that protocol, and the server must answer the login: a
 * PostgreSQL still starting up does the handshake, then answers 57P03 "the database system is
 * starting up" (unreachable: not ready yet).
 */
export async function waitForTls(host: string, port: number, isDead: () => string | undefined, timeoutMs = 15_000, starttls?: StartTls): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const dead = isDead();
    if (dead) throw new Error(dead);
    const ok = starttls
      ? await notAnswering(host, port, starttls).then((why) => (why ? void (last = why) : true))
      : await new Promise<boolean>((resolve) => {
          const s = tls.connect({ host, port, rejectUnauthorized: false, servername: 'localhost' });
          const done = (v: boolean, why?: string) => {
            if (why) last = why;
            s.destroy();
            resolve(v);
          };
          s.setTimeout(1000, () => done(false, 'timeout'));
          s.once('secureConnect', () => done(true));
          s.once('error', (e) => done(/alert/i.test(e.message), e.message));
        });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no TLS handshake on ${host}:${port} within ${timeoutMs} ms (last attempt: ${last})`);
}

export function tail(text: string, lines = 25): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** A spawned server process and its captured output. */
interface Spawned {
  proc: ChildProcess;
  spawnError: () => string | undefined;
  /** This process's own output (stdout and stderr), apart from earlier runs of the server. */
  ownOutput: () => string;
}

/** The shortest time a restarted reference server is down (rotation-restart). */
const RESTART_MIN_DOWN_MS = 100;

/** A reference server running as a local process. */
export class StartedProcessReference implements StartedReference {
  readonly url: string;
  private stopped = false;
  constructor(
    readonly implementation: ProcessImplementation['name'],
    readonly profile: ProfileName,
    readonly endpoint: { host: string; port: number },
    readonly pki: FixturePki,
    /** The directory with the rendered config and PKI (0700; removed on stop). */
    readonly dir: string,
    private current: Spawned,
    private readonly output: () => string,
    private readonly reloadSignal: NodeJS.Signals | undefined,
    private readonly sendChain: boolean,
    private readonly respawn: () => Spawned,
    private readonly reloadCommand?: { argv: string[]; env: NodeJS.ProcessEnv },
    /** Who owns the process and files (runAs, as root), the stop signal, the protocol's request for TLS. */
    private readonly run: {
      owner?: Owner | undefined;
      stopSignal?: NodeJS.Signals | undefined;
      starttls?: StartTls | undefined;
      reloadDone?: RegExp | undefined;
    } = {},
  ) {
    this.url = `https://${endpoint.host}:${endpoint.port}/`;
  }
  get pid(): number | undefined {
    return this.current.proc.pid;
  }
  logs(): string[] {
    return this.output().split('\n').filter(Boolean);
  }
  /** The implementation's own graceful reload (re-reads the files in `dir`). */
  async reload(): Promise<void> {
    if (this.reloadCommand) return runReloadCommand(this.implementation, this.reloadCommand.argv, this.reloadCommand.env, this.dir, undefined, this.run.owner);
    if (!this.reloadSignal) throw new HarnessError('target.unsupported-profile', `${this.implementation} has no graceful reload`);
    const done = this.run.reloadDone;
    const count = () => (done ? (this.output().match(new RegExp(done.source, 'gm'))?.length ?? 0) : 0);
    const before = count();
    this.current.proc.kill(this.reloadSignal);
    for (const deadline = Date.now() + 10_000; done && count() <= before && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 25));
  }
  /** Stops the process and starts it again on the same port with the files in `dir`; resolves once it answers TLS. */
  async restart(mark?: (label: string) => void): Promise<void> {
    await stopProcess(this.current.proc, this.run.stopSignal);
    mark?.(`${this.implementation} stopped`);
    // Down for at least RESTART_MIN_DOWN_MS, as a unit restarted by its service manager is (systemd's
    // RestartSec defaults to 100 ms): a server that stops and starts within a few ms (mosquitto) would
    // otherwise slip between two attempts of the prober, and the profile's outage would go unseen.
    await new Promise((r) => setTimeout(r, RESTART_MIN_DOWN_MS));
    // As a service manager restarting a unit would: start again on the same port. A child of the old
    // process still serving a connection may hold the listening socket for a moment (stunnel's
    // per-connection responders: 3 restarts in about 100 on a loaded machine, measured); the new
    // process then reports its port busy and is started again, within the deadline, once it is free.
    const deadline = Date.now() + RESTART_DEADLINE_MS;
    for (;;) {
      this.current = this.respawn();
      const { proc, spawnError, ownOutput } = this.current;
      const exited = () =>
        proc.exitCode !== null || proc.signalCode !== null ? `${this.implementation} exited (${proc.exitCode ?? proc.signalCode}) during restart` : undefined;
      const busy = () => PORT_BUSY.test(ownOutput());
      try {
        await waitForTls(
          this.endpoint.host,
          this.endpoint.port,
          () => spawnError() ?? (busy() ? `${this.implementation} could not bind port ${this.endpoint.port}` : exited()),
          Math.max(1000, deadline - Date.now()),
          this.run.starttls,
        );
        break;
      } catch (e) {
        if (busy() && Date.now() < deadline) {
          await stopProcess(proc, this.run.stopSignal);
          mark?.(`${this.implementation}: port ${this.endpoint.port} still held, starting again`);
          await new Promise((r) => setTimeout(r, 100));
          continue;
        }
        throw new HarnessError('target.start-failed', `${this.implementation} did not come back after the restart: ${(e as Error).message}`, {
          details: `last lines of the ${this.implementation} log:\n${tail(this.output())}`,
        });
      }
    }
    mark?.(`${this.implementation} answering again`);
  }
  async apply(change: ReferenceChange, mode: ApplyMode, mark?: (label: string) => void): Promise<void> {
    if (mode === 'graceful' && !this.reloadSignal && !this.reloadCommand)
      throw new HarnessError('target.unsupported-profile', `${this.implementation} has no graceful reload`);
    await replaceFiles(this.dir, changedFiles(change, this.sendChain), SECRET_FILES, this.run.owner);
    mark?.('new files written');
    if (mode === 'graceful') {
      await this.reload();
      mark?.(
        this.reloadCommand
          ? `${path.basename(this.reloadCommand.argv[0]!)} ${this.reloadCommand.argv.slice(1, 2).join(' ')} done`
          : `${this.reloadSignal} sent to ${this.implementation}`,
      );
    } else {
      await this.restart(mark);
    }
  }
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await stopProcess(this.current.proc, this.run.stopSignal);
    await fs.rm(this.dir, { recursive: true, force: true });
  }
}

/** Runs a reload command (e.g. `caddy reload`) to completion; a non-zero exit throws with its output. */
export async function runReloadCommand(
  implementation: string,
  argv: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
  timeoutMs = 15_000,
  owner?: Owner,
): Promise<void> {
  const [cmd, ...args] = argv;
  let out = '';
  const code = await new Promise<number | string>((resolve) => {
    const p = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd, env, ...(owner ? { uid: owner.uid, gid: owner.gid } : {}) });
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.stdout!.on('data', (b: Buffer) => (out += b.toString('utf8')));
    p.stderr!.on('data', (b: Buffer) => (out += b.toString('utf8')));
    p.once('error', (e) => (clearTimeout(t), resolve(e.message)));
    p.once('exit', (c, sig) => (clearTimeout(t), resolve(c ?? String(sig))));
  });
  if (code !== 0) throw new HarnessError('target.start-failed', `${implementation} reload (${argv.join(' ')}) failed: ${code}`, { details: tail(out) });
}

/** SIGTERM (or the server's own stop signal), then SIGKILL after 3 s; resolves when the process is gone. */
export async function stopProcess(proc: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const t = setTimeout(() => proc.kill('SIGKILL'), 3000);
    proc.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    proc.kill(signal);
  });
}

/** How long a restart may take to answer TLS again (a port still held by the old process included). */
const RESTART_DEADLINE_MS = 15_000;

/** A server's log line saying its port is taken (start is retried on another port). */
const PORT_BUSY = /in use|EADDRINUSE|cannot bind|Address already/i;

export interface ProcessReferenceOptions {
  profile: ProfileName;
  pki?: FixturePki;
  /** The loopback OCSP responder's URL (revocation-ocsp). */
  ocspUrl?: string | undefined;
}

/** Starts an implementation as a local process on 127.0.0.1 and a free port. */
export async function startProcessReference(impl: ProcessImplementation, o: ProcessReferenceOptions): Promise<StartedProcessReference> {
  const why = impl.unsupported(o.profile);
  if (why) throw new HarnessError('target.unsupported-profile', `${impl.name} cannot express profile "${o.profile}" (unsupported): ${why}`);
  const bin = path.isAbsolute(impl.binary) ? impl.binary : findBinary(impl.binary);
  if (!bin) throw new HarnessError('target.start-failed', `${impl.name} is not installed: apt-get install ${impl.debianPackages.join(' ')}`);
  const pki = o.pki ?? (await mintFixturePki());
  const owner = serverOwner(impl);
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), `mtls-${impl.name}-`));
    await fs.chmod(dir, 0o700);
    if (owner) await fs.chown(dir, owner.uid, owner.gid);
    const port = await freePort();
    const { files, sendChain, secret } = pkiFiles(pki, o.profile);
    const rendered = impl.render({ profile: o.profile, policy: clientPolicyFor(o.profile), dir, bind: '127.0.0.1', port, sendChain, ocspUrl: o.ocspUrl });
    await writeFiles(dir, { ...files, ...rendered.files }, secret, owner);
    const [cmd, ...args] = rendered.command;
    let out = '';
    const add = (b: Buffer) => {
      if (out.length < 500_000) out += b.toString('utf8');
    };
    const spawnOnce = (): Spawned => {
      const proc = spawn(cmd === impl.binary ? bin : cmd!, args, {
        stdio: ['pipe', 'pipe', 'pipe'],
        cwd: dir,
        env: { ...process.env, ...rendered.env },
        ...(owner ? { uid: owner.uid, gid: owner.gid } : {}),
      });
      let own = '';
      const addOwn = (b: Buffer) => {
        add(b);
        if (own.length < 100_000) own += b.toString('utf8');
      };
      proc.stdout!.on('data', addOwn);
      proc.stderr!.on('data', addOwn);
      let spawnError: string | undefined;
      proc.on('error', (e) => (spawnError = e.message));
      return { proc, spawnError: () => spawnError, ownOutput: () => own };
    };
    const output = () => {
      let extra = '';
      for (const f of ['error.log', 'stunnel.log']) {
        try {
          extra += readFileSync(path.join(dir, f), 'utf8');
        } catch {
          /* not written */
        }
      }
      return out + extra;
    };
    const first = spawnOnce();
    const { proc } = first;
    try {
      // A server reporting its port busy is not ready even if it runs on (gnutls-serv goes on with its IPv6 listener alone).
      await waitForTls(
        '127.0.0.1',
        port,
        () =>
          first.spawnError() ??
          (proc.exitCode !== null || proc.signalCode !== null
            ? `${impl.name} exited (${proc.exitCode ?? proc.signalCode}) during start`
            : PORT_BUSY.test(output())
              ? `${impl.name} could not bind port ${port}`
              : undefined),
        undefined,
        impl.starttls,
      );
      const reloadCommand = rendered.reloadCommand && {
        argv: rendered.reloadCommand.map((a, i) => (i === 0 && a === impl.binary ? bin : a)),
        env: { ...process.env, ...rendered.env },
      };
      return new StartedProcessReference(
        impl.name,
        o.profile,
        { host: '127.0.0.1', port },
        pki,
        dir,
        first,
        output,
        rendered.reloadSignal,
        sendChain,
        spawnOnce,
        reloadCommand,
        { owner, stopSignal: rendered.stopSignal, starttls: impl.starttls, reloadDone: rendered.reloadDone },
      );
    } catch (e) {
      lastError = new HarnessError('target.start-failed', `${impl.name} (profile ${o.profile}) did not start: ${(e as Error).message}`, {
        details: `last lines of the ${impl.name} log:\n${tail(output())}`,
      });
      await stopProcess(proc, rendered.stopSignal);
      const busy = PORT_BUSY.test(output());
      await fs.rm(dir, { recursive: true, force: true });
      if (!busy) break;
    }
  }
  throw lastError;
}
