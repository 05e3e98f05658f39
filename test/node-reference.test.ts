// The in-process node reference in every profile it supports, probed over real TLS on loopback.
// Expectations come from CONFORMANCE.md's profile table, stated as properties of each profile.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintFixturePki, type Credential, type FixturePki } from '../src/pki/generate.js';
import { detectClientAuthMode } from '../src/probe/client-auth.js';
import { diagnoseEndpoint, type Finding } from '../src/probe/diagnose.js';
import { probeEndpoint, type ProbeOptions, type TlsVersion } from '../src/probe/tls-probe.js';
import { PROFILES, type ProfileName } from '../src/targets/profiles.js';
import { NODE_PROFILES, NodeReference, type StartedNodeReference } from '../src/targets/reference/node.js';

interface ClientPolicy {
  mode: 'required' | 'optional' | 'not-requested';
  /** Refuses certificates that do not chain to the trusted CA (untrusted CA, self-signed) or lack clientAuth. */
  verifiesChain: boolean;
  /** Refuses expired and not-yet-valid certificates. */
  checksDates: boolean;
}

const STRICT: ClientPolicy = { mode: 'required', verifiesChain: true, checksDates: true };
const CLIENT_POLICY: Record<string, ClientPolicy> = {
  strict: STRICT,
  'optional-client-cert': { mode: 'optional', verifiesChain: true, checksDates: true },
  'no-client-auth': { mode: 'not-requested', verifiesChain: false, checksDates: false },
  'trust-any-client': { mode: 'required', verifiesChain: false, checksDates: false },
  'accept-expired-client': { mode: 'required', verifiesChain: true, checksDates: false },
};

/** The server-side finding each server profile must produce (finding id → status), all else ok. */
const SERVER_FINDINGS: Partial<Record<ProfileName, Partial<Record<Finding['id'], Finding['status']>>>> = {
  'wrong-san-server': { 'san-coverage': 'problem' },
  'cn-only-server': { 'san-coverage': 'problem' },
  'incomplete-chain': { 'server-chain': 'problem' },
  'expiring-server': { 'server-expiry': 'problem' },
  'expired-server': { 'server-expiry': 'problem', 'server-chain': 'problem' },
};

let pki: FixturePki;
beforeAll(async () => {
  pki = await mintFixturePki();
});

it('supports every profile of CONFORMANCE.md except the two rotation profiles', () => {
  expect([...NODE_PROFILES].sort()).toEqual(PROFILES.filter((p) => !p.startsWith('rotation-')).sort());
  expect(() => new NodeReference({ profile: 'rotation-graceful' })).toThrow(/does not support profile "rotation-graceful"/);
});

for (const profile of NODE_PROFILES) {
  const policy = CLIENT_POLICY[profile] ?? STRICT;
  for (const version of ['TLSv1.3', 'TLSv1.2'] as TlsVersion[]) {
    describe(`node reference "${profile}", ${version}`, () => {
      let ref: StartedNodeReference;
      let base: ProbeOptions;
      beforeAll(async () => {
        ref = await new NodeReference({ profile, pki, maxVersion: version }).start();
        base = { host: ref.endpoint.host, port: ref.endpoint.port, servername: 'localhost', ca: pki.root.certPem };
      });
      afterAll(async () => {
        await ref?.stop();
      });

      it('client-auth mode and the cert-less client', async () => {
        const [noCert, valid] = await Promise.all([probeEndpoint(base), probeEndpoint({ ...base, cert: pki.client.chainPem, key: pki.client.keyPem })]);
        expect(noCert.protocol).toBe(version);
        expect(valid.rejectedAt, valid.reason).toBe('accepted');
        expect(valid.httpStatus).toBe(200);
        const mode = detectClientAuthMode(noCert, valid);
        expect(mode.mode).toBe(policy.mode);
        expect(mode.method).toBe(version === 'TLSv1.3' ? 'tls1.3-keylog' : 'tls1.2-plaintext');
        if (policy.mode === 'required') {
          // TLS 1.3: the client finishes first, so the refusal arrives after the handshake; TLS 1.2: in it.
          expect(noCert.rejectedAt, noCert.reason).toBe(version === 'TLSv1.3' ? 'post-handshake' : 'handshake');
          // Native verification (requestCert + rejectUnauthorized) lets OpenSSL send the alert; the
          // policies node cannot express natively (trust-any, ignore-dates) refuse by closing after the handshake.
          if (policy.verifiesChain && policy.checksDates) expect(noCert.alert?.code).toBe(version === 'TLSv1.3' ? 116 : 40);
          else expect(noCert.alert).toBeUndefined();
          expect(mode.acceptableCaNames).toEqual([pki.root.cert.subject]);
        } else {
          expect(noCert.rejectedAt).toBe('accepted');
        }
      });

      const crafted: [string, (p: FixturePki) => Credential, (pol: ClientPolicy) => boolean][] = [
        ['untrusted CA with the trusted CA\'s name', (p) => p.badClients.untrustedCa, (pol) => pol.verifiesChain],
        ['self-signed', (p) => p.badClients.selfSigned, (pol) => pol.verifiesChain],
        ['wrong EKU (serverAuth only)', (p) => p.badClients.wrongEku, (pol) => pol.verifiesChain],
        ['expired', (p) => p.badClients.expired, (pol) => pol.checksDates],
        ['not yet valid', (p) => p.badClients.notYetValid, (pol) => pol.checksDates],
        // OpenSSL-based servers, node included, accept a CA certificate as a client leaf (CONFORMANCE.md: warn).
        ['CA certificate as client leaf', (p) => p.badClients.caAsLeaf, () => false],
        ['issued by the intermediate, chain sent', (p) => p.badClients.intermediateIssued, () => false],
      ];
      it.each(crafted)('client cert: %s', async (_name, pick, refused) => {
        const cred = pick(pki);
        const o = await probeEndpoint({ ...base, cert: cred.chainPem, key: cred.keyPem });
        expect(o.clientCertificateOffered).toBe(true);
        if (refused(policy)) expect(['handshake', 'post-handshake'], o.reason).toContain(o.rejectedAt);
        else expect(o.rejectedAt, o.reason).toBe('accepted');
      });

      it('server-side diagnosis', async () => {
        const d = await diagnoseEndpoint({ ...base, cert: pki.client.chainPem, key: pki.client.keyPem });
        const statusOf = (id: Finding['id']) => d.findings.find((f) => f.id === id)?.status;
        const expected = SERVER_FINDINGS[profile] ?? {};
        for (const id of ['server-chain', 'server-expiry', 'san-coverage'] as const) {
          expect(statusOf(id), `${id}: ${d.findings.find((f) => f.id === id)?.finding}`).toBe(expected[id] ?? 'ok');
        }
        for (const f of d.findings) if (f.status === 'problem') expect(f.fix, f.id).toBeTruthy();
        expect(d.enforced).toBe(policy.mode === 'required');
        if (profile === 'incomplete-chain') {
          expect(d.withoutCert.peerChain).toHaveLength(1);
          expect(d.chain.problems.map((p) => p.code)).toContain('issuer-missing');
        }
        if (profile === 'expired-server') expect(d.chain.problems.map((p) => p.code)).toContain('expired');
      });
    });
  }
}

describe('node reference, raw TLS (no HTTP)', () => {
  it.each([['strict', 'post-handshake'], ['optional-client-cert', 'accepted']] as const)('%s: cert-less client %s', async (profile, at) => {
    const ref = await new NodeReference({ profile, pki, protocol: 'tls' }).start();
    try {
      const base = { host: ref.endpoint.host, port: ref.endpoint.port, servername: 'localhost', ca: pki.root.certPem, protocol: 'tls' as const, graceMs: 200 };
      const [noCert, valid] = await Promise.all([probeEndpoint(base), probeEndpoint({ ...base, cert: pki.client.chainPem, key: pki.client.keyPem })]);
      expect(noCert.rejectedAt, noCert.reason).toBe(at);
      expect(valid.rejectedAt, valid.reason).toBe('accepted');
      expect(noCert.httpStatus).toBeUndefined();
    } finally {
      await ref.stop();
    }
  });
});

describe('stability', () => {
  it.each(['TLSv1.3', 'TLSv1.2'] as TlsVersion[])('strict, %s: 20 cert-less probes, one classification', async (maxVersion) => {
    const ref = await new NodeReference({ profile: 'strict', pki, maxVersion }).start();
    try {
      const seen = new Set<string>();
      for (let i = 0; i < 20; i++) {
        const o = await probeEndpoint({ host: ref.endpoint.host, port: ref.endpoint.port, servername: 'localhost', ca: pki.root.certPem });
        seen.add(JSON.stringify([o.rejectedAt, o.alert?.code, o.certificateRequested, o.protocol]));
      }
      expect([...seen]).toEqual([JSON.stringify([maxVersion === 'TLSv1.3' ? 'post-handshake' : 'handshake', maxVersion === 'TLSv1.3' ? 116 : 40, true, maxVersion])]);
    } finally {
      await ref.stop();
    }
  });
});
