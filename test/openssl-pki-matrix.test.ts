// The self-test with a PKI the harness did not make: root, intermediate, server and client by the
// openssl CLI (UTF8String names, OpenSSL's SKI/AKI), the reference servers started with it, and
// `run` pointed at them as a LIVE target (`--target … --ca root.pem --ca-key root-key.pem`), so every
// crafted client certificate is minted by the harness from the openssl root, as for a user's CA.
// Every check's verdict must equal CONFORMANCE.md (test/helpers/conformance.ts) for the profile.
//
// What differs from the reference run (`run --reference …`), and why the table still holds:
// - the crafted clients are minted from root-key.pem by the run (not taken from the fixture), and
//   the look-alike CA from root.pem's subject bytes;
// - the names a server must cover are the servername only (`localhost`), not also 127.0.0.1.
// No expectation is weakened for the live target.
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintRevokedClient } from '../src/checks/revoked.js';
import type { FixturePki } from '../src/pki/generate.js';
import { loadsClientCrl, presentsRevokedClient, runsOcspResponder, type ProfileName } from '../src/targets/profiles.js';
import { REFERENCES } from '../src/targets/reference/index.js';
import { NODE_PROFILES } from '../src/targets/reference/node.js';
import { findBinary } from '../src/targets/reference/process.js';
import { startReference, unsupportedReason } from '../src/targets/reference/start.js';
import { expectedVerdicts } from './helpers/conformance.js';
import { liveRunWithPki, makeOpensslPki, opensslPkiFiles } from './helpers/openssl-pki.js';
import { OPENSSL } from './helpers/servers.js';

const REPEAT = Math.max(1, Number(process.env.MTLS_MATRIX_REPEAT ?? '1') || 1);
if (!OPENSSL) console.warn('SKIPPED the openssl-PKI matrix: openssl not installed (apt-get install openssl)');

let dir: string;
let pki: FixturePki;
let files: ReturnType<typeof opensslPkiFiles>;

/** Every mismatch of the whole matrix, printed at the end (and each pair's test fails on its own). */
const mismatches: string[] = [];

beforeAll(async () => {
  if (!OPENSSL) return;
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-openssl-matrix-'));
  await fs.chmod(dir, 0o700);
  await fs.mkdir(path.join(dir, 'pki'));
  pki = await makeOpensslPki(path.join(dir, 'pki'));
  files = opensslPkiFiles(path.join(dir, 'pki'));
  // The revoked client of the revocation profiles, given as a live target's --revoked-cert: a client
  // of the openssl-CLI root with the serial the references' CRL (issued by that root) lists.
  const revoked = await mintRevokedClient(pki.root, new Date());
  await fs.writeFile(path.join(dir, 'revoked.pem'), revoked.certPem);
  await fs.writeFile(path.join(dir, 'revoked-key.pem'), revoked.keyPem, { mode: 0o600 });
}, 60_000);
afterAll(async () => {
  if (mismatches.length > 0) console.log(`openssl-PKI matrix mismatches:\n${mismatches.join('\n')}`);
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

const liveRun = (port: number, out: string, profile: ProfileName) =>
  liveRunWithPki(
    files,
    port,
    out,
    presentsRevokedClient(profile) ? ['--revoked-cert', path.join(dir, 'revoked.pem'), '--revoked-key', path.join(dir, 'revoked-key.pem')] : [],
  );

/**
 * Run as a live target, chain.accepts-intermediate-client mints its own intermediate under the root
 * (--ca-key), which publishes no CRL: an OpenSSL-based server checking CRLs on revocation-crl
 * (X509_V_FLAG_CRL_CHECK_ALL; s_server's -crl_check checks the leaf's issuer) finds none for it and
 * refuses that client (warn). GnuTLS treats a CA without a CRL as revoking nothing and serves it.
 * The given revoked certificate names no OCSP responder, so chain.rejects-ocsp-revoked-client skips.
 */
function liveTargetVerdicts(profile: ProfileName, implementation: string): Record<string, string> {
  const want = expectedVerdicts(profile, implementation);
  if (loadsClientCrl(profile) && implementation !== 'gnutls') want['chain.accepts-intermediate-client'] = 'warn';
  // The given --revoked-cert names no OCSP responder: the OCSP check has nothing to present to a live target.
  if (runsOcspResponder(profile)) want['chain.rejects-ocsp-revoked-client'] = 'skip';
  return want;
}

async function pair(implementation: string, profile: ProfileName): Promise<void> {
  const want = liveTargetVerdicts(profile, implementation);
  for (let i = 0; i < REPEAT; i++) {
    const ref = await startReference({ implementation, profile, pki });
    let r: Awaited<ReturnType<typeof liveRun>>;
    try {
      r = await liveRun(ref.endpoint.port, path.join(dir, `${implementation}-${profile}-${i}.json`), profile);
    } finally {
      await ref.stop();
    }
    const got = Object.fromEntries(r.results.map((x) => [x.check, x.status]));
    const bad = r.results.filter((x) => x.status !== want[x.check]);
    for (const x of bad) mismatches.push(`${implementation} ${profile} run ${i + 1}: ${x.check} expected ${want[x.check]} got ${x.status}: ${x.message}`);
    expect(
      got,
      `${implementation} ${profile} run ${i + 1}:\n${bad.map((x) => `${x.check}: expected ${want[x.check]}, got ${x.status}: ${x.message}`).join('\n')}`,
    ).toEqual(want);
    const failing = Object.values(want).some((s) => s === 'fail' || s === 'error');
    expect(r.code, r.stderr).toBe(failing ? 1 : 0);
  }
}

const STATIC_PROFILES = NODE_PROFILES as readonly ProfileName[];

describe.skipIf(!OPENSSL)('node reference with the openssl-CLI PKI, run as a live target', () => {
  it.each(STATIC_PROFILES.map((p) => [p]))(
    '%s: every verdict equals the table',
    async (profile) => {
      await pair('node', profile);
    },
    60_000,
  );
});

// The references whose protocol the probe speaks (the databases and brokers wait for issue 18's protocol registry).
// apache-location's profile lives on /secure (its / asks for nothing): test/reference-apache-location.test.ts runs both paths.
for (const server of Object.values(REFERENCES).filter(
  (r) => r.runs === 'process' && ['https', 'tls', 'grpc'].includes(r.protocol) && r.name !== 'apache-location',
)) {
  const impl = server.name;
  const bin = findBinary(server.process!.binary);
  if (!bin) console.warn(`SKIPPED the openssl-PKI matrix for ${impl}: not installed (apt-get install ${server.debianPackages.join(' ')})`);
  const supported = STATIC_PROFILES.filter((p) => !unsupportedReason(impl, p));
  describe.skipIf(!OPENSSL || !bin)(`${impl} with the openssl-CLI PKI, run as a live target`, () => {
    it.each(supported.map((p) => [p]))(
      '%s: every verdict equals the table',
      async (profile) => {
        await pair(impl, profile);
      },
      60_000,
    );
  });
}
