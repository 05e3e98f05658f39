// npm run bench (second part): wall time of `mtls-harness run` with every server suite against a local
// strict reference, min/median/max of N runs, CLI start included; and, when testssl.sh is installed
// (Debian package testssl.sh, binary `testssl`), its `-p` and default runs against the same server.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findTestssl, runBench, stats, timed, writeBenchJson } from './bench-util.js';
import { mintFixturePki } from '../src/pki/generate.js';
import { NodeReference } from '../src/targets/reference/node.js';
import { suitesOfKind } from '../suites/index.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const here = path.dirname(fileURLToPath(import.meta.url));
const cliJs = path.resolve(here, '../src/cli/main.js');

async function main(): Promise<void> {
  const pki = await mintFixturePki();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mtls-bench-run-'));
  const ref = await new NodeReference({ profile: 'strict', pki }).start();
  try {
    const w = (n: string, s: string, mode = 0o644) => {
      writeFileSync(path.join(dir, n), s, { mode });
      return path.join(dir, n);
    };
    const target = `127.0.0.1:${ref.endpoint.port}`;
    const liveArgs = [
      'run',
      '--target',
      target,
      '--servername',
      'localhost',
      '--expected-name',
      '127.0.0.1',
      '--ca',
      w('ca.pem', pki.root.certPem),
      '--cert',
      w('client.pem', pki.client.certPem),
      '--key',
      w('client-key.pem', pki.client.keyPem, 0o600),
      '--ca-key',
      w('ca-key.pem', pki.root.keyPem, 0o600),
      '--json',
      path.join(dir, 'r.json'),
      '--quiet',
    ];
    await timed(process.execPath, [cliJs, ...liveArgs]); // warm-up, not counted
    const live: number[] = [];
    const codes = new Set<number>();
    for (let i = 0; i < RUNS; i++) {
      const r = await timed(process.execPath, [cliJs, ...liveArgs]);
      live.push(r.ms);
      codes.add(r.code);
    }
    const refRuns: number[] = [];
    for (let i = 0; i < RUNS; i++) refRuns.push((await timed(process.execPath, [cliJs, 'run', '--reference', 'node', '--profile', 'strict', '--quiet'])).ms);

    const result: Record<string, unknown> = {
      date: new Date().toISOString(),
      node: process.version,
      cpus: os.cpus().length,
      server: `node reference, profile strict, ${target}`,
      mtlsHarnessRunLive: {
        ...stats(live),
        exitCodes: [...codes],
        what: `mtls-harness run, every server suite (${suitesOfKind('server').flatMap((x) => x.checks).length} checks), live target + --ca-key, CLI start included`,
      },
      mtlsHarnessRunReference: { ...stats(refRuns), what: 'mtls-harness run --reference node --profile strict (mints the PKI and starts the server too)' },
    };
    const lines = [
      `mtls-harness run, all server suites vs ${target} (live, CLI start incl.): min ${stats(live).minMs} / median ${stats(live).medianMs} / max ${stats(live).maxMs} ms (${RUNS} runs)`,
      `mtls-harness run --reference node --profile strict:          min ${stats(refRuns).minMs} / median ${stats(refRuns).medianMs} / max ${stats(refRuns).maxMs} ms (${RUNS} runs)`,
    ];
    const testssl = findTestssl();
    if (testssl) {
      const base = [
        '--quiet',
        '--color',
        '0',
        '--warnings',
        'off',
        '--connect-timeout',
        '5',
        '--openssl-timeout',
        '5',
        '--sneaky',
        '--ip',
        '127.0.0.1',
        `localhost:${ref.endpoint.port}`,
      ];
      const tRuns = Math.min(RUNS, Number(process.env.BENCH_TESTSSL_RUNS ?? 3));
      const p: number[] = [];
      for (let i = 0; i < tRuns; i++) p.push((await timed(testssl, ['-p', ...base])).ms);
      const full = (await timed(testssl, base)).ms;
      const ratioP = stats(p).medianMs / stats(live).medianMs;
      const ratioFull = full / stats(live).medianMs;
      result.testssl = {
        binary: testssl,
        protocolsOnly: { ...stats(p), flags: '-p' },
        defaultRunMs: Math.round(full),
        ratioProtocolsOnly: Number(ratioP.toFixed(1)),
        ratioDefault: Number(ratioFull.toFixed(1)),
      };
      lines.push(`testssl.sh -p (protocols only):   median ${stats(p).medianMs} ms (${tRuns} runs) — ${ratioP.toFixed(1)}× our median`);
      lines.push(`testssl.sh default run:           ${Math.round(full)} ms (1 run) — ${ratioFull.toFixed(1)}× our median`);
    } else {
      lines.push('testssl.sh not installed (apt-get install testssl.sh): comparison skipped');
    }
    const written = writeBenchJson('run', result);
    console.log(lines.join('\n'));
    console.log(`Written: ${written}`);
  } finally {
    await ref.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

runBench(main);
