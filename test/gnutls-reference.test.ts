// The gnutls reference (gnutls-serv): its declared deviation (it verifies client chains and dates
// but never the extended key usage), measured rather than asserted from its source, so a GnuTLS that
// starts checking the EKU makes this test fail and the deviation can be dropped. Also how it refuses
// (two fatal alerts) and its start failure. gnutls-serv runs with the flags the profile would use; the
// harness probes it as a live target, with the fixture CA key to mint its crafted clients.
import { promises as fs } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/run.js';
import { isHarnessError } from '../src/core/errors.js';
import { mintFixturePki, type FixturePki } from '../src/pki/generate.js';
import { gnutls } from '../src/targets/reference/gnutls.js';
import { findBinary, startProcessReference, type ProcessImplementation, type StartedProcessReference } from '../src/targets/reference/process.js';
import { expectedVerdicts } from './helpers/conformance.js';

const MISSING = findBinary(gnutls.binary) ? undefined : `${gnutls.binary} not installed (apt-get install ${gnutls.debianPackages.join(' ')})`;
if (MISSING) console.warn(`SKIPPED the gnutls reference tests: ${MISSING}`);

/** gnutls-serv rendered for any profile, even one the implementation declares unsupported. */
const unguarded: ProcessImplementation = { ...gnutls, unsupported: () => undefined };

interface Result {
  check: string;
  status: string;
  message: string;
  evidence: { rejectedAt?: string; alert?: { code: number; name: string }; errorCode?: string; httpStatusLine?: string };
}

let dir: string;
let pki: FixturePki;
const refs: StartedProcessReference[] = [];
const f = (n: string) => path.join(dir, n);

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-gnutls-'));
  pki = await mintFixturePki();
  await fs.writeFile(f('ca.pem'), pki.root.certPem);
  await fs.writeFile(f('ca-key.pem'), pki.root.keyPem, { mode: 0o600 });
  await fs.writeFile(f('client.pem'), pki.client.chainPem);
  await fs.writeFile(f('client-key.pem'), pki.client.keyPem, { mode: 0o600 });
});
afterAll(async () => {
  await Promise.all(refs.map((r) => r.stop()));
  await fs.rm(dir, { recursive: true, force: true });
});

async function start(profile: 'strict' | 'optional-client-cert'): Promise<StartedProcessReference> {
  const ref = await startProcessReference(unguarded, { profile, pki });
  refs.push(ref);
  return ref;
}

/** The harness against a running gnutls-serv, as a live target. */
async function runAgainst(port: number, extra: string[] = []): Promise<Result[]> {
  const out = f(`run-${port}-${extra.join('')}.json`);
  let stderr = '';
  const code = await runCli(
    [
      'run',
      '--target',
      `127.0.0.1:${port}`,
      '--servername',
      'localhost',
      '--expected-name',
      '127.0.0.1',
      '--ca',
      f('ca.pem'),
      '--cert',
      f('client.pem'),
      '--key',
      f('client-key.pem'),
      '--ca-key',
      f('ca-key.pem'),
      '--json',
      out,
      ...extra,
    ],
    { stdout: { write: () => true }, stderr: { write: (s: string) => (stderr += s) }, env: { NO_COLOR: '1' } },
  );
  expect(code, stderr).not.toBe(2);
  return (JSON.parse(await fs.readFile(out, 'utf8')) as { results: Result[] }).results;
}

describe.skipIf(MISSING)('gnutls-serv', () => {
  it("with strict's flags (--require-client-cert --verify-client-cert) only the wrong-EKU client is served: gnutls's declared deviation", async () => {
    const ref = await start('strict');
    const results = await runAgainst(ref.endpoint.port);
    const want = expectedVerdicts('strict');
    // The unchecked EKU, and GnuTLS's own verdicts on the crafted profiles (src/targets/reference/crafted.ts).
    const declared = gnutls.deviations?.('strict')?.checks ?? {};
    expect(declared).toMatchObject({ 'chain.rejects-wrong-eku-client': 'fail', 'crafted.v1-with-extensions': 'pass' });
    const deviations = Object.fromEntries(results.filter((r) => r.status !== want[r.check]).map((r) => [r.check, r.status]));
    expect(deviations).toEqual(declared);
    const ev = (id: string) => results.find((r) => r.check === id)!.evidence;
    expect(ev('chain.rejects-wrong-eku-client')).toMatchObject({ rejectedAt: 'accepted', httpStatusLine: 'HTTP/1.0 200 OK' });
    // How it refuses on TLS 1.3: the library's 116 for no certificate; its verify callback's 49
    // access_denied for a certificate that fails verification, followed by a second fatal alert
    // 42 bad_certificate; node and the probe both report the first.
    expect(ev('reject.no-client-cert')).toMatchObject({ rejectedAt: 'post-handshake', alert: { code: 116 } });
    for (const id of [
      'chain.rejects-untrusted-ca-client',
      'chain.rejects-self-signed-client',
      'expiry.rejects-expired-client',
      'expiry.rejects-not-yet-valid-client',
    ]) {
      expect(ev(id).rejectedAt, id).toBe('post-handshake');
      expect(ev(id).alert?.code, id).toBe(49);
      expect(ev(id).errorCode, id).toBe('ERR_SSL_TLSV1_ALERT_ACCESS_DENIED');
    }
  }, 60_000);

  it('with --verify-client-cert alone a cert-less client is served, an expired one refused, a wrong-EKU one served (the same deviation)', async () => {
    const ref = await start('optional-client-cert');
    const results = await runAgainst(ref.endpoint.port, ['--check', 'reject.no-client-cert,expiry.rejects-expired-client,chain.rejects-wrong-eku-client']);
    const got = Object.fromEntries(results.map((r) => [r.check, r.status]));
    expect(got).toEqual({ 'reject.no-client-cert': 'fail', 'expiry.rejects-expired-client': 'pass', 'chain.rejects-wrong-eku-client': 'fail' });
  }, 60_000);

  it('refuses a certificate with two fatal alerts on the wire: 49 access_denied, then 42 bad_certificate (TLS 1.2, plaintext)', async () => {
    const ref = refs[0] ?? (await start('strict'));
    // A relay that records what the server sends, so the alerts are read from the wire.
    let fromServer = Buffer.alloc(0);
    const relay = net.createServer((c) => {
      const u = net.connect(ref.endpoint.port, '127.0.0.1');
      c.pipe(u);
      u.on('data', (d: Buffer) => {
        fromServer = Buffer.concat([fromServer, d]);
        c.write(d);
      });
      u.on('end', () => c.end());
      u.on('error', () => c.destroy());
      c.on('error', () => u.destroy());
    });
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
    const expired = pki.badClients.expired;
    await new Promise<void>((resolve) => {
      const s = tls.connect({
        host: '127.0.0.1',
        port: (relay.address() as net.AddressInfo).port,
        servername: 'localhost',
        rejectUnauthorized: false,
        maxVersion: 'TLSv1.2',
        cert: expired.chainPem,
        key: expired.keyPem,
      });
      s.on('error', () => undefined);
      s.on('close', () => resolve());
      s.setTimeout(3000, () => s.destroy());
    });
    await new Promise((r) => setTimeout(r, 100));
    relay.close();
    const alerts: string[] = [];
    for (let i = 0; i + 5 <= fromServer.length; i += 5 + fromServer.readUInt16BE(i + 3)) {
      if (fromServer[i] === 21) alerts.push(fromServer.subarray(i + 5, i + 7).toString('hex'));
    }
    expect(alerts).toEqual(['0231', '022a']);
  }, 30_000);

  it('a failed start is target.start-failed with the last lines of the gnutls-serv log', async () => {
    const broken: FixturePki = { ...pki, server: { ...pki.server, keyPem: pki.client.keyPem } };
    try {
      await startProcessReference(gnutls, { profile: 'trust-any-client', pki: broken });
      expect.unreachable('the start should have failed');
    } catch (e) {
      expect(isHarnessError(e) && e.code).toBe('target.start-failed');
      expect((e as Error).message).toMatch(/gnutls \(profile trust-any-client\) did not start/);
      expect(isHarnessError(e) && e.details).toMatch(/last lines of the gnutls log:\n.+/);
    }
  });
});
