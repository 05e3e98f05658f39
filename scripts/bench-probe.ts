// npm run bench: how long a probe takes, measured (never asserted in tests).
//  1. `mtls-harness probe` CLI wall time, process start included, against the node reference
//     (profile strict) on 127.0.0.1: N runs, one after another.
//  2. probeEndpoint() alone (one connection, no cert), in process.
//  3. Minting the fixture PKI (all valid and crafted certificates), ECDSA P-256.
// Results go to stdout and reports/bench/probe.json.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { runBench, stats, writeBenchJson } from './bench-util.js';
import { mintFixturePki } from '../src/pki/generate.js';
import { probeEndpoint } from '../src/probe/tls-probe.js';
import { NodeReference } from '../src/targets/reference/node.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const here = path.dirname(fileURLToPath(import.meta.url));
const cliJs = path.resolve(here, '../src/cli/main.js');

function runCli(args: string[]): Promise<{ ms: number; code: number; stdout: string }> {
  const t0 = performance.now();
  return new Promise((resolve) =>
    execFile(process.execPath, [cliJs, ...args], { env: { ...process.env, NO_COLOR: '1' } }, (err, stdout) =>
      resolve({ ms: performance.now() - t0, code: err ? Number(err.code ?? -1) : 0, stdout }),
    ),
  );
}

async function main(): Promise<void> {
  const mintTimes: number[] = [];
  for (let i = 0; i < Math.min(RUNS, 10); i++) {
    const t0 = performance.now();
    await mintFixturePki();
    mintTimes.push(performance.now() - t0);
  }
  const pki = await mintFixturePki();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mtls-bench-'));
  const ref = await new NodeReference({ profile: 'strict', pki }).start();
  try {
    writeFileSync(path.join(dir, 'ca.pem'), pki.root.certPem);
    writeFileSync(path.join(dir, 'client.pem'), pki.client.certPem);
    writeFileSync(path.join(dir, 'client-key.pem'), pki.client.keyPem, { mode: 0o600 });
    const target = `127.0.0.1:${ref.endpoint.port}`;
    const args = [
      'probe',
      target,
      '--servername',
      'localhost',
      '--ca',
      path.join(dir, 'ca.pem'),
      '--cert',
      path.join(dir, 'client.pem'),
      '--key',
      path.join(dir, 'client-key.pem'),
      '--json',
    ];

    await runCli(args); // warm the file cache; not counted
    const cliTimes: number[] = [];
    const verdicts = new Map<string, number>();
    for (let i = 0; i < RUNS; i++) {
      const r = await runCli(args);
      cliTimes.push(r.ms);
      const d = JSON.parse(r.stdout).diagnosis;
      const key = `exit ${r.code}, mode ${d.clientAuth.mode}, no-cert ${d.withoutCert.rejectedAt}${d.withoutCert.alert ? ` alert ${d.withoutCert.alert.code}` : ''}, with-cert ${d.withCert.rejectedAt}`;
      verdicts.set(key, (verdicts.get(key) ?? 0) + 1);
    }

    const probeTimes: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      await probeEndpoint({ host: '127.0.0.1', port: ref.endpoint.port, servername: 'localhost', ca: pki.root.certPem });
      probeTimes.push(performance.now() - t0);
    }

    const result = {
      date: new Date().toISOString(),
      node: process.version,
      cpus: os.cpus().length,
      target: `node reference, profile strict, TLS 1.3, ${target}`,
      cliProbe: {
        ...stats(cliTimes),
        what: 'mtls-harness probe --json with a client cert: process start, 2 concurrent connections (with and without cert), diagnosis',
      },
      verdicts: Object.fromEntries(verdicts),
      libraryProbe: { ...stats(probeTimes), what: 'probeEndpoint() without a cert: connect, TLS 1.3 handshake, HTTP request, rejection read' },
      mintFixturePki: { ...stats(mintTimes), what: 'root, intermediate, server, client, 8 bad clients, 4 bad servers (ECDSA P-256)' },
    };
    const written = writeBenchJson('probe', result);
    const line = (name: string, s: ReturnType<typeof stats>) =>
      `${name.padEnd(34)} median ${String(s.medianMs).padStart(7)} ms   p95 ${String(s.p95Ms).padStart(7)} ms   min ${s.minMs} / max ${s.maxMs} (${s.runs} runs)`;
    console.log(`mtls-harness bench (${result.node}, ${result.cpus} CPUs) against ${result.target}`);
    console.log(line('CLI probe (wall, process incl.)', result.cliProbe));
    console.log(line('probeEndpoint() one connection', result.libraryProbe));
    console.log(line('mintFixturePki()', result.mintFixturePki));
    console.log(`Stability: ${[...verdicts].map(([k, n]) => `${n}/${RUNS} "${k}"`).join('; ')}`);
    console.log(`Written: ${written}`);
  } finally {
    await ref.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

runBench(main);
