// The x509-limbo corpus, run in full against curl and node's tls client (measurements of those
// clients, recorded in docs/client-test.md), plus a control client that trusts anything, which must agree on
// exactly the SUCCESS cases: proof that agreement comes from what the server saw, not from defaults.
import * as path from 'node:path';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/run.js';
import type { ClientSpec } from '../src/client-test/command.js';
import { limboFigures, limboSummaryLine, loadLimbo, runLimbo, stageableLimboCases, type LimboCase } from '../src/client-test/limbo.js';
import { mintFixturePki, type FixturePki } from '../src/pki/generate.js';
import type { Result, RunReport } from '../src/core/model.js';
import { findBinary } from '../src/targets/reference/process.js';
import { skipUnless } from './helpers/servers.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DOC = readFileSync(path.join(root, 'docs/client-test.md'), 'utf8');
const CURL = findBinary('curl');
const skipCurl = skipUnless(CURL, 'curl', 'apt-get install curl');

const curl: ClientSpec = { name: 'curl', command: ['curl', '-sS', '--cacert', '{ca}', '--connect-to', '::{host}:{port}', '{url}'], timeoutMs: 10_000 };
const nodeTls: ClientSpec = {
  name: 'node-tls',
  command: [process.execPath, path.join(root, 'fixtures/clients/node-tls-client.mjs'), '{host}', '{port}', '{servername}', '{ca}'],
  timeoutMs: 10_000,
};
const trustsAnything: ClientSpec = { name: 'curl -k', command: ['curl', '-sSk', '--connect-to', '::{host}:{port}', '{url}'], timeoutMs: 10_000 };

// Cases the harness cannot stage, each for a stated reason (the same for every client).
const SKIPPED: Record<string, RegExp> = {
  'invalid::invalid-issuer-key': /^not staged: the observing server cannot use this certificate and key/,
  'pathlen::max-chain-depth-0': /^not staged: the case sets max_chain_depth 0: a client cannot be told/,
  'pathlen::max-chain-depth-0-exhausted': /max_chain_depth 0/,
  'pathlen::max-chain-depth-1': /max_chain_depth 1/,
  'pathlen::max-chain-depth-1-exhausted': /max_chain_depth 1/,
  'pathlen::max-chain-depth-1-self-issued': /max_chain_depth 1/,
  'pathological::intermediate-cycle-distinct-cas-max-depth': /max_chain_depth 255/,
  'rfc5280::nc::permitted-dn-match': /^not staged: the case names no expected peer/,
  'webpki::forbidden-p192-leaf':
    /^node's TLS server could not complete a handshake with this case's certificate and key \(ERR_SSL_NO_SUITABLE_SIGNATURE_ALGORITHM\)/,
  'webpki::forbidden-dsa-leaf': /^node's TLS server could not complete a handshake .*\(ERR_SSL_NO_SUITABLE_SIGNATURE_ALGORITHM\)/,
};

let cases: LimboCase[];
let pki: FixturePki;
const byId = (r: RunReport) => new Map(r.results.map((x) => [x.title, x]));

beforeAll(async () => {
  cases = stageableLimboCases(loadLimbo());
  pki = await mintFixturePki();
});

function expectSound(report: RunReport): void {
  expect(report.results).toHaveLength(cases.length);
  const errors = report.results.filter((r) => r.status === 'error');
  expect(errors.map((r) => `${r.title}: ${r.message}`)).toEqual([]);
  const skipped = report.results.filter((r) => r.status === 'skip');
  for (const r of skipped) console.log(`limbo skip ${r.target} ${r.title}: ${r.message}`);
  expect(Object.fromEntries(skipped.map((r) => [r.title, r.message]))).toEqual(
    Object.fromEntries(Object.entries(SKIPPED).map(([id, re]) => [id, expect.stringMatching(re)])),
  );
  for (const r of report.results) {
    expect(r.check).toBe(`limbo.${r.title}`);
    expect(r.suite).toBe('x509-limbo');
    expect(typeof r.evidence.description).toBe('string');
    expect(r.evidence.caseId).toBe(r.title);
  }
}

describe.skipIf(skipCurl)('x509-limbo corpus', () => {
  it('is the 160 keyed SERVER cases without validation_time of the 208 in the fixture', () => {
    expect(loadLimbo()).toHaveLength(208);
    expect(cases).toHaveLength(160);
  });

  /** Runs the whole corpus against a client, checks it is sound and that docs/client-test.md records its figures. */
  async function measure(client: ClientSpec): Promise<Map<string, Result>> {
    const report = await runLimbo({ client, cases, concurrency: 3, pki });
    expectSound(report);
    const line = limboSummaryLine(client.name, limboFigures(report.results));
    console.log(line);
    expect(DOC, `docs/client-test.md must record the measured figures: ${line}`).toContain(line);
    return byId(report);
  }

  it('curl: every case staged is judged, the figures are the ones in docs/client-test.md', { timeout: 180_000 }, async () => {
    const got = await measure(curl);
    expect(got.get('webpki::san::exact-dns-san')!.status).toBe('pass');
    expect(got.get('webpki::san::exact-localhost-ip-san')!.status).toBe('pass'); // an IP name, through --connect-to
    expect(got.get('rfc5280::chain-untrusted-root')!.status).toBe('pass');
    expect(got.get('webpki::forbidden-weak-rsa-in-leaf')!).toMatchObject({
      status: 'pass',
      evidence: { clientAlert: { code: 42, name: 'bad_certificate' }, exitCode: 60 },
    });
  });

  it("node's tls.connect: every case staged is judged, the figures are the ones in docs/client-test.md", { timeout: 240_000 }, async () => {
    const got = await measure(nodeTls);
    expect(got.get('webpki::san::exact-dns-san')!.status).toBe('pass');
    expect(got.get('webpki::san::mismatch-domain-san')!).toMatchObject({ status: 'pass', evidence: { exitCode: 1, requests: [] } });
  });

  it('a client that trusts anything agrees on exactly the SUCCESS cases', { timeout: 180_000 }, async () => {
    const report = await runLimbo({ client: trustsAnything, cases, concurrency: 3, pki });
    expectSound(report);
    const judged = report.results.filter((r: Result) => r.status === 'pass' || r.status === 'fail');
    const expected = new Map(cases.map((c) => [c.id, c.expected_result]));
    for (const r of judged) expect(`${r.title} ${r.status}`).toBe(`${r.title} ${expected.get(r.title) === 'SUCCESS' ? 'pass' : 'fail'}`);
    expect(judged.filter((r) => r.status === 'pass').length).toBe(32);
    expect(judged.filter((r) => r.status === 'fail').length).toBe(118);
  });

  it('client-test --corpus limbo --case prints the agreement line and exits 1 on a disagreement', async () => {
    let stdout = '';
    let stderr = '';
    const io = {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stderr += s) },
      env: { NO_COLOR: '1', PATH: process.env.PATH ?? '' },
    };
    const ok = await runCli(
      ['client-test', '--corpus', 'limbo', '--case', 'webpki::san::exact-*,webpki::san::mismatch-domain-san', '--', ...(curl.command as string[])],
      io,
    );
    expect(ok, stderr).toBe(0);
    expect(stdout).toMatch(/^x509-limbo curl: 3 agree, 0 disagree, 0 skip, 0 error of 3 cases \(100% of the 3 judged\)$/m);
    stdout = '';
    const bad = await runCli(
      ['client-test', '--corpus', 'limbo', '--case', 'webpki::san::mismatch-domain-san', '--name', 'insecure', '--', ...(trustsAnything.command as string[])],
      io,
    );
    expect(bad).toBe(1);
    expect(stdout).toMatch(/disagrees: expected a refusal, the client connected and sent GET \//);
    expect(stdout).toMatch(/^x509-limbo insecure: 0 agree, 1 disagree, 0 skip, 0 error of 1 cases \(0% of the 1 judged\)$/m);
  });
});
