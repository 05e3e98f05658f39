import { promises as fs, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { HarnessError } from '../core/errors.js';
import { fixturePath } from '../io/fixtures.js';
import { systemClock, type Clock } from '../core/clock.js';
import { mintFixturePki } from '../pki/generate.js';
import type { CheckVerdict, Result, RunReport } from '../core/model.js';
import { safeText } from '../core/text.js';
import type { ClientSpec } from './command.js';
import { accepted, describeRefusal, runEvidence, type ClientRun } from './checks.js';
import { clientRunReport, clientTargetReport, removeClientFiles, runAgainstServer, untilInterrupted, writeClientFiles, type ClientRunHooks } from './run.js';
import { notFinishedResult } from '../runner/run.js';

/** One x509-limbo testcase (fields the harness reads; limbo-schema.json `$defs/Testcase`). */
export interface LimboCase {
  id: string;
  description: string;
  features?: string[];
  importance?: string;
  conflicts_with?: string[];
  validation_kind: 'SERVER' | 'CLIENT';
  trusted_certs: string[];
  untrusted_intermediates: string[];
  peer_certificate: string;
  peer_certificate_key?: string | null;
  validation_time?: string | null;
  signature_algorithms?: string[];
  key_usage?: string[];
  extended_key_usage?: string[];
  expected_result: 'SUCCESS' | 'FAILURE';
  expected_peer_name?: { kind: string; value: string } | null;
  expected_peer_names?: unknown[];
  max_chain_depth?: number | null;
  crls?: string[];
}

export const LIMBO_SUITE_ID = 'x509-limbo';

/** The corpora `client-test --corpus` knows. */
export const CORPORA = ['limbo'] as const;

/** Reads the x509-limbo corpus (default: the copy in fixtures/x509-limbo, see its PROVENANCE.md). */
export function loadLimbo(file: string = fixturePath('x509-limbo', 'limbo.json')): LimboCase[] {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new HarnessError('config.invalid', `cannot read the x509-limbo corpus ${file}: ${safeText((e as Error).message.split('\n')[0] ?? '', 200)}`);
  }
  const cases = (data as { testcases?: unknown }).testcases;
  if (!Array.isArray(cases)) throw new HarnessError('config.invalid', `${file} is not an x509-limbo corpus (no "testcases" list)`);
  return cases as LimboCase[];
}

/**
 * The cases a TLS server can stage: SERVER validation, the peer's private key present (the server
 * must hold it), and no `validation_time` (a client validates at its own "now"; the corpus's
 * undated certificates are valid 1970–2969).
 */
export function stageableLimboCases(cases: LimboCase[]): LimboCase[] {
  return cases.filter((c) => c.validation_kind === 'SERVER' && !!c.peer_certificate_key && !c.validation_time);
}

/** Why a stageable case still cannot be set up for a command-line client, or undefined when it can. */
export function limboSkipReason(c: LimboCase): string | undefined {
  const name = c.expected_peer_name;
  if (!name) return 'the case names no expected peer (expected_peer_name is empty): a TLS client always verifies some name';
  if (name.kind !== 'DNS' && name.kind !== 'IP') return `the expected peer name is of kind ${name.kind}: a TLS client verifies DNS names and IP addresses only`;
  if (c.max_chain_depth !== null && c.max_chain_depth !== undefined)
    return `the case sets max_chain_depth ${c.max_chain_depth}: a client cannot be told a maximum chain depth through {placeholders}`;
  if (c.key_usage?.length) return `the case requires key usages (${c.key_usage.join(', ')}) the client cannot be told`;
  if (c.signature_algorithms?.length) return 'the case restricts signature algorithms, which the client cannot be told';
  if (c.crls?.length) return 'the case supplies CRLs, which the client cannot be given through {placeholders}';
  const eku = c.extended_key_usage ?? [];
  if (eku.some((e) => e !== 'serverAuth')) return `the case requires EKUs (${eku.join(', ')}) other than the serverAuth a TLS client checks`;
  return undefined;
}

/**
 * The corpus names servers such as example.com and 8.8.8.8: a client that dialled them would leave
 * the machine. The command must therefore route the name to the reference server, which it can
 * only do if it uses {host} (curl: `--connect-to ::{host}:{port}`). Usage error (exit 2) otherwise.
 */
export function checkLimboRouting(spec: ClientSpec): void {
  const parts = [...(Array.isArray(spec.command) ? spec.command : [spec.command]), ...Object.values(spec.env ?? {})];
  if (!parts.some((p) => p.includes('{host}'))) {
    throw new HarnessError(
      'usage.invalid-value',
      `client ${safeText(spec.name, 100)}: with --corpus limbo the command must connect to {host}:{port} whatever the name it verifies (the cases name hosts such as example.com and 8.8.8.8; curl: --connect-to ::{host}:{port} {url})`,
    );
  }
}

/** Filters case ids with a glob (`*` any run of characters), e.g. `webpki::san::*`. */
export function matchCaseIds(cases: LimboCase[], patterns: string[] | undefined): LimboCase[] {
  if (!patterns?.length) return cases;
  const res = patterns.map(
    (p) =>
      new RegExp(
        `^${p
          .split('*')
          .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
          .join('.*')}$`,
      ),
  );
  return cases.filter((c) => res.some((re) => re.test(c.id)));
}

/** Agreement figures of one client over a corpus run. */
export interface LimboFigures {
  agree: number;
  disagree: number;
  skip: number;
  error: number;
  total: number;
}

export function limboFigures(results: Result[]): LimboFigures {
  const f: LimboFigures = { agree: 0, disagree: 0, skip: 0, error: 0, total: 0 };
  for (const r of results) {
    if (r.suite !== LIMBO_SUITE_ID) continue;
    f.total++;
    if (r.status === 'pass') f.agree++;
    else if (r.status === 'fail') f.disagree++;
    else if (r.status === 'skip') f.skip++;
    else f.error++;
  }
  return f;
}

/** "x509-limbo curl: 120 agree, 20 disagree, 18 skip, 2 error of 160 cases (86% of the 140 judged)". */
export function limboSummaryLine(name: string, f: LimboFigures): string {
  const judged = f.agree + f.disagree;
  const pct = judged > 0 ? ` (${Math.round((100 * f.agree) / judged)}% of the ${judged} judged)` : '';
  return `x509-limbo ${safeText(name, 120)}: ${f.agree} agree, ${f.disagree} disagree, ${f.skip} skip, ${f.error} error of ${f.total} cases${pct}`;
}

/** Judges one case from the client's run: agreement is `pass`, disagreement `fail`. */
export function judgeLimboCase(c: LimboCase, run: ClientRun): CheckVerdict {
  const o = run.observation;
  const cmd = run.command;
  const evidence = { ...caseEvidence(c), ...runEvidence(run) };
  if (cmd.spawnError) return { status: 'error', message: `the client command could not be started: ${cmd.spawnError}`, evidence };
  const connected = accepted(run);
  if (!connected && o.serverSideFailure) {
    return {
      status: 'skip',
      message: `node's TLS server could not complete a handshake with this case's certificate and key (${o.serverSideFailure.code}): no verdict of the client`,
      evidence,
    };
  }
  if (!o.reached)
    return {
      status: 'error',
      message: `the client never connected to the reference server at ${evidence.server}; route {servername} to {host}:{port} (curl: --connect-to ::{host}:{port})`,
      evidence,
    };
  if (!connected && cmd.timedOut) return { status: 'error', message: `the client did not finish within ${cmd.limitMs / 1000} s and was stopped`, evidence };
  const got = connected ? 'SUCCESS' : 'FAILURE';
  const what = connected
    ? o.requests[0]
      ? `connected and sent ${o.requests[0].method} ${o.requests[0].path}`
      : o.dataArrived
        ? 'connected and sent data'
        : 'completed the handshake and exited 0'
    : `${describeRefusal(o)} (${cmd.exitCode !== undefined ? `exit ${cmd.exitCode}` : 'no exit code'})`;
  const first = safeText(c.description.replace(/\s+/g, ' ').trim(), 160);
  return {
    status: got === c.expected_result ? 'pass' : 'fail',
    message: `${got === c.expected_result ? 'agrees' : 'disagrees'}: expected ${c.expected_result === 'SUCCESS' ? 'a connection' : 'a refusal'}, the client ${what} — ${first}`,
    evidence,
  };
}

function caseEvidence(c: LimboCase): Record<string, unknown> {
  return {
    caseId: c.id,
    description: safeText(c.description.replace(/\s+/g, ' ').trim(), 1500),
    expectedResult: c.expected_result,
    ...(c.expected_peer_name ? { expectedPeerName: `${c.expected_peer_name.kind}:${safeText(c.expected_peer_name.value, 200)}` } : {}),
    ...(c.features?.length ? { features: c.features } : {}),
    ...(c.conflicts_with?.length ? { conflictsWith: c.conflicts_with } : {}),
    ...(c.importance ? { importance: c.importance } : {}),
  };
}

export interface LimboRunOptions extends ClientRunHooks {
  client: ClientSpec;
  /** The cases to run (already selected); unstageable ones come out as `skip` with the reason. */
  cases: LimboCase[];
  /** Cases in flight at once (default 4). */
  concurrency?: number;
}

/**
 * Runs the corpus against one client: per case, a node TLS server on 127.0.0.1 presents
 * `peer_certificate` + `untrusted_intermediates` with the peer's key, the client trusts
 * `trusted_certs` ({ca}) and connects as `expected_peer_name` ({servername}, {url}); its verdict
 * (connected or refused) is compared with `expected_result`. Results keep the corpus order.
 */
export async function runLimbo(o: LimboRunOptions): Promise<RunReport> {
  const clock = o.clock ?? systemClock;
  const startedAt = clock();
  const t0 = performance.now();
  checkLimboRouting(o.client);
  const pki = o.pki ?? (await mintFixturePki({ clock }));
  const files = await writeClientFiles(pki);
  const unregister = o.onInterrupt?.(() => removeClientFiles(files));
  const results: Result[] = new Array(o.cases.length);
  try {
    let next = 0;
    const worker = async () => {
      while (next < o.cases.length) {
        const i = next++;
        const c = o.cases[i]!;
        const t1 = performance.now();
        const base = { targetId: o.client.name, target: o.client.name, suite: LIMBO_SUITE_ID, check: `limbo.${c.id}`, title: c.id };
        // Ctrl-C: the case running ends at once and is not judged; the rest never start.
        const verdict = await untilInterrupted(runCase(o.client, c, files, i, o.onInterrupt), o.signal);
        const r: Result = verdict
          ? { ...base, status: verdict.status, message: verdict.message, evidence: verdict.evidence ?? {}, durationMs: Math.round(performance.now() - t1) }
          : notFinishedResult(base, o.signal!, Math.round(performance.now() - t1));
        results[i] = r;
        o.onResult?.(r);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(o.concurrency ?? 4, 32)) }, worker));
  } finally {
    unregister?.();
    await removeClientFiles(files);
  }
  return clientRunReport(startedAt, t0, clock, [clientTargetReport(o.client, 'node')], results);
}

async function runCase(
  client: ClientSpec,
  c: LimboCase,
  files: { dir: string; cert: string; key: string },
  i: number,
  onInterrupt?: ClientRunHooks['onInterrupt'],
): Promise<CheckVerdict> {
  const skip = !c.peer_certificate_key
    ? 'the case carries no peer private key: a TLS server cannot present its certificate'
    : c.validation_kind !== 'SERVER'
      ? 'a CLIENT validation case: the harness stages server certificates only'
      : c.validation_time
        ? `the case validates at ${c.validation_time}, and the client validates at its own current time`
        : limboSkipReason(c);
  if (skip) return { status: 'skip', message: `not staged: ${skip}`, evidence: caseEvidence(c) };
  const ca = path.join(files.dir, `limbo-trust-${i}.pem`);
  await fs.writeFile(ca, c.trusted_certs.join(''), { mode: 0o644 });
  try {
    const served = { chainPem: [c.peer_certificate, ...c.untrusted_intermediates].join(''), keyPem: c.peer_certificate_key! };
    const run = await runAgainstServer(client, served, { ca, cert: files.cert, key: files.key }, c.expected_peer_name!.value, undefined, 'node', onInterrupt);
    return judgeLimboCase(c, run);
  } catch (e) {
    if ((e as { code?: string }).code === 'target.start-failed')
      return { status: 'skip', message: `not staged: ${(e as Error).message}`, evidence: caseEvidence(c) };
    throw e;
  } finally {
    await fs.rm(ca, { force: true });
  }
}
