// `k8s scan --baseline`: the same diff as `run --baseline`, on a cluster scan. The fake API server
// forwards gufo's gateway to a real node reference in strict, then (the regression) to one in
// optional-client-cert; the second scan, given the first's report as baseline, lists
// reject.no-client-cert as new on the Service's target (paired by id) and exits 1 under --fail-on new.
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunDiff } from '../src/core/diff.js';
import { startReference } from '../src/targets/reference/start.js';
import type { StartedReference } from '../src/targets/target.js';
import { runInProcess } from './helpers/cli.js';
import { startFakeKube, type FakeKube } from './helpers/fake-kube.js';
import { mintK8sPki } from './helpers/k8s-fixtures.js';

const POD = 'gufo/gufo-gateway-7d9f6c5b8-k2x9p:8443';
const GW = 'service/gufo/gufo-gateway:443';
let tmp: string;
let kube: FakeKube;
const refs: StartedReference[] = [];

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-diff-k8s-'));
  const pki = await mintK8sPki();
  refs.push(await startReference({ implementation: 'node', profile: 'strict', pki: pki.gufo }));
  refs.push(await startReference({ implementation: 'node', profile: 'optional-client-cert', pki: pki.gufo }));
  kube = await startFakeKube({ pems: pki.pems, forwards: { [POD]: refs[0]!.endpoint } });
}, 60_000);
afterAll(async () => {
  await kube?.stop();
  for (const r of refs) await r.stop();
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

it('k8s scan --baseline: a gateway switched from strict to optional is a new finding; --fail-on new exits 1', { timeout: 120_000 }, async () => {
  const env = { KUBECONFIG: kube.kubeconfig, HOME: tmp };
  const args = ['k8s', 'scan', '-n', 'gufo', '--secret', 'gufo-mtls', '--check', 'reject.*', '--check', 'handshake.*'];
  const first = await runInProcess([...args, '--json', path.join(tmp, 'before.json'), '--quiet'], env);
  expect(first.code, first.stderr).toBe(0);

  kube.forwards[POD] = refs[1]!.endpoint;
  const second = await runInProcess(
    [...args, '--baseline', path.join(tmp, 'before.json'), '--fail-on', 'new', '--json', path.join(tmp, 'after.json'), '--quiet'],
    env,
  );
  expect(second.code, second.stderr).toBe(1);
  expect(second.stdout).toContain(`new: ${GW} reject.no-client-cert (pass → FAIL)`);
  const d = (JSON.parse(await fs.readFile(path.join(tmp, 'after.json'), 'utf8')) as { diff: RunDiff }).diff;
  expect(d.new.map((c) => `${c.targetId} ${c.check}`)).toContain(`${GW} reject.no-client-cert`);
  expect(d.pairings).toEqual([]);
  expect(d.targetsAdded).toEqual([]);
  expect(d.targetsRemoved).toEqual([]);
});
