// Shared helpers of the benchmark scripts.
import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Stats {
  runs: number;
  minMs: number;
  medianMs: number;
  p95Ms: number;
  maxMs: number;
}

/** min / median / p95 / max of a sample, in ms rounded to 0.1. */
export function stats(xs: number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  const r = (v: number) => Math.round(v * 10) / 10;
  const med = s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  const p95 = s[Math.min(s.length - 1, Math.ceil(0.95 * s.length) - 1)]!;
  return { runs: s.length, minMs: r(s[0]!), medianMs: r(med), p95Ms: r(p95), maxMs: r(s[s.length - 1]!) };
}

/** Writes reports/bench/<name>.json and returns its path. */
export function writeBenchJson(name: string, result: unknown): string {
  const out = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../reports/bench');
  mkdirSync(out, { recursive: true });
  const file = path.join(out, `${name}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  return file;
}

/** Runs a benchmark's main, turning a failure into one line and exit 1. */
export function runBench(main: () => Promise<void>): void {
  main().catch((e) => {
    console.error(`bench failed: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
}

/** Runs a command to completion (or its timeout) and times it, CLI start included; never rejects. */
export function timed(cmd: string, args: string[], timeoutMs = 600_000): Promise<{ ms: number; code: number; stdout: string }> {
  const t0 = performance.now();
  return new Promise((resolve) =>
    execFile(cmd, args, { env: { ...process.env, NO_COLOR: '1' }, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout) =>
      resolve({ ms: performance.now() - t0, code: err ? Number(err.code ?? -1) : 0, stdout }),
    ),
  );
}

/** testssl.sh's path (Debian's binary is `testssl`), when installed. */
export function findTestssl(): string | undefined {
  for (const bin of ['testssl', 'testssl.sh']) {
    const r = spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' });
    if (r.status === 0) return r.stdout.trim();
  }
  return undefined;
}
