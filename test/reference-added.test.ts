// Issue 17 (registries): a reference server is one file and one entry. Proven here with lighttpd, a
// real server none of the built-in references uses, added by test/fixtures/reference-lighttpd.ts
// (+ its template) and registered from this test only: `run --reference lighttpd` then starts it,
// checks it and reaches CONFORMANCE.md's verdicts like any other reference, refuses what it cannot
// express, and no other file knows it.
import { existsSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMPLEMENTATIONS, REFERENCES, registerReference } from '../src/targets/reference/index.js';
import { findBinary } from '../src/targets/reference/process.js';
import { runInProcess } from './helpers/cli.js';
import { CRAFTED_PROFILES } from '../src/pki/crafted-profiles.js';
import { expectedVerdicts } from './helpers/conformance.js';
import { lighttpd, lighttpdReference } from './fixtures/reference-lighttpd.js';

registerReference(lighttpdReference);

const MOD_OPENSSL = '/usr/lib/lighttpd/mod_openssl.so';
const MISSING =
  !findBinary(lighttpd.binary) || !existsSync(MOD_OPENSSL)
    ? `lighttpd with mod_openssl not installed (apt-get install ${lighttpd.debianPackages.join(' ')})`
    : undefined;
if (MISSING) console.warn(`SKIPPED the lighttpd reference runs: ${MISSING}`);

interface Result {
  check: string;
  status: string;
  message: string;
  evidence: { rejectedAt?: string; alert?: { code: number }; httpStatusLine?: string };
}

let dir: string;
beforeAll(async () => void (dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-reference-added-'))));
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

const run = (args: string[]) => runInProcess(args);

async function runReference(profile: string): Promise<{ code: number; results: Result[]; stderr: string }> {
  const out = path.join(dir, `lighttpd-${profile}.json`);
  const r = await run(['run', '--reference', 'lighttpd', '--profile', profile, '--json', out]);
  const results = (JSON.parse(await fs.readFile(out, 'utf8')) as { results: Result[] }).results;
  return { code: r.code, results, stderr: r.stderr };
}

const statuses = (results: Result[]) => Object.fromEntries(results.map((x) => [x.check, x.status]));

describe('a reference server added by one file and one entry (lighttpd, registered by this test)', () => {
  it('is in the map after the built-in ones, with what it declares', () => {
    expect(IMPLEMENTATIONS.at(-1)).toBe('lighttpd');
    expect(Object.keys(REFERENCES).at(-1)).toBe('lighttpd');
    expect(REFERENCES.lighttpd).toMatchObject({
      name: 'lighttpd',
      protocol: 'https',
      runs: 'process',
      container: false,
      debianPackages: ['lighttpd', 'lighttpd-mod-openssl'],
    });
  });

  it.skipIf(!!MISSING)('run --reference lighttpd --profile strict: every verdict equals CONFORMANCE.md (exit 0)', async () => {
    const r = await runReference('strict');
    expect(statuses(r.results), r.stderr).toEqual(expectedVerdicts('strict', 'lighttpd'));
    expect(r.code, r.stderr).toBe(0);
    // Its own way of refusing, recorded as evidence (OpenSSL underneath: TLS 1.3 alert 116 certificate_required).
    const noCert = r.results.find((x) => x.check === 'reject.no-client-cert')!.evidence;
    expect(noCert.rejectedAt).toBe('post-handshake');
    expect(noCert.alert?.code).toBe(116);
    expect(r.results.find((x) => x.check === 'handshake.accepts-valid-client-cert')!.evidence.httpStatusLine).toBe('HTTP/1.1 200 OK');
  });

  it.skipIf(!!MISSING)('--profile no-client-auth: the client-certificate checks fail, as the table says (exit 1)', async () => {
    const r = await runReference('no-client-auth');
    const got = statuses(r.results);
    expect(got, r.stderr).toEqual(expectedVerdicts('no-client-auth', 'lighttpd'));
    expect(
      Object.entries(got)
        .filter(([, s]) => s === 'fail')
        .map(([id]) => id)
        .sort(),
    ).toEqual(
      [
        'chain.rejects-self-signed-client',
        'chain.rejects-untrusted-ca-client',
        'chain.rejects-wrong-eku-client',
        'expiry.rejects-expired-client',
        'expiry.rejects-not-yet-valid-client',
        'handshake.client-auth-mode',
        'reject.no-client-cert',
        // Every crafted profile RFC 5280 refuses, served by a server that verifies no client.
        ...CRAFTED_PROFILES.filter((p) => p.expect === 'refuse' && p.id !== 'path-length-exceeded').map((p) => `crafted.${p.id}`),
      ].sort(),
    );
    expect(r.code).toBe(1);
  });

  it.skipIf(!!MISSING)("--profile expired-server: the certificate it serves is the profile's (exit 1)", async () => {
    const r = await runReference('expired-server');
    expect(statuses(r.results), r.stderr).toEqual(expectedVerdicts('expired-server', 'lighttpd'));
    expect(r.code).toBe(1);
  });

  it('a profile it cannot express is refused before anything starts (exit 2, unsupported)', async () => {
    const r = await run(['run', '--reference', 'lighttpd', '--profile', 'trust-any-client']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /lighttpd cannot express profile "trust-any-client" \(unsupported\): lighttpd cannot require a client certificate without verifying it/,
    );
  });

  it('it has no container form, and says so (exit 2)', async () => {
    const r = await run(['run', '--reference', 'lighttpd', '--profile', 'strict', '--provider', 'container']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/lighttpd runs as a local process only \(no container form\); use --provider process for it/);
  });

  it('a second reference of the same name is refused', () => {
    expect(() => registerReference(lighttpdReference)).toThrow(/reference lighttpd: the name is already taken/);
    expect(() => registerReference({ ...lighttpdReference, name: 'openssl' })).toThrow(/already taken/);
  });
});
