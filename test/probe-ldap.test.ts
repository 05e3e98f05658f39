// probeEndpoint({ protocol: 'ldap' }) and `run --protocol ldap` against a real OpenLDAP slapd (Debian's
// slapd) on 127.0.0.1: StartTLS, then the handshake, then WhoAmI. `TLSVerifyClient demand` (strict)
// refuses a client without a certificate in TLS and serves the valid one; `never` (open) serves both;
// without TLS configured StartTLS itself is refused; `require authc` refuses every anonymous WhoAmI
// at the LDAP layer, the valid client's too (so the refusal proves nothing). Every classification is
// made three times and must not change.
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mintFixturePki, type FixturePki } from '../src/pki/generate.js';
import { probeThrice, rejectionSuite } from './helpers/protocol-runs.js';
import { skipUnless, type StartedServer } from './helpers/servers.js';
import { SLAPD, startSlapd, type SlapdOptions } from './helpers/slapd.js';

let pki: FixturePki;
let dir: string;
const running: StartedServer[] = [];

beforeAll(async () => {
  pki = await mintFixturePki({ clientCommonName: 'probe-client' });
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-ldap-test-'));
});
afterEach(async () => {
  for (const s of running.splice(0)) await s.stop();
});
afterAll(async () => {
  for (const s of running.splice(0)) await s.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

async function slapd(verifyClient: SlapdOptions['verifyClient'], extra?: string[]): Promise<StartedServer> {
  const s = await startSlapd({ pki, verifyClient, ...(extra ? { extra } : {}) });
  running.push(s);
  return s;
}

describe.skipIf(skipUnless(SLAPD, 'slapd', 'apt-get install slapd ldap-utils'))('slapd (StartTLS, then WhoAmI)', () => {
  it('TLSVerifyClient demand: the valid client is served (WhoAmI answered); without a certificate, refused in TLS', async () => {
    const s = await slapd('demand');
    const valid = await probeThrice(s, pki, 'ldap', true);
    expect(valid, valid.reason).toMatchObject({
      rejectedAt: 'accepted',
      certificateRequested: true,
      application: { protocol: 'ldap', startTls: 'StartTLS answered success (0)', code: '0' },
    });
    expect(valid.reason).toMatch(/^the LDAP server answered WhoAmI: /);
    const none = await probeThrice(s, pki, 'ldap', false);
    expect(['handshake', 'post-handshake'], none.reason).toContain(none.rejectedAt);
    expect(none.application).toMatchObject({ protocol: 'ldap', startTls: 'StartTLS answered success (0)' });
    expect(none.timings.startTlsMs).toBeGreaterThanOrEqual(0);
  });

  it('TLSVerifyClient never: served without a certificate (anonymous WhoAmI), and with one', async () => {
    const s = await slapd('never');
    const none = await probeThrice(s, pki, 'ldap', false);
    expect(none).toMatchObject({
      rejectedAt: 'accepted',
      reason: 'the LDAP server answered WhoAmI: anonymous (an empty authzId)',
      application: { protocol: 'ldap', code: '0', message: 'WhoAmI anonymous (an empty authzId)' },
    });
    expect((await probeThrice(s, pki, 'ldap', true)).rejectedAt).toBe('accepted');
  });

  it('no TLS configured: StartTLS answered protocolError, unreachable (starttls) with the code and message', async () => {
    const s = await slapd('none');
    const none = await probeThrice(s, pki, 'ldap', true);
    expect(none).toMatchObject({
      rejectedAt: 'unreachable',
      failure: { kind: 'starttls', phase: 'starttls' },
      application: { protocol: 'ldap', code: '2', message: 'resultCode 2 protocolError: unsupported extended operation' },
    });
  });

  it('require authc: every anonymous WhoAmI is refused at the LDAP layer (53), the valid client too', async () => {
    const s = await slapd('never', ['require authc']);
    for (const withCert of [false, true])
      expect(await probeThrice(s, pki, 'ldap', withCert)).toMatchObject({
        rejectedAt: 'application',
        application: { code: '53', message: 'resultCode 53 unwillingToPerform: authentication required' },
      });
  });

  it('run --protocol ldap --suite rejection-without-cert: strict passes, open fails', async () => {
    const strict = await rejectionSuite(await slapd('demand'), pki, 'ldap', dir);
    expect(strict.status, strict.message).toBe('pass');
    expect(strict.code).toBe(0);
    const open = await rejectionSuite(await slapd('never'), pki, 'ldap', dir);
    expect(open.status, open.message).toBe('fail');
    expect(open.message).toMatch(/WhoAmI/);
    expect(open.code).not.toBe(0);
  }, 120_000);
});
