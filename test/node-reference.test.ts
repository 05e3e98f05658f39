// The in-process node reference in every profile it supports, probed over real TLS on loopback.
// Expectations come from CONFORMANCE.md's profile table, stated as properties of each profile.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintFixturePki, type Credential, type FixturePki } from '../src/pki/generate.js';
import { detectClientAuthMode } from '../src/probe/client-auth.js';
import { diagnoseEndpoint, type Finding } from '../src/probe/diagnose.js';
import { probeEndpoint, type ProbeOptions } from '../src/probe/tls-probe.js';
import type { TlsVersion } from '../src/core/target.js';
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

it('runs every static profile of CONFORMANCE.md in-process; the rotation profiles run node as a process', () => {
  // revocation-ocsp: node:tls checks no client certificate by OCSP (declared unsupported).
  expect([...NODE_PROFILES].sort()).toEqual(PROFILES.filter((p) => !p.startsWith('rotation-') && p !== 'revocation-ocsp').sort());
  expect(() => new NodeReference({ profile: 'rotation-graceful' })).toThrow(
    /does not run profile "rotation-graceful" \(rotation profiles start node as a process/,
  );
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
          if (policy.verifiesChain && policy.checksDates) {
            expect(noCert.alert).toEqual(
              version === 'TLSv1.3' ? { code: 116, name: 'certificate_required', level: 2 } : { code: 40, name: 'handshake_failure', level: 2 },
            );
            expect(noCert.reason).toBe(
              version === 'TLSv1.3'
                ? 'the handshake completed, then the server sent alert 116 certificate_required'
                : 'the server refused the TLS handshake with alert 40 handshake_failure',
            );
          } else {
            expect(noCert.alert).toBeUndefined();
          }
          expect(noCert.certificateRequested).toBe(true);
          expect(mode.acceptableCaNames).toEqual([pki.root.cert.subject]);
        } else {
          expect(noCert.rejectedAt, noCert.reason).toBe('accepted');
          expect(noCert.httpStatus).toBe(200);
          expect(noCert.certificateRequested).toBe(policy.mode === 'optional');
          if (policy.mode === 'optional') expect(mode.acceptableCaNames).toEqual([pki.root.cert.subject]);
        }
      });

      const crafted: [string, (p: FixturePki) => Credential, (pol: ClientPolicy) => boolean][] = [
        ["untrusted CA with the trusted CA's name", (p) => p.badClients.untrustedCa, (pol) => pol.verifiesChain],
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
        if (refused(policy)) {
          // Node verifies a presented certificate itself once OpenSSL's handshake is done and then
          // destroys the socket: a close without an alert, before our TLS 1.2 handshake completes
          // (the server's Finished is never flushed), after it on TLS 1.3.
          expect(o.rejectedAt, o.reason).toBe(version === 'TLSv1.3' ? 'post-handshake' : 'handshake');
          expect(o.alert, o.reason).toBeUndefined();
        } else {
          expect(o.rejectedAt, o.reason).toBe('accepted');
          expect(o.httpStatus).toBe(200);
        }
      });

      it('server-side diagnosis', async () => {
        const d = await diagnoseEndpoint({ ...base, cert: pki.client.chainPem, key: pki.client.keyPem });
        const statusOf = (id: Finding['id']) => d.findings.find((f) => f.id === id)?.status;
        const expected = SERVER_FINDINGS[profile] ?? {};
        for (const id of ['server-chain', 'server-expiry', 'san-coverage'] as const) {
          expect(statusOf(id), `${id}: ${d.findings.find((f) => f.id === id)?.finding}`).toBe(expected[id] ?? 'ok');
        }
        for (const f of d.findings) if (f.status === 'problem') expect(f.fix, f.id).toBeTruthy();
        // Required and verified: a self-signed certificate is refused too (probe presents one).
        const verified = policy.mode === 'required' && policy.verifiesChain;
        expect(d.enforced).toBe(verified);
        expect(!!d.trustsAnyCertificate).toBe(policy.mode === 'required' && !policy.verifiesChain);
        expect(d.unreachable).toBe(false);
        expect(d.clientAuth.mode).toBe(policy.mode);
        expect(statusOf('client-auth-mode')).toBe(verified ? 'ok' : 'problem');
        expect(statusOf('without-cert')).toBe(policy.mode === 'required' ? 'ok' : 'problem');
        expect(statusOf('with-cert')).toBe('ok');
        if (profile === 'incomplete-chain') {
          expect(d.withoutCert.peerChain).toHaveLength(1);
          expect(d.chain.problems.map((p) => p.code)).toContain('issuer-missing');
        }
        if (profile === 'expired-server') expect(d.chain.problems.map((p) => p.code)).toContain('expired');
      });
    });
  }
}

describe('strict over both protocol variants (https answers HTTP, tls only holds the connection)', () => {
  const cases: ['https' | 'tls', TlsVersion][] = [
    ['https', 'TLSv1.3'],
    ['https', 'TLSv1.2'],
    ['tls', 'TLSv1.3'],
    ['tls', 'TLSv1.2'],
  ];
  it.each(cases)('%s, %s: no cert refused with the alert, valid cert accepted, untrusted CA refused', async (protocol, maxVersion) => {
    const ref = await new NodeReference({ profile: 'strict', pki, protocol, maxVersion }).start();
    try {
      const base: ProbeOptions = { host: ref.endpoint.host, port: ref.endpoint.port, servername: 'localhost', ca: pki.root.certPem, protocol, graceMs: 200 };
      const [noCert, valid, untrusted] = await Promise.all([
        probeEndpoint(base),
        probeEndpoint({ ...base, cert: pki.client.chainPem, key: pki.client.keyPem }),
        probeEndpoint({ ...base, cert: pki.badClients.untrustedCa.chainPem, key: pki.badClients.untrustedCa.keyPem }),
      ]);
      const refusedAt = maxVersion === 'TLSv1.3' ? 'post-handshake' : 'handshake';
      expect(noCert.rejectedAt, noCert.reason).toBe(refusedAt);
      expect(noCert.alert?.code).toBe(maxVersion === 'TLSv1.3' ? 116 : 40);
      expect(detectClientAuthMode(noCert, valid).mode).toBe('required');
      expect(valid.rejectedAt, valid.reason).toBe('accepted');
      expect(valid.protocol).toBe(maxVersion);
      expect(untrusted.rejectedAt, untrusted.reason).toBe(refusedAt);
      if (protocol === 'https') {
        expect(valid.httpStatus).toBe(200);
        expect(valid.reason).toBe('the request was served: HTTP/1.1 200 OK');
      } else {
        expect(valid.httpStatus).toBeUndefined();
        expect(valid.reason).toBe('the server completed the handshake and kept the connection open for 200 ms');
      }
    } finally {
      await ref.stop();
    }
  });

  it('optional-client-cert over raw TLS: the cert-less client is held open (accepted)', async () => {
    const ref = await new NodeReference({ profile: 'optional-client-cert', pki, protocol: 'tls' }).start();
    try {
      const o = await probeEndpoint({
        host: ref.endpoint.host,
        port: ref.endpoint.port,
        servername: 'localhost',
        ca: pki.root.certPem,
        protocol: 'tls',
        graceMs: 200,
      });
      expect(o.rejectedAt, o.reason).toBe('accepted');
      expect(o.certificateRequested).toBe(true);
      expect(o.httpStatus).toBeUndefined();
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
      // The control: the valid client, accepted.
      const valid = await probeEndpoint({
        host: ref.endpoint.host,
        port: ref.endpoint.port,
        servername: 'localhost',
        ca: pki.root.certPem,
        cert: pki.client.chainPem,
        key: pki.client.keyPem,
      });
      for (let i = 0; i < 20; i++) {
        const o = await probeEndpoint({ host: ref.endpoint.host, port: ref.endpoint.port, servername: 'localhost', ca: pki.root.certPem });
        seen.add(
          JSON.stringify([
            o.rejectedAt,
            o.alert?.code,
            o.reason,
            o.certificateRequested,
            o.handshakeInsight.method,
            o.protocol,
            detectClientAuthMode(o, valid).mode,
          ]),
        );
      }
      const tls13 = maxVersion === 'TLSv1.3';
      expect([...seen]).toEqual([
        JSON.stringify([
          tls13 ? 'post-handshake' : 'handshake',
          tls13 ? 116 : 40,
          tls13
            ? 'the handshake completed, then the server sent alert 116 certificate_required'
            : 'the server refused the TLS handshake with alert 40 handshake_failure',
          true,
          tls13 ? 'tls1.3-keylog' : 'tls1.2-plaintext',
          maxVersion,
          'required',
        ]),
      ]);
    } finally {
      await ref.stop();
    }
  });
});
