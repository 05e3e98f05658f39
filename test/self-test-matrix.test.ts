// The harness's self-test (CONFORMANCE.md "Reference profiles and expected verdicts"): `run` against
// the node reference in every profile it supports; the verdict of EVERY check must equal the table,
// all-pass rows included, five times over.
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/run.js';
import type { Status } from '../src/core/status.js';
import { PROFILES } from '../src/targets/profiles.js';
import { NODE_PROFILES } from '../src/targets/reference/node.js';
import { REFERENCES } from '../src/targets/reference/index.js';
import { GRPC_PROFILES } from '../src/targets/reference/grpc.js';
import { ALL_CHECKS, expectedVerdicts as expected, shortOfRate, TABLE } from './helpers/conformance.js';

const REPEAT = 5;
let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-matrix-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, env: { NO_COLOR: '1' } });
  return { code, stdout, stderr };
}

/** The rotation profiles take seconds each (they rotate for real): fewer repetitions. */
const ROTATION_REPEAT = Number(process.env.MTLS_MATRIX_REPEAT ?? 2);
const ALL_NODE_PROFILES = [...NODE_PROFILES, 'rotation-graceful', 'rotation-restart'];

it('the table covers every profile, node expresses all of them but revocation-ocsp (unsupported: node:tls has no client OCSP), and every check id exists', () => {
  expect(Object.keys(TABLE).sort()).toEqual([...PROFILES].sort());
  expect([...ALL_NODE_PROFILES].sort()).toEqual(PROFILES.filter((p) => p !== 'revocation-ocsp').sort());
  expect(REFERENCES.node!.unsupported('revocation-ocsp')).toMatch(/node:tls checks no client certificate by OCSP/);
  for (const devs of Object.values(TABLE)) for (const id of Object.keys(devs)) expect(ALL_CHECKS).toContain(id);
});

describe.each(ALL_NODE_PROFILES.map((p) => [p]))('profile %s', (profile) => {
  const times = profile.startsWith('rotation-') ? ROTATION_REPEAT : REPEAT;
  it(`every check's verdict equals the table, ${times} times`, async () => {
    const want = expected(profile, 'node');
    for (let i = 0; i < times; i++) {
      const out = path.join(dir, `${profile}-${i}.json`);
      // A rotation that warns only because the prober fell short of its rate (a loaded machine) proved
      // nothing either way: run again, up to twice (as test/reference-matrix.test.ts does).
      let r = await run(['run', '--reference', 'node', '--profile', profile, '--json', out]);
      let report = JSON.parse(await fs.readFile(out, 'utf8'));
      for (let again = 0; again < 2 && shortOfRate(report.results); again++) {
        r = await run(['run', '--reference', 'node', '--profile', profile, '--json', out]);
        report = JSON.parse(await fs.readFile(out, 'utf8'));
      }
      const got = Object.fromEntries(report.results.map((x: { check: string; status: Status }) => [x.check, x.status]));
      expect(got, `run ${i + 1} of ${profile}`).toEqual(want);
      const failing = Object.values(want).some((s) => s === 'fail' || s === 'error');
      expect(r.code, r.stderr).toBe(failing ? 1 : 0);
    }
  });
});

// The gRPC reference (grpc-js, Health/Check, protocol grpc): the client-auth profiles.
describe.each(GRPC_PROFILES.map((p) => [p]))('gRPC reference (node-grpc), profile %s', (profile) => {
  it(`every check's verdict equals the table, ${REPEAT} times, with the gRPC call as evidence`, async () => {
    const want = expected(profile, 'node-grpc');
    for (let i = 0; i < REPEAT; i++) {
      const out = path.join(dir, `grpc-${profile}-${i}.json`);
      const r = await run(['run', '--reference', 'node-grpc', '--profile', profile, '--json', out]);
      const report = JSON.parse(await fs.readFile(out, 'utf8')) as {
        results: { check: string; status: Status; evidence: { alpn?: string; grpc?: { codeName: string; servingStatus?: string }; rejectedAt?: string } }[];
      };
      const got = Object.fromEntries(report.results.map((x) => [x.check, x.status]));
      expect(got, `run ${i + 1} of ${profile}`).toEqual(want);
      const failing = Object.values(want).some((s) => s === 'fail' || s === 'error');
      expect(r.code, r.stderr).toBe(failing ? 1 : 0);
      // The valid client: ALPN h2 and a real Health/Check answered SERVING.
      const ok = report.results.find((x) => x.check === 'handshake.accepts-valid-client-cert')!.evidence;
      expect(ok).toMatchObject({ rejectedAt: 'accepted', alpn: 'h2', grpc: { codeName: 'OK', servingStatus: 'SERVING' } });
      const noCert = report.results.find((x) => x.check === 'reject.no-client-cert')!.evidence;
      if (profile === 'strict') expect(noCert.rejectedAt).toBe('post-handshake');
      else expect(noCert).toMatchObject({ rejectedAt: 'accepted', grpc: { servingStatus: 'SERVING' } });
    }
  });
});

it('the gRPC reference declares the other profiles unsupported (exit 2), never approximates them', async () => {
  for (const profile of PROFILES.filter((p) => !GRPC_PROFILES.includes(p))) {
    const r = await run(['run', '--reference', 'node-grpc', '--profile', profile]);
    expect(r.code, profile).toBe(2);
    expect(r.stderr).toMatch(/node-grpc cannot express profile .* \(unsupported\)/);
  }
});
