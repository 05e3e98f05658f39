// Waivers on `k8s scan` (docs/waivers.md): the same flag, the same one place they apply. The fake
// API server serves the recorded namespace objects; the k8s-audit suite judges them (no probes).
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/run.js';
import { startFakeKube, type FakeKube } from './helpers/fake-kube.js';
import { mintK8sPki } from './helpers/k8s-fixtures.js';

let kube: FakeKube;
let tmp: string;

async function cli(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: { NO_COLOR: '1', HOME: tmp, KUBECONFIG: kube.kubeconfig },
  });
  return { code, stdout, stderr };
}

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-waivers-k8s-'));
  kube = await startFakeKube({ pems: (await mintK8sPki()).pems });
});
afterAll(async () => {
  await kube?.stop();
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

describe('k8s scan --waivers', () => {
  it("baseline of a scan's findings, reasons written: the same scan passes, every finding kept as found", async () => {
    const args = ['k8s', 'scan', '-n', 'nova', '--suite', 'k8s-audit'];
    const report = path.join(tmp, 'scan.json');
    const first = await cli([...args, '--json', report]);
    expect(first.code, first.stderr).toBe(1);
    const found = (JSON.parse(await fs.readFile(report, 'utf8')) as { results: { status: string }[] }).results.filter((r) =>
      ['fail', 'warn', 'error'].includes(r.status),
    );
    expect(found.length).toBeGreaterThan(1);

    const base = await cli(['baseline', report]);
    expect(base.code, base.stderr).toBe(0);
    const file = path.join(tmp, 'w.yaml');
    // Accept all but the first finding: it alone still fails the scan.
    const [head, first_, ...rest] = base.stdout.split(/(?=  # (?:FAIL|WARN|ERROR): )/);
    const fill = (s: string) => s.replace(/reason: ""/g, 'reason: "tracked in SEC-9"').replace(/owner: ""/g, 'owner: "k8s-team"');
    await fs.writeFile(file, head! + fill(rest.join('')));
    const partly = await cli([...args, '--waivers', file, '--json', path.join(tmp, 'partly.json')]);
    expect(partly.code, partly.stderr).toBe(1);

    await fs.writeFile(file, head! + fill(first_! + rest.join('')));
    const all = await cli([...args, '--waivers', file, '--json', path.join(tmp, 'all.json')]);
    expect(all.code, all.stderr).toBe(0);
    const j = JSON.parse(await fs.readFile(path.join(tmp, 'all.json'), 'utf8')) as {
      results: { status: string; waiver?: unknown }[];
      summary: Record<string, number>;
      waivers: { applied: number; unused: unknown[] };
    };
    expect(j.results.filter((r) => r.waiver).map((r) => r.status)).toEqual(found.map((r) => r.status));
    expect(j.summary.waived).toBe(found.length);
    expect(j.waivers).toMatchObject({ applied: found.length, unused: [] });
  });
});
