// npm run bench (protocols): the time of a whole catalogue against each reference server that speaks
// a protocol other than HTTPS (the databases and brokers of docs/protocols.md), `run --reference NAME
// --profile strict`, CLI start, PKI minting and server start included: min/median/max of N runs.
// Beside it, where testssl.sh (Debian testssl.sh, binary `testssl`) speaks the protocol's STARTTLS
// (`--starttls postgres`, `mysql`, `smtp`, `imap`, `pop3`, `ldap`) or the port is TLS at connect,
// testssl.sh's protocols-only run (-p) and its default run against the same reference, started once.
// Results go to stdout and reports/bench/protocols.json.
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findTestssl, runBench, stats, timed, writeBenchJson } from './bench-util.js';
import { mintFixturePki } from '../src/pki/generate.js';
import { REFERENCES } from '../src/targets/reference/index.js';
import { startReference } from '../src/targets/reference/start.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const TESTSSL_FULL = process.env.BENCH_TESTSSL_FULL !== '0';
const here = path.dirname(fileURLToPath(import.meta.url));
const cliJs = path.resolve(here, '../src/cli/main.js');

/** testssl.sh's name for a protocol's STARTTLS; `null`: TLS at connect (no --starttls). */
const TESTSSL_STARTTLS: Record<string, string | null> = {
  postgres: 'postgres',
  mysql: 'mysql',
  smtp: 'smtp',
  imap: 'imap',
  pop3: 'pop3',
  ldap: 'ldap',
  redis: null,
  mqtt: null,
  amqp: null,
};

async function main(): Promise<void> {
  const testssl = findTestssl();
  const result: Record<string, unknown> = { date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, runs: RUNS, references: {} };
  const lines: string[] = [];
  for (const [name, ref] of Object.entries(REFERENCES)) {
    if (ref.protocol === 'https' || ref.protocol === 'grpc' || ref.runs !== 'process') continue;
    const runs: number[] = [];
    const codes = new Set<number>();
    let checks = 0;
    for (let i = 0; i < RUNS; i++) {
      const r = await timed(process.execPath, [cliJs, 'run', '--reference', name, '--profile', 'strict', '--json', '-', '--quiet']);
      runs.push(r.ms);
      codes.add(r.code);
      try {
        checks = (JSON.parse(r.stdout) as { results: unknown[] }).results.length;
      } catch {
        /* counted as 0 */
      }
    }
    const entry: Record<string, unknown> = {
      protocol: ref.protocol,
      catalogue: {
        ...stats(runs),
        exitCodes: [...codes],
        results: checks,
        what: `run --reference ${name} --profile strict (PKI, server start and CLI start included)`,
      },
    };
    lines.push(
      `${name} (${ref.protocol}), whole catalogue, ${checks} results: min ${stats(runs).minMs} / median ${stats(runs).medianMs} / max ${stats(runs).maxMs} ms (${RUNS} runs)`,
    );
    const starttls = TESTSSL_STARTTLS[ref.protocol];
    if (testssl && starttls !== undefined) {
      const started = await startReference({ implementation: name, profile: 'strict', pki: await mintFixturePki() });
      try {
        const base = ['--quiet', '--color', '0', '--warnings', 'off', '--connect-timeout', '5', '--openssl-timeout', '5', '--sneaky', '--ip', '127.0.0.1'];
        const st = starttls ? ['--starttls', starttls] : [];
        const target = `localhost:${started.endpoint.port}`;
        const p = await timed(testssl, ['-p', ...base, ...st, target]);
        const t: Record<string, unknown> = { flags: [...st, '-p'].join(' '), protocolsOnlyMs: Math.round(p.ms), exit: p.code };
        let line = `  testssl.sh ${st.join(' ')} -p: ${Math.round(p.ms)} ms`;
        if (TESTSSL_FULL) {
          const full = await timed(testssl, [...base, ...st, target]);
          t.defaultRunMs = Math.round(full.ms);
          line += `; default run: ${Math.round(full.ms)} ms (${(full.ms / stats(runs).medianMs).toFixed(1)}× our median)`;
        }
        entry.testssl = t;
        lines.push(line);
      } finally {
        await started.stop();
      }
    }
    (result.references as Record<string, unknown>)[name] = entry;
  }
  if (!testssl) lines.push('testssl.sh not installed (apt-get install testssl.sh): comparison skipped');
  const written = writeBenchJson('protocols', result);
  console.log(lines.join('\n'));
  console.log(`Written: ${written}`);
}

runBench(main);
