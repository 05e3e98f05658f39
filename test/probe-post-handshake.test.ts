// What the probe makes of a server's behaviour around the handshake, against real peers on
// 127.0.0.1: a HelloRetryRequest (openssl s_server offering only P-384), alerts in answer to the
// ClientHello, hostile bytes after the handshake (a relay in front of a real node TLS server),
// and per-path client auth by renegotiation or post-handshake authentication (Apache httpd).
// Principle under test: only the server can refuse; an error raised by our own TLS client after
// the handshake is never the server's verdict.
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/run.js';
import { mintFixturePki, type FixturePki } from '../src/pki/generate.js';
import { detectClientAuthMode } from '../src/probe/client-auth.js';
import { probeWithPha } from '../src/probe/pha-client.js';
import { probeEndpoint, type ProbeOptions, type ProbeOutcome } from '../src/probe/tls-probe.js';
import { APACHE, APACHE_MODULES, startApache, startInjectingRelay, type Injection } from './helpers/peers.js';
import { NGINX, startAlertPeer, startNginxRejectHandshake, startOpensslPeer, type ThirdPartyPeer as Peer } from './helpers/third-party.js';

/** openssl s_server with the fixture credentials and these flags (test/helpers/third-party.ts). */
const startOpenssl = (pki: FixturePki, args: string[]) => startOpensslPeer({ pki, args, name: args.join(' ') });

let pki: FixturePki;
beforeAll(async () => {
  pki = await mintFixturePki();
});

const probe = (port: number, extra: Partial<ProbeOptions> = {}) =>
  probeEndpoint({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.root.certPem, timeoutMs: 4000, ...extra });
const withCert = () => ({ cert: pki.client.chainPem, key: pki.client.keyPem });
const show = (o: ProbeOutcome) => JSON.stringify({ ...o, peerChain: undefined, peerChainPem: undefined });

describe('HelloRetryRequest: openssl s_server -groups P-384 (node offers an X25519 key share first)', () => {
  let required: Peer;
  let open: Peer;
  beforeAll(async () => {
    required = await startOpenssl(pki, ['-groups', 'P-384', '-Verify', '1', '-verify_return_error', '-www']);
    open = await startOpenssl(pki, ['-groups', 'P-384', '-www']);
  }, 30_000);
  afterAll(async () => {
    await required?.stop();
    await open?.stop();
  });

  it('-Verify 1: the CertificateRequest is read after the HRR; refused with alert 116; mode required', async () => {
    const noCert = await probe(required.port);
    expect(noCert, show(noCert)).toMatchObject({
      helloRetryRequest: true,
      serverHello: true,
      protocol: 'TLSv1.3',
      certificateRequested: true,
      rejectedAt: 'post-handshake',
      alert: { code: 116, name: 'certificate_required' },
      handshakeInsight: { method: 'tls1.3-keylog' },
    });
    expect(noCert.handshakeInsight.limitation).toBeUndefined();
    expect(noCert.acceptableCaNames).toEqual([pki.root.cert.subject]);
    const ok = await probe(required.port, withCert());
    expect(ok, show(ok)).toMatchObject({ helloRetryRequest: true, certificateRequested: true, rejectedAt: 'accepted', httpStatus: 200 });
    const mode = detectClientAuthMode(noCert, ok);
    expect(mode).toMatchObject({ mode: 'required', method: 'tls1.3-keylog' });
  });

  it('no -Verify: certificateRequested false after the HRR; served; mode not-requested', async () => {
    const noCert = await probe(open.port);
    expect(noCert, show(noCert)).toMatchObject({
      helloRetryRequest: true,
      serverHello: true,
      protocol: 'TLSv1.3',
      certificateRequested: false,
      rejectedAt: 'accepted',
      httpStatus: 200,
      handshakeInsight: { method: 'tls1.3-keylog' },
    });
    expect(detectClientAuthMode(noCert)).toMatchObject({ mode: 'not-requested', method: 'tls1.3-keylog' });
  });

  it('raw TLS (--protocol tls) with -Verify 1: the same reading', async () => {
    const raw = await startOpenssl(pki, ['-groups', 'P-384', '-Verify', '1', '-verify_return_error', '-quiet']);
    try {
      const o = await probe(raw.port, { protocol: 'tls' });
      expect(o, show(o)).toMatchObject({ helloRetryRequest: true, certificateRequested: true, rejectedAt: 'post-handshake', alert: { code: 116 } });
    } finally {
      await raw.stop();
    }
  });

  it('without an HRR (X25519 allowed) the field is absent', async () => {
    const plain = await startOpenssl(pki, ['-www']);
    try {
      const o = await probe(plain.port);
      expect(o.helloRetryRequest).toBeUndefined();
      expect(o).toMatchObject({ serverHello: true, certificateRequested: false, rejectedAt: 'accepted' });
    } finally {
      await plain.stop();
    }
  });
});

describe('an alert in answer to the ClientHello: refused in the handshake, serverHello false', () => {
  it.each([
    [70, 'protocol_version'],
    [112, 'unrecognized_name'],
    [199, 'unknown(199)'],
  ])('a peer that answers any ClientHello with fatal alert %i', async (code, name) => {
    const peer = await startAlertPeer(code);
    try {
      for (const protocol of ['https', 'tls'] as const) {
        const o = await probe(peer.port, { protocol });
        expect(o, show(o)).toMatchObject({ rejectedAt: 'handshake', serverHello: false, alert: { code, name } });
        expect(o.failure).toBeUndefined();
        expect(o.certificateRequested).toBeUndefined();
        expect(o.reason).toBe(`the server refused the TLS handshake with alert ${code} ${name}`);
      }
      expect(peer.logs().match(/answered with alert/g)).toHaveLength(2);
    } finally {
      await peer.stop();
    }
  });

  it.skipIf(!NGINX)('nginx ssl_reject_handshake on: an unknown SNI name gets alert 112 before any ServerHello', async () => {
    const nginx = await startNginxRejectHandshake({ pki });
    try {
      for (const protocol of ['https', 'tls'] as const) {
        const o = await probe(nginx.port, { servername: 'unknown.example', protocol });
        expect(o, show(o)).toMatchObject({ rejectedAt: 'handshake', serverHello: false, alert: { code: 112, name: 'unrecognized_name', level: 2 } });
        expect(o.certificateRequested).toBeUndefined();
      }
      const known = await probe(nginx.port, { servername: 'app.example' });
      expect(known, show(known)).toMatchObject({ rejectedAt: 'accepted', serverHello: true, httpStatus: 200, httpServer: expect.stringMatching(/^nginx/) });
    } finally {
      await nginx.stop();
    }
  });

  it('detail fast (no recording): serverHello inferred from the key log', async () => {
    const peer = await startAlertPeer(70);
    const tls12Required = await startOpenssl(pki, ['-Verify', '1', '-verify_return_error', '-no_tls1_3', '-www']);
    try {
      const before = await probe(peer.port, { detail: 'fast' });
      expect(before, show(before)).toMatchObject({ rejectedAt: 'handshake', serverHello: false, alert: { code: 70 } });
      const after = await probe(tls12Required.port, { detail: 'fast' });
      expect(after, show(after)).toMatchObject({ rejectedAt: 'handshake', serverHello: true, alert: { code: 40 } });
      const served = await probe(tls12Required.port, { detail: 'fast', ...withCert() });
      expect(served, show(served)).toMatchObject({ rejectedAt: 'accepted', serverHello: true });
    } finally {
      await peer.stop();
      await tls12Required.stop();
    }
  });

  it("openssl s_server -tls1_1 (no client auth): node's TLS 1.2+ hello gets alert 70", async () => {
    const old = await startOpenssl(pki, ['-tls1_1', '-cipher', 'DEFAULT:@SECLEVEL=0', '-www']);
    try {
      const o = await probe(old.port);
      expect(o, show(o)).toMatchObject({ rejectedAt: 'handshake', serverHello: false, alert: { code: 70, name: 'protocol_version' } });
      expect(o.protocol).toBeUndefined();
      // The same server completes a TLS 1.1 handshake: it is a TLS server, and then serverHello is true.
      const o11 = await probe(old.port, { minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' });
      expect(o11, show(o11)).toMatchObject({ serverHello: true, protocol: 'TLSv1.1', rejectedAt: 'accepted' });
    } finally {
      await old.stop();
    }
  });
});

describe('after the handshake, only the server can refuse: bytes injected by a relay in front of a real node TLS server', () => {
  const cases: { injection: Exclude<Injection, 'none'>; maxVersion: 'TLSv1.3' | 'TLSv1.2'; code: RegExp; what: RegExp }[] = [
    { injection: 'garbage', maxVersion: 'TLSv1.3', code: /^ERR_SSL_/, what: /bytes that are not a TLS record arrived \(starting 0x[0-9a-f]{16}\)/ },
    {
      injection: 'plaintext-alert',
      maxVersion: 'TLSv1.3',
      code: /^ERR_SSL_/,
      what: /an alert record \(40 handshake_failure\) arrived unprotected, in plaintext, after the TLS 1\.3 ServerHello/,
    },
    {
      injection: 'post-handshake-certificate-request',
      maxVersion: 'TLSv1.3',
      code: /^ERR_SSL_/,
      what: /the server asked for a client certificate after the handshake \(TLS 1\.3 post-handshake authentication\)/,
    },
    { injection: 'garbage', maxVersion: 'TLSv1.2', code: /^ERR_SSL_/, what: /bytes that are not a TLS record arrived \(starting 0x[0-9a-f]{16}\)/ },
    {
      injection: 'plaintext-alert',
      maxVersion: 'TLSv1.2',
      code: /^ERR_SSL_/,
      what: /an alert record \(40 handshake_failure\) arrived unprotected, in plaintext, after the server's ChangeCipherSpec/,
    },
  ];
  for (const c of cases) {
    for (const protocol of ['https', 'tls'] as const) {
      it(`${c.injection}, ${c.maxVersion}, protocol ${protocol} → unreachable, tls-client, phase exchange`, async () => {
        const relay = await startInjectingRelay(pki, c.injection, { maxVersion: c.maxVersion });
        try {
          const o = await probe(relay.port, { protocol, graceMs: 1000 });
          expect(relay.injected(), relay.log.join('\n')).toBe(1);
          expect(o, show(o)).toMatchObject({
            rejectedAt: 'unreachable',
            failure: { kind: 'tls-client', phase: 'exchange' },
            serverHello: true,
            protocol: c.maxVersion,
            certificateRequested: false,
          });
          expect(o.errorCode).toMatch(c.code);
          expect(o.reason).toMatch(new RegExp(`^the harness's TLS client gave up after the handshake \\(${o.errorCode}\\): `));
          expect(o.reason).toMatch(c.what);
          expect(o.reason).toMatch(/; this is not a refusal by the server$/);
          expect(o.alert).toBeUndefined();
          if (c.injection === 'post-handshake-certificate-request') expect(o.postHandshakeAuth).toEqual({ kind: 'tls13' });
          else expect(o.postHandshakeAuth).toBeUndefined();
          console.log(`${c.injection} ${c.maxVersion} ${protocol}: ${o.errorCode} — ${o.reason}`);
        } finally {
          await relay.stop();
        }
      });
    }
  }

  it('controls through the same relay: the server closing after the handshake is a post-handshake refusal; a silent server is accepted', async () => {
    const closing = await startInjectingRelay(pki, 'none', { endAfterMs: 100 });
    const silent = await startInjectingRelay(pki, 'none');
    try {
      for (const protocol of ['https', 'tls'] as const) {
        const c = await probe(closing.port, { protocol, graceMs: 1000 });
        expect(c, show(c)).toMatchObject({ rejectedAt: 'post-handshake', serverHello: true, certificateRequested: false });
        expect(c.failure).toBeUndefined();
        const s = await probe(silent.port, { protocol, graceMs: 300, timeoutMs: 1500 });
        expect(s, show(s)).toMatchObject({ rejectedAt: 'accepted', serverHello: true, certificateRequested: false });
      }
    } finally {
      await closing.stop();
      await silent.stop();
    }
  });
});

if (!APACHE || !APACHE_MODULES)
  console.warn('SKIPPED: Apache httpd (apache2 with mod_ssl) is not installed (apt-get install apache2); the per-path client-auth tests do not run');

describe.skipIf(!APACHE || !APACHE_MODULES)('per-path client auth: Apache httpd, SSLVerifyClient none globally, require in <Location /secure>', () => {
  let apache: Awaited<ReturnType<typeof startApache>>;
  beforeAll(async () => {
    apache = await startApache(pki);
  }, 30_000);
  afterAll(async () => {
    await apache?.stop();
  });
  const logSince = (mark: number) => apache.errorLog().slice(mark);

  it('TLS 1.2, no certificate: the initial handshake asks for none; Apache renegotiates, then refuses the renegotiation with alert 40', async () => {
    const mark = apache.errorLog().length;
    const o = await probe(apache.port, { maxVersion: 'TLSv1.2', httpPath: '/secure' });
    expect(o, show(o)).toMatchObject({
      protocol: 'TLSv1.2',
      serverHello: true,
      certificateRequested: false,
      postHandshakeAuth: { kind: 'renegotiation', certificateRequested: true },
      rejectedAt: 'post-handshake',
      alert: { code: 40, name: 'handshake_failure', level: 2 },
      errorCode: 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE',
    }); // level: read from the wire (decrypted)
    expect(o.httpStatus).toBeUndefined();
    expect(o.reason).toBe(
      'the handshake completed, then the server sent alert 40 handshake_failure, in the renegotiation it started after the handshake to request a client certificate',
    );
    const log = logSince(mark);
    expect(log).toMatch(/AH02221: Requesting connection re-negotiation/);
    expect(log).toMatch(/AH02261: Re-negotiation handshake failed/);
    expect(log).toMatch(/peer did not return a certificate/);
  });

  it('TLS 1.2, a valid certificate: served 200 after the renegotiation', async () => {
    const mark = apache.errorLog().length;
    const o = await probe(apache.port, { maxVersion: 'TLSv1.2', httpPath: '/secure', ...withCert() });
    expect(o, show(o)).toMatchObject({
      protocol: 'TLSv1.2',
      certificateRequested: false,
      postHandshakeAuth: { kind: 'renegotiation', certificateRequested: true },
      rejectedAt: 'accepted',
      httpStatus: 200,
    });
    expect(o.httpServer).toMatch(/^Apache\/2\.\d+\.\d+/);
    expect(logSince(mark)).toMatch(/AH02221: Requesting connection re-negotiation/);
  });

  it('TLS 1.2, a path without client auth: no renegotiation (control)', async () => {
    const o = await probe(apache.port, { maxVersion: 'TLSv1.2', httpPath: '/index.html' });
    expect(o, show(o)).toMatchObject({ protocol: 'TLSv1.2', certificateRequested: false, rejectedAt: 'accepted', httpStatus: 200 });
    expect(o.postHandshakeAuth).toBeUndefined();
  });

  it('TLS 1.3: Apache needs post-handshake auth, which node does not offer: 403 with and without a certificate', async () => {
    const mark = apache.errorLog().length;
    for (const extra of [{}, withCert()]) {
      const o = await probe(apache.port, { maxVersion: 'TLSv1.3', httpPath: '/secure', ...extra });
      expect(o, show(o)).toMatchObject({
        protocol: 'TLSv1.3',
        serverHello: true,
        certificateRequested: false,
        rejectedAt: 'application',
        httpStatus: 403,
        sessionTicket: true,
      });
      expect(o.postHandshakeAuth).toBeUndefined(); // it never sent a CertificateRequest: it could not
      expect(o.httpServer).toMatch(/^Apache\//);
    }
    const log = logSince(mark);
    expect(log.match(/AH10158: cannot perform post-handshake authentication/g)).toHaveLength(2);
    expect(log).toMatch(/extension not received/);
  });

  // TLS 1.3 post-handshake authentication through openssl s_client -enable_pha (src/probe/pha-client.ts).
  const opts = (extra: Partial<ProbeOptions> = {}): ProbeOptions => ({
    host: '127.0.0.1',
    port: apache.port,
    servername: 'localhost',
    ca: pki.root.certPem,
    timeoutMs: 4000,
    httpPath: '/secure',
    ...extra,
  });

  it('no certificate: Apache asks after the handshake, then sends alert 116 certificate_required (not 403)', async () => {
    const mark = apache.errorLog().length;
    const o = await probeWithPha(opts());
    expect(o, show(o)).toMatchObject({
      protocol: 'TLSv1.3',
      certificateRequested: false,
      postHandshakeAuth: { kind: 'tls13' },
      rejectedAt: 'post-handshake',
      alert: { code: 116, name: 'certificate_required' },
      clientCertificateOffered: false,
      client: expect.stringMatching(/^openssl s_client -enable_pha \(OpenSSL \d/),
    });
    expect(o.httpStatus).toBeUndefined();
    expect(o.reason).toMatch(/in answer to the post-handshake authentication it requested \(the client sent none\)/);
    // node's connection first (403: it offered no post_handshake_auth), then the reference client's.
    const log = apache.errorLog().slice(mark);
    expect(log).toMatch(/AH10158: cannot perform post-handshake authentication/);
    expect(log).toMatch(/AH02263: Re-negotiation handshake failed: Client certificate missing/);
  });

  it('the valid certificate: served 200 after the post-handshake authentication; mode required, method post-handshake-auth', async () => {
    const ok = await probeWithPha(opts({ cert: pki.client.chainPem, key: pki.client.keyPem }));
    expect(ok, show(ok)).toMatchObject({ postHandshakeAuth: { kind: 'tls13' }, rejectedAt: 'accepted', httpStatus: 200, clientCertificateOffered: true });
    expect(ok.client).toMatch(/^openssl s_client -enable_pha/);
    const noCert = await probeWithPha(opts());
    expect(detectClientAuthMode(noCert, ok)).toMatchObject({ mode: 'required', method: 'post-handshake-auth' });
  });

  it('a path without client auth is not remade: node served it (200), no reference client', async () => {
    const o = await probeWithPha(opts({ httpPath: '/index.html' }));
    expect(o, show(o)).toMatchObject({ protocol: 'TLSv1.3', rejectedAt: 'accepted', httpStatus: 200 });
    expect(o.client).toBeUndefined();
  });

  it("no PHA-capable client: node's 403 kept, phaUnavailable says why; the mode is unknown (inconclusive), never a verdict", async () => {
    const bin = path.join(os.tmpdir(), 'mtls-no-such-openssl');
    const [noCert, ok] = await Promise.all([probeWithPha(opts(), bin), probeWithPha(opts({ cert: pki.client.chainPem, key: pki.client.keyPem }), bin)]);
    for (const o of [noCert, ok]) {
      expect(o, show(o)).toMatchObject({ rejectedAt: 'application', httpStatus: 403 });
      expect(o.phaUnavailable).toMatch(/^no PHA-capable client: the openssl binary \(.*mtls-no-such-openssl\) could not run \(ENOENT\)$/);
    }
    const mode = detectClientAuthMode(noCert, ok);
    expect(mode).toMatchObject({ mode: 'unknown', method: 'none' });
    expect(mode.inconclusive?.reason).toMatch(/no PHA-capable client/);
    expect(mode.inconclusive?.hint).toMatch(/--tls-max 1\.2/);
  });
});

describe.skipIf(!APACHE || !APACHE_MODULES)('per-path client auth, judged: run and probe against Apache <Location /secure> SSLVerifyClient require', () => {
  let apache: Awaited<ReturnType<typeof startApache>>;
  let dir: string;
  const f = (n: string) => path.join(dir, n);
  beforeAll(async () => {
    apache = await startApache(pki);
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-apache-judged-'));
    await fs.writeFile(f('ca.pem'), pki.root.certPem);
    await fs.writeFile(f('client.pem'), pki.client.chainPem);
    await fs.writeFile(f('client-key.pem'), pki.client.keyPem, { mode: 0o600 });
  }, 30_000);
  afterAll(async () => {
    await apache?.stop();
    await fs.rm(dir, { recursive: true, force: true });
  });
  const cli = async (args: string[]) => {
    let stdout = '';
    const code = await runCli(args, { stdout: { write: (x: string) => (stdout += x) }, stderr: { write: () => undefined }, env: { NO_COLOR: '1' } });
    return { code, stdout };
  };
  const creds = () => ['--servername', 'localhost', '--ca', f('ca.pem'), '--cert', f('client.pem'), '--key', f('client-key.pem')];
  const CHECKS = 'reject.no-client-cert,handshake.client-auth-mode,handshake.accepts-valid-client-cert';

  it('TLS 1.2 (--tls-max 1.2 --path /secure): asked for on the renegotiation, enforced: pass, mode required; probe exit 0', async () => {
    const r = await cli(['run', '--target', `127.0.0.1:${apache.port}`, ...creds(), '--tls-max', '1.2', '--path', '/secure', '--check', CHECKS, '--json', '-']);
    const res = (JSON.parse(r.stdout) as { results: { check: string; status: string; message: string; evidence: Record<string, unknown> }[] }).results;
    const by = (id: string) => res.find((x) => x.check === id)!;
    expect(by('reject.no-client-cert').status, by('reject.no-client-cert').message).toBe('pass');
    expect(by('reject.no-client-cert').evidence).toMatchObject({
      rejectedAt: 'post-handshake',
      alert: { code: 40 },
      postHandshakeAuth: { kind: 'renegotiation' },
    });
    expect(by('handshake.client-auth-mode').status).toBe('pass');
    expect(by('handshake.client-auth-mode').evidence).toMatchObject({ mode: 'required', method: 'renegotiation' });
    expect(by('handshake.accepts-valid-client-cert').status).toBe('pass');
    const p = await cli(['probe', `127.0.0.1:${apache.port}`, ...creds(), '--tls-max', '1.2', '--path', '/secure', '--json']);
    expect(p.code, p.stdout).toBe(0);
    expect(JSON.parse(p.stdout).diagnosis.clientAuth).toMatchObject({ mode: 'required', method: 'renegotiation' });
  });

  it('TLS 1.3 (--path /secure): the 403 connections are remade by openssl s_client -enable_pha: alert 116 without a certificate, 200 with; mode required', async () => {
    const r = await cli(['run', '--target', `127.0.0.1:${apache.port}`, ...creds(), '--path', '/secure', '--check', CHECKS, '--json', '-']);
    const res = (JSON.parse(r.stdout) as { results: { check: string; status: string; message: string; evidence: Record<string, unknown> }[] }).results;
    const by = (id: string) => res.find((x) => x.check === id)!;
    expect(r.code, r.stdout).toBe(0);
    expect(by('reject.no-client-cert').status, by('reject.no-client-cert').message).toBe('pass');
    expect(by('reject.no-client-cert').evidence).toMatchObject({
      rejectedAt: 'post-handshake',
      alert: { code: 116, name: 'certificate_required' },
      postHandshakeAuth: { kind: 'tls13' },
      client: expect.stringMatching(/^openssl s_client -enable_pha \(OpenSSL \d/),
    });
    expect(by('handshake.client-auth-mode').status).toBe('pass');
    expect(by('handshake.client-auth-mode').evidence).toMatchObject({ mode: 'required', method: 'post-handshake-auth' });
    expect(by('handshake.accepts-valid-client-cert').status, by('handshake.accepts-valid-client-cert').message).toBe('pass');
    const p = await cli(['probe', `127.0.0.1:${apache.port}`, ...creds(), '--path', '/secure', '--json']);
    expect(p.code, p.stdout).toBe(0);
    expect(JSON.parse(p.stdout).diagnosis.clientAuth).toMatchObject({ mode: 'required', method: 'post-handshake-auth' });
  });

  for (const tls of [['--tls-max', '1.2'], []]) {
    const version = tls.length > 0 ? 'TLS 1.2 (renegotiation)' : 'TLS 1.3 (post-handshake auth via s_client)';
    it(`several paths, ${version}: --path / --path /secure is one target per path; / served without a certificate, /secure requires one`, async () => {
      const r = await cli([
        'run',
        '--target',
        `127.0.0.1:${apache.port}`,
        ...creds(),
        ...tls,
        '--path',
        '/',
        '--path',
        '/secure',
        '--check',
        CHECKS,
        '--json',
        '-',
      ]);
      const doc = JSON.parse(r.stdout) as {
        targets: { id: string }[];
        results: { targetId: string; check: string; status: string; message: string; evidence: Record<string, unknown> }[];
      };
      const t = `127.0.0.1:${apache.port}`;
      expect(doc.targets.map((x) => x.id)).toEqual([`${t} /`, `${t} /secure`]);
      const by = (path: string, id: string) => doc.results.find((x) => x.targetId === `${t} ${path}` && x.check === id)!;
      expect(by('/', 'reject.no-client-cert').status, by('/', 'reject.no-client-cert').message).toBe('fail');
      expect(by('/', 'handshake.client-auth-mode').evidence).toMatchObject({ mode: 'not-requested' });
      expect(by('/secure', 'reject.no-client-cert').status, by('/secure', 'reject.no-client-cert').message).toBe('pass');
      expect(by('/secure', 'handshake.client-auth-mode').evidence).toMatchObject({
        mode: 'required',
        method: tls.length > 0 ? 'renegotiation' : 'post-handshake-auth',
      });
      for (const path of ['/', '/secure']) expect(by(path, 'handshake.accepts-valid-client-cert').status).toBe('pass');
      expect(r.code).toBe(1);
      // The same from a config file's paths:
      await fs.writeFile(
        f('paths.yaml'),
        `targets:\n  - endpoint: ${t}\n    name: apache\n    servername: localhost\n    ca: ca.pem\n    cert: client.pem\n    key: client-key.pem\n${tls.length > 0 ? '    tlsMax: "1.2"\n' : ''}    paths: [/, /secure]\n`,
      );
      const c = await cli(['run', '--config', f('paths.yaml'), '--check', 'handshake.client-auth-mode', '--json', '-']);
      const cdoc = JSON.parse(c.stdout) as { results: { targetId: string; evidence: { mode: string } }[] };
      expect(cdoc.results.map((x) => [x.targetId, x.evidence.mode])).toEqual([
        ['apache /', 'not-requested'],
        ['apache /secure', 'required'],
      ]);
      const p = await cli(['probe', t, ...creds(), ...tls, '--path', '/', '--path', '/secure']);
      // One row per path in probe's table (its Mode column), and per path in its JSON.
      expect(p.stdout).toMatch(new RegExp(`│ ${t} / +│ not-request`));
      expect(p.stdout).toMatch(new RegExp(`│ ${t} +│ required +│[^\\n]*\\n│ /secure `));
      const pj = await cli(['probe', t, ...creds(), ...tls, '--path', '/', '--path', '/secure', '--json']);
      const diagnoses = (JSON.parse(pj.stdout) as { diagnoses: { target: string; clientAuth: { mode: string } }[] }).diagnoses;
      expect(diagnoses.map((d) => [d.target, d.clientAuth.mode])).toEqual([
        [`${t} /`, 'not-requested'],
        [`${t} /secure`, 'required'],
      ]);
    });
  }

  it('TLS 1.3 without a PHA-capable client (MTLS_OPENSSL names no binary): inconclusive, never a verdict; nothing blamed on the trust configuration', async () => {
    const env = process.env.MTLS_OPENSSL;
    process.env.MTLS_OPENSSL = path.join(dir, 'no-such-openssl');
    try {
      const r = await cli(['run', '--target', `127.0.0.1:${apache.port}`, ...creds(), '--path', '/secure', '--check', CHECKS, '--json', '-']);
      const res = (JSON.parse(r.stdout) as { results: { check: string; status: string; message: string; remediation?: string }[] }).results;
      const by = (id: string) => res.find((x) => x.check === id)!;
      expect(r.code).toBe(1);
      expect(by('reject.no-client-cert').status).toBe('error');
      expect(by('reject.no-client-cert').message).toMatch(/inconclusive: .*403/);
      expect(by('handshake.client-auth-mode').status).toBe('error');
      expect(by('handshake.client-auth-mode').message).toMatch(/no PHA-capable client: the openssl binary .* could not run/);
      // The valid client's 403 is not a trust problem: the server never asked for a certificate on TLS 1.3.
      expect(by('handshake.accepts-valid-client-cert').status).toBe('error');
      expect(by('handshake.accepts-valid-client-cert').remediation ?? '').not.toMatch(/trust|ssl_client_certificate|SSLCACertificateFile/);
      const p = await cli(['probe', `127.0.0.1:${apache.port}`, ...creds(), '--path', '/secure']);
      expect(p.code).toBe(1);
      expect(p.stdout).toMatch(/Verdict: inconclusive/);
      expect(p.stdout).toMatch(/--tls-max 1\.2/);
      expect(p.stdout).not.toMatch(/client-CA bundle|trust the CA|SSLCACertificateFile/);
    } finally {
      if (env === undefined) delete process.env.MTLS_OPENSSL;
      else process.env.MTLS_OPENSSL = env;
    }
  });
});

describe('the HTTP Server header', () => {
  it('is kept as printable ASCII, at most 100 characters', async () => {
    const tls = await import('node:tls');
    const srv = tls.createServer({ cert: pki.server.chainPem, key: pki.server.keyPem }, (s) => {
      s.on('error', () => undefined);
      s.once('data', () => s.end(`HTTP/1.1 200 OK\r\nContent-Length: 0\r\nserver:   evil\u001b[31m/1.0 ${'x'.repeat(200)}\r\nX-Server: no\r\n\r\n`));
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    try {
      const o = await probe((srv.address() as import('node:net').AddressInfo).port);
      expect(o.rejectedAt).toBe('accepted');
      expect(o.httpServer).toBe(`evil?[31m/1.0 ${'x'.repeat(86)}`);
      expect(o.httpServer).toHaveLength(100);
    } finally {
      await new Promise((r) => srv.close(r));
    }
  });
});
