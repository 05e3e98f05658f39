// Issue 16 (1), last line of defence for `audit`: a bug deep in one file set's checks (injected by
// test/helpers/throw-in-audit.mjs, preloaded into the built CLI; nothing in src/ knows it) costs that
// set its remaining checks — one `error` result saying so — never the other files' results, the
// reports, or a stack trace. Certificates made by the openssl CLI.
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnCli } from './helpers/cli.js';

const hook = path.join(path.dirname(fileURLToPath(import.meta.url)), 'helpers/throw-in-audit.mjs');
let tmp: string;

function selfSigned(dir: string, cn: string): void {
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      path.join(dir, 'server-key.pem'),
      '-out',
      path.join(dir, 'server.pem'),
      '-subj',
      `/CN=${cn}`,
      '-days',
      '30',
      '-addext',
      `subjectAltName=DNS:${cn}`,
    ],
    { stdio: 'ignore' },
  );
}

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-audit-throw-'));
  for (const [d, cn] of [
    ['good', 'good.example'],
    ['bad', 'throw-here.example'],
  ] as const) {
    await fs.mkdir(path.join(tmp, 'pki', d), { recursive: true });
    selfSigned(path.join(tmp, 'pki', d), cn);
    await fs.chmod(path.join(tmp, 'pki', d, 'server-key.pem'), 0o600);
  }
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe("audit: an exception inside one file set's checks", () => {
  it('is one error result for that set; the other set is audited in full; reports written; exit 1, no stack trace', async () => {
    const json = path.join(tmp, 'audit.json');
    const junit = path.join(tmp, 'audit.xml');
    const r = await spawnCli(['audit', 'pki', '--json', json, '--junit', junit], tmp, {
      NODE_OPTIONS: `--import ${hook}`,
      MTLS_TEST_THROW_SUBJECT: 'throw-here',
    });
    expect(r.code).toBe(1);
    expect(r.stderr).not.toMatch(/\n\s+at |node:internal|\.ts:\d+|\.js:\d+/);
    const report = JSON.parse(await fs.readFile(json, 'utf8')) as { results: { check: string; status: string; message: string; evidence: unknown }[] };
    const ofFile = (d: string) => report.results.filter((x) => JSON.stringify(x.evidence).includes(`pki/${d}/`));
    const bad = ofFile('bad');
    const errors = bad.filter((x) => x.status === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toMatch(/^Not finished: internal error: injected: reading a fingerprint threw while auditing pki\/bad\/server\.pem/);
    // What the set reached before the throw is kept.
    expect(bad.find((x) => x.check === 'audit.key-permissions')?.status).toBe('pass');
    // The other set is audited as without the fault: every check, none error.
    const good = ofFile('good');
    expect(good.map((x) => x.check)).toEqual(
      expect.arrayContaining(['audit.parse', 'audit.key-matches-cert', 'audit.san-present', 'audit.expiry', 'audit.crypto-strength']),
    );
    expect(good.every((x) => x.status !== 'error')).toBe(true);
    expect(await fs.readFile(junit, 'utf8')).toMatch(/internal error: injected/);
    // Without the fault, the same files audit with no error at all: the error above is the injected one.
    const clean = await spawnCli(['audit', 'pki', '--json', path.join(tmp, 'clean.json')], tmp);
    const cleanReport = JSON.parse(await fs.readFile(path.join(tmp, 'clean.json'), 'utf8')) as { results: { status: string }[] };
    expect(cleanReport.results.some((x) => x.status === 'error')).toBe(false);
    expect(clean.stderr).toBe('');
  });
});
