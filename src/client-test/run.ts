import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { addDays, systemClock, type Clock } from '../core/clock.js';
import { craftedOptions, mintCertificate, mintFixturePki, type FixturePki, type MintOptions } from '../pki/generate.js';
import { summarize } from '../core/status.js';
import { markIncomplete, notFinishedResult } from '../runner/run.js';
import type { CheckVerdict, Result, RunReport, TargetReport } from '../core/model.js';
import { redactArgv } from '../core/redact.js';
import { targetIds } from '../core/target-id.js';
import { runClientCommand, urlFor, type ClientSpec, type Placeholders } from './command.js';
import { CLIENT_CHECKS, CLIENT_SUITE_ID, type ClientCheck } from '../../suites/client-conformance.js';
import type { ClientRun, ServerProfile } from './checks.js';
import { NginxObserver } from './nginx-observer.js';
import { ObservingServer, type StartedObserver } from './observer.js';

/** Reference implementations that can observe a client: node (in-process, the default) and nginx (from its logs). */
export const OBSERVER_IMPLEMENTATIONS = ['node', 'nginx'] as const;
export type ObserverImplementation = (typeof OBSERVER_IMPLEMENTATIONS)[number];

/** A server credential as the reference server sends it. */
export interface ServedCredential {
  /** Leaf first, then the intermediates the server sends. */
  chainPem: string;
  keyPem: string;
}

/**
 * The server certificate of each client-conformance profile, from the fixture PKI: the valid chain,
 * a leaf from a look-alike CA (same name as the root, another key), the wrong-SAN and expired leaves,
 * a self-signed leaf, and the valid leaf without its intermediate. All name `localhost` and 127.0.0.1.
 */
export async function clientTestServers(pki: FixturePki, clock: Clock = systemClock): Promise<Record<ServerProfile, ServedCredential>> {
  const now = clock();
  const valid: MintOptions = {
    subject: 'CN=localhost, O=mtls-harness client-test',
    sans: { dns: ['localhost'], ip: ['127.0.0.1', '::1'] },
    eku: ['serverAuth'],
    notBefore: addDays(now, -1 / 24),
    notAfter: addDays(now, 30),
  };
  const [untrusted, selfSigned] = await Promise.all([
    mintCertificate(craftedOptions('untrustedCa', valid, now, pki.badClients.untrustedCaIssuer)),
    mintCertificate(craftedOptions('selfSigned', valid, now)),
  ]);
  const served = (chainPem: string, keyPem: string): ServedCredential => ({ chainPem, keyPem });
  return {
    valid: served(pki.server.chainPem, pki.server.keyPem),
    'untrusted-ca': served(untrusted.certPem, untrusted.keyPem),
    'wrong-san': served(pki.badServers.wrongSan.chainPem, pki.badServers.wrongSan.keyPem),
    expired: served(pki.badServers.expired.chainPem, pki.badServers.expired.keyPem),
    'self-signed': served(selfSigned.certPem, selfSigned.keyPem),
    'incomplete-chain': served(pki.badServers.incompleteChain.certPem, pki.badServers.incompleteChain.keyPem),
  };
}

/** Files the client is given: trust anchors, its certificate, its key (0600), in a private temp dir. */
export interface ClientFiles {
  dir: string;
  ca: string;
  cert: string;
  key: string;
}

/** Writes the client's files into a new 0700 temp dir (the key 0600, never overwriting). Remove with `removeClientFiles`. */
export async function writeClientFiles(pki: FixturePki): Promise<ClientFiles> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-client-test-'));
  await fs.chmod(dir, 0o700);
  const files: ClientFiles = { dir, ca: path.join(dir, 'ca.pem'), cert: path.join(dir, 'client.pem'), key: path.join(dir, 'client-key.pem') };
  await fs.writeFile(files.ca, pki.root.certPem, { mode: 0o644, flag: 'wx' });
  await fs.writeFile(files.cert, pki.client.chainPem, { mode: 0o644, flag: 'wx' });
  await fs.writeFile(files.key, pki.client.keyPem, { mode: 0o600, flag: 'wx' });
  return files;
}

export async function removeClientFiles(files: ClientFiles): Promise<void> {
  await fs.rm(files.dir, { recursive: true, force: true });
}

/** Placeholders for a server on 127.0.0.1:port that the client must reach as `servername`. */
export function placeholdersFor(files: { ca: string; cert: string; key: string }, host: string, port: number, servername: string): Placeholders {
  return {
    host,
    port: String(port),
    url: urlFor(servername, port),
    ca: files.ca,
    cert: files.cert,
    key: files.key,
    servername,
    resolve: `${servername.includes(':') ? `[${servername}]` : servername}:${port}:${host}`,
  };
}

/** How long the observer waits after the command exits for its connections to close (their last events). */
const SETTLE_MS = 1000;

/**
 * Runs the client once against an observing server presenting `served`, and returns what the
 * command did and what the server saw. The server asks for a client certificate when `clientCaPem` is given.
 */
export async function runAgainstServer(
  spec: ClientSpec,
  served: ServedCredential,
  files: { ca: string; cert: string; key: string },
  servername: string,
  clientCaPem?: string,
  reference: ObserverImplementation = 'node',
  onInterrupt?: ClientRunHooks['onInterrupt'],
): Promise<ClientRun> {
  const opts = { certChainPem: served.chainPem, keyPem: served.keyPem, ...(clientCaPem ? { clientCaPem } : {}) };
  const server: StartedObserver = reference === 'nginx' ? await new NginxObserver(opts).start() : await new ObservingServer(opts).start();
  // Ctrl-C: an nginx observer is a child process and must not outlive the harness.
  const unregister = onInterrupt?.(() => server.stop());
  try {
    const command = await runClientCommand(spec, placeholdersFor(files, server.host, server.port, servername), onInterrupt);
    await server.settle(SETTLE_MS);
    return { command, observation: server.observation(), endpoint: { host: server.host, port: server.port } };
  } finally {
    unregister?.();
    await server.stop();
  }
}

/**
 * `p`, or undefined once `signal` aborts (Ctrl-C): the run being awaited is then abandoned (its
 * client is killed by its own Ctrl-C hook) and never judged.
 */
export async function untilInterrupted<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T | undefined> {
  if (!signal) return p;
  p.catch(() => undefined);
  if (signal.aborted) return undefined;
  let onAbort = () => undefined as void;
  const stopped = new Promise<undefined>((resolve) => {
    onAbort = () => resolve(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const r = await Promise.race([p, stopped]);
    return signal.aborted ? undefined : r;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/** What every client-test run takes besides its clients: the PKI, the clock and the hooks. */
export interface ClientRunHooks {
  /** The fixture PKI: the CA and client credentials the client is given (minted when absent). */
  pki?: FixturePki;
  clock?: Clock;
  /** Registers a cleanup for Ctrl-C (temp files); returns an unregister function. */
  onInterrupt?: (fn: () => Promise<void>) => () => void;
  /** Called as each result is known. */
  onResult?: (r: Result) => void;
  /** Aborting (Ctrl-C) ends the run at once: finished results are kept, the rest are `error` "not finished", the report is marked incomplete. */
  signal?: AbortSignal;
}

export interface ClientConformanceOptions extends ClientRunHooks {
  clients: ClientSpec[];
  /** Only these check ids (default: all of the client-conformance suite, suites/client-conformance.ts). */
  checkIds?: string[];
  /** The reference server that observes the client (default node). */
  reference?: ObserverImplementation;
}

/** A RunReport from results gathered since `startedAt` (wall clock) / `t0` (performance clock). */
export function clientRunReport(startedAt: Date, t0: number, clock: Clock, targets: TargetReport[], results: Result[]): RunReport {
  return {
    startedAt: startedAt.toISOString(),
    finishedAt: clock().toISOString(),
    durationMs: Math.round(performance.now() - t0),
    targets,
    results,
    summary: summarize(results),
  };
}

/**
 * The client-conformance suite: for each client, the valid server first (client.presents-cert, and
 * the baseline every rejects-* verdict needs), then one reference server per selected check. The
 * clients run one after another, each check on its own server and port.
 */
export async function runClientConformance(o: ClientConformanceOptions): Promise<RunReport> {
  const clock = o.clock ?? systemClock;
  const startedAt = clock();
  const t0 = performance.now();
  const pki = o.pki ?? (await mintFixturePki({ clock }));
  const servers = await clientTestServers(pki, clock);
  const selected = CLIENT_CHECKS.filter((c) => !o.checkIds?.length || o.checkIds.includes(c.id));
  const results: Result[] = [];
  const targets: TargetReport[] = [];
  const signal = o.signal;
  const push = (r: Result) => {
    results.push(r);
    o.onResult?.(r);
  };
  // Unique in the report (core/target-id.ts): the client's name, then #2, #3… should two share it.
  const clientIds = targetIds(o.clients.map((c) => c.name));
  const ids = new Map(o.clients.map((spec, i) => [spec, clientIds[i]!]));
  const base = (spec: ClientSpec, check: ClientCheck) => ({
    targetId: ids.get(spec)!,
    target: spec.name,
    suite: CLIENT_SUITE_ID,
    check: check.id,
    title: check.title,
  });
  const untilInterrupt = <T>(p: Promise<T>) => untilInterrupted(p, signal);
  for (const spec of o.clients) {
    targets.push(clientTargetReport(spec, o.reference ?? 'node', ids.get(spec)!));
    if (signal?.aborted) {
      for (const check of selected) push(notFinishedResult(base(spec, check), signal));
      continue;
    }
    const files = await writeClientFiles(pki);
    const unregister = o.onInterrupt?.(() => removeClientFiles(files));
    try {
      const runOf = (check: ClientCheck) =>
        untilInterrupt(runAgainstServer(spec, servers[check.profile], files, 'localhost', pki.root.certPem, o.reference ?? 'node', o.onInterrupt));
      const tb = performance.now();
      const baseline = await runOf(CLIENT_CHECKS[0]!);
      const baselineMs = Math.round(performance.now() - tb);
      for (const check of selected) {
        const t1 = performance.now();
        const run = baseline && check.profile !== 'valid' ? await runOf(check) : undefined;
        const ms = check.profile === 'valid' ? baselineMs : Math.round(performance.now() - t1);
        if (!baseline || (check.profile !== 'valid' && !run)) {
          push(notFinishedResult(base(spec, check), signal!, ms));
          continue;
        }
        const verdict: CheckVerdict = check.run({ run: check.profile === 'valid' ? baseline : run!, baseline });
        push({
          ...base(spec, check),
          status: verdict.status,
          message: verdict.message,
          ...(verdict.remediation ? { remediation: verdict.remediation } : {}),
          evidence: verdict.evidence ?? {},
          durationMs: ms,
        });
      }
    } finally {
      unregister?.();
      await removeClientFiles(files);
    }
  }
  const report = clientRunReport(startedAt, t0, clock, targets, results);
  markIncomplete(report, signal, o.clients.length);
  return report;
}

/** A client as a report target: its id (its name when it is the report's only client), its name and its command line (with placeholders, as configured). */
export function clientTargetReport(spec: ClientSpec, reference: ObserverImplementation, id = spec.name): TargetReport {
  return {
    id,
    name: spec.name,
    endpoint: Array.isArray(spec.command) ? redactArgv(spec.command).join(' ') : redactArgv([spec.command])[0]!,
    kind: 'client',
    reference: { implementation: reference, profile: 'client-test' },
  };
}
