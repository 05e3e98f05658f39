// The probe against real third-party TLS servers on loopback: openssl s_server and nginx.
// Every classification is asserted, then repeated 20 times to prove it is deterministic.
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintFixturePki, type FixturePki } from '../src/pki/generate.js';
import { verifyChain } from '../src/pki/verify.js';
import { detectClientAuthMode } from '../src/probe/client-auth.js';
import { probeEndpoint, type ProbeOptions, type ProbeOutcome } from '../src/probe/tls-probe.js';
import type { TlsVersion } from '../src/core/target.js';
import { NGINX, OPENSSL, skipUnless, startNginx, startOpensslServer, type StartedServer } from './helpers/servers.js';

const REPEAT = 20;
let pki: FixturePki;
beforeAll(async () => {
  pki = await mintFixturePki();
});

/** What must not change between repetitions. */
interface Classification {
  at: ProbeOutcome['rejectedAt'];
  alert: number | null;
  http: number | null;
  requested: boolean | null;
  protocol: string | null;
  failure: string | null;
}

function classification(o: ProbeOutcome): Classification {
  return {
    at: o.rejectedAt,
    alert: o.alert?.code ?? null,
    http: o.httpStatus ?? null,
    requested: o.certificateRequested ?? null,
    protocol: o.protocol ?? null,
    failure: o.failure?.kind ?? null,
  };
}

interface Expectation {
  /** No client certificate. */
  noCert: Partial<Pick<ProbeOutcome, 'rejectedAt' | 'httpStatus'>> & { alert?: [number, string] };
  mode: 'required' | 'optional' | 'not-requested';
  method: 'tls1.3-keylog' | 'tls1.2-plaintext';
  /** A client certificate from a CA with the trusted CA's name but another key. */
  untrusted: Partial<Pick<ProbeOutcome, 'rejectedAt' | 'httpStatus'>> & { alert?: [number, string] };
  /** TLS version negotiated. */
  protocol: TlsVersion;
}

interface Case {
  name: string;
  start: () => Promise<StartedServer>;
  probe?: Partial<ProbeOptions>;
  expect: Expectation;
}

const handshake = (code: number, name: string) => ({ rejectedAt: 'handshake' as const, alert: [code, name] as [number, string] });
const postHandshake = (code: number, name: string) => ({ rejectedAt: 'post-handshake' as const, alert: [code, name] as [number, string] });
const served = { rejectedAt: 'accepted' as const, httpStatus: 200 };
const http400 = { rejectedAt: 'application' as const, httpStatus: 400 };

const opensslCases: Case[] = [
  {
    name: 'openssl -Verify 1 -verify_return_error, TLS 1.3',
    start: () => startOpensslServer({ pki, mode: 'required' }),
    expect: {
      noCert: postHandshake(116, 'certificate_required'),
      mode: 'required',
      method: 'tls1.3-keylog',
      untrusted: postHandshake(48, 'unknown_ca'),
      protocol: 'TLSv1.3',
    },
  },
  {
    name: 'openssl -Verify 1 -verify_return_error, capped at TLS 1.2',
    start: () => startOpensslServer({ pki, mode: 'required', tls: '1.2' }),
    expect: {
      noCert: handshake(40, 'handshake_failure'),
      mode: 'required',
      method: 'tls1.2-plaintext',
      untrusted: handshake(48, 'unknown_ca'),
      protocol: 'TLSv1.2',
    },
  },
  {
    name: 'openssl -Verify 1 -verify_return_error, raw TLS (no HTTP), TLS 1.3',
    start: () => startOpensslServer({ pki, mode: 'required', protocol: 'tls' }),
    probe: { protocol: 'tls' },
    expect: {
      noCert: postHandshake(116, 'certificate_required'),
      mode: 'required',
      method: 'tls1.3-keylog',
      untrusted: postHandshake(48, 'unknown_ca'),
      protocol: 'TLSv1.3',
    },
  },
  {
    // -verify (lower case) asks for a certificate and carries on whatever the outcome.
    name: 'openssl -verify 1 (optional), TLS 1.3',
    start: () => startOpensslServer({ pki, mode: 'optional' }),
    expect: { noCert: served, mode: 'optional', method: 'tls1.3-keylog', untrusted: served, protocol: 'TLSv1.3' },
  },
  {
    name: 'openssl -verify 1 (optional), capped at TLS 1.2',
    start: () => startOpensslServer({ pki, mode: 'optional', tls: '1.2' }),
    expect: { noCert: served, mode: 'optional', method: 'tls1.2-plaintext', untrusted: served, protocol: 'TLSv1.2' },
  },
  {
    name: 'openssl without verify (not requested), TLS 1.3',
    start: () => startOpensslServer({ pki, mode: 'none' }),
    expect: { noCert: served, mode: 'not-requested', method: 'tls1.3-keylog', untrusted: served, protocol: 'TLSv1.3' },
  },
  {
    name: 'openssl without verify (not requested), capped at TLS 1.2',
    start: () => startOpensslServer({ pki, mode: 'none', tls: '1.2' }),
    expect: { noCert: served, mode: 'not-requested', method: 'tls1.2-plaintext', untrusted: served, protocol: 'TLSv1.2' },
  },
];

const nginxCases: Case[] = [
  {
    // nginx completes the handshake and refuses at the HTTP layer: "400 No required SSL certificate was sent".
    name: 'nginx ssl_verify_client on, TLS 1.3',
    start: () => startNginx({ pki, verify: 'on' }),
    expect: { noCert: http400, mode: 'required', method: 'tls1.3-keylog', untrusted: http400, protocol: 'TLSv1.3' },
  },
  {
    name: 'nginx ssl_verify_client on, client capped at TLS 1.2',
    start: () => startNginx({ pki, verify: 'on' }),
    probe: { maxVersion: 'TLSv1.2' },
    expect: { noCert: http400, mode: 'required', method: 'tls1.2-plaintext', untrusted: http400, protocol: 'TLSv1.2' },
  },
  {
    // optional: no certificate is served, but a certificate that fails verification is still refused.
    name: 'nginx ssl_verify_client optional, TLS 1.3',
    start: () => startNginx({ pki, verify: 'optional' }),
    expect: { noCert: served, mode: 'optional', method: 'tls1.3-keylog', untrusted: http400, protocol: 'TLSv1.3' },
  },
  {
    name: 'nginx ssl_verify_client off, TLS 1.3',
    start: () => startNginx({ pki, verify: 'off' }),
    expect: { noCert: served, mode: 'not-requested', method: 'tls1.3-keylog', untrusted: served, protocol: 'TLSv1.3' },
  },
];

function expectOutcome(o: ProbeOutcome, e: Expectation['noCert'], protocol: TlsVersion): void {
  expect(o.rejectedAt, o.reason).toBe(e.rejectedAt);
  if (e.alert) expect(o.alert).toMatchObject({ code: e.alert[0], name: e.alert[1] });
  else expect(o.alert).toBeUndefined();
  if (e.httpStatus !== undefined) expect(o.httpStatus).toBe(e.httpStatus);
  expect(o.protocol).toBe(protocol);
  expect(o.reason.length).toBeGreaterThan(10);
}

function suite(title: string, cases: Case[], skip: boolean): void {
  describe.skipIf(skip)(title, () => {
    for (const c of cases) {
      describe(c.name, () => {
        let srv: StartedServer;
        let base: ProbeOptions;
        beforeAll(async () => {
          srv = await c.start();
          base = { host: srv.host, port: srv.port, servername: 'localhost', ca: pki.root.certPem, timeoutMs: 5000, ...c.probe };
        });
        afterAll(async () => {
          await srv?.stop();
        });

        it('classifies the cert-less client, the valid client and an untrusted-CA client', async () => {
          // One after the other: s_server serves one connection at a time.
          const noCert = await probeEndpoint(base);
          const withCert = await probeEndpoint({ ...base, cert: pki.client.chainPem, key: pki.client.keyPem });
          const untrusted = await probeEndpoint({ ...base, cert: pki.badClients.untrustedCa.chainPem, key: pki.badClients.untrustedCa.keyPem });
          const ctx = `server log:\n${srv.logs().slice(-2000)}`;
          expectOutcome(noCert, c.expect.noCert, c.expect.protocol);
          expect(withCert.rejectedAt, `${withCert.reason}\n${ctx}`).toBe('accepted');
          expect(withCert.alert).toBeUndefined();
          expect(withCert.protocol).toBe(c.expect.protocol);
          // Over HTTP the valid client is served (openssl -www: "HTTP/1.0 200 ok"; nginx: 200 + body).
          if (c.probe?.protocol === 'tls') expect(withCert.httpStatus).toBeUndefined();
          else expect(withCert.httpStatus, withCert.httpStatusLine).toBe(200);
          expect(withCert.clientCertificateOffered).toBe(true);
          if (noCert.rejectedAt === 'application') expect(noCert.httpStatusLine).toMatch(/^HTTP\/1\.1 400 /);
          expectOutcome(untrusted, c.expect.untrusted, c.expect.protocol);
          // The server's chain as sent: leaf + intermediate, verified against the root.
          expect(noCert.peerChain.map((s) => s.subject)).toEqual([pki.server.cert.subject, pki.intermediate.cert.subject]);
          expect(noCert.peerChainSource).toBe('wire');
          // node only judges the chain when the handshake completes; the harness's own path builder always can.
          if (noCert.rejectedAt !== 'handshake') expect(noCert.authorized).toBe(true);
          const v = verifyChain(
            noCert.peerChainPem.map((p) => new X509Certificate(p)),
            [new X509Certificate(pki.root.certPem)],
          );
          expect(v.ok, JSON.stringify(v.problems)).toBe(true);

          const mode = detectClientAuthMode(noCert, withCert);
          expect(mode.mode).toBe(c.expect.mode);
          expect(mode.method).toBe(c.expect.method);
          if (c.expect.mode === 'not-requested') {
            expect(noCert.certificateRequested).toBe(false);
            expect(mode.acceptableCaNames).toEqual([]);
          } else {
            expect(noCert.certificateRequested).toBe(true);
            // The server advertises the trusted root by name (the same name as the untrusted CA's!).
            expect(mode.acceptableCaNames).toEqual([pki.root.cert.subject]);
          }
        });

        it(`gives the same classification ${REPEAT} times in a row`, async () => {
          const seen = new Map<string, number>();
          for (let i = 0; i < REPEAT; i++) {
            const k = JSON.stringify(classification(await probeEndpoint(base)));
            seen.set(k, (seen.get(k) ?? 0) + 1);
          }
          // All 20 identical, and identical to what the server really does.
          const expected: Classification = {
            at: c.expect.noCert.rejectedAt!,
            alert: c.expect.noCert.alert?.[0] ?? null,
            http: c.probe?.protocol === 'tls' ? null : (c.expect.noCert.httpStatus ?? null),
            requested: c.expect.mode !== 'not-requested',
            protocol: c.expect.protocol,
            failure: null,
          };
          expect(Object.fromEntries(seen)).toEqual({ [JSON.stringify(expected)]: REPEAT });
        });
      });
    }
  });
}

suite('probe vs openssl s_server', opensslCases, skipUnless(OPENSSL, 'openssl', 'apt-get install openssl'));
suite('probe vs nginx', nginxCases, skipUnless(NGINX, 'nginx', 'apt-get install nginx-light'));
