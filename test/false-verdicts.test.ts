// False verdicts, reproduced against real third-party peers (test/helpers/third-party.ts): servers
// that do NOT enforce client certificates — or do not verify them — and that the harness once called
// "enforced". Each case asserts the CORRECT verdict per CONFORMANCE.md "Rejection, precisely" and
// "Controls": a refusal is evidence only against an accepted control, a refusal that answers the
// ClientHello itself is never about client certificates, and nothing passes on the strength of a
// refusal that also met the valid client. `run` and `probe` are run in-process (runCli).
import { promises as fs } from 'node:fs';
import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/run.js';
import { mintFixturePki, type FixturePki } from '../src/pki/generate.js';
import { skipUnless } from './helpers/servers.js';
import {
  GO,
  HAPROXY,
  MOSQUITTO,
  NGINX,
  OPENSSL,
  REDIS,
  startAlertPeer,
  startGoTlsServer,
  startHaproxyIgnoreErrors,
  startMosquitto,
  startNginxRejectHandshake,
  startOpensslHelloRetry,
  startOpensslTls11Only,
  startOpensslTls12Required,
  startRedisTls,
  type ThirdPartyPeer,
} from './helpers/third-party.js';

interface Result {
  check: string;
  status: string;
  message: string;
  evidence: { rejectedAt?: string; alert?: { code: number; name: string } } & Record<string, unknown>;
}
interface RunReport {
  results: Result[];
}
interface ProbeOutcomeJson {
  rejectedAt: string;
  reason: string;
  alert?: { code: number; name: string };
  protocol?: string;
  certificateRequested?: boolean;
  helloRetryRequest?: boolean;
}
interface DiagnosisJson {
  enforced: boolean;
  unreachable: boolean;
  clientAuth: { mode: string; method: string; evidence: string; caveat?: string };
  withoutCert: ProbeOutcomeJson;
  withCert?: ProbeOutcomeJson;
  findings: { id: string; status: string; finding: string }[];
}

let dir: string;
let pki: FixturePki;
const f = (n: string) => path.join(dir, n);
let creds: string[];
let caKey: string[];

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-false-verdicts-'));
  pki = await mintFixturePki();
  await fs.writeFile(f('ca.pem'), pki.root.certPem);
  await fs.writeFile(f('ca-key.pem'), pki.root.keyPem, { mode: 0o600 });
  await fs.writeFile(f('client.pem'), pki.client.chainPem);
  await fs.writeFile(f('client-key.pem'), pki.client.keyPem, { mode: 0o600 });
  creds = ['--ca', f('ca.pem'), '--cert', f('client.pem'), '--key', f('client-key.pem')];
  caKey = ['--ca-key', f('ca-key.pem')];
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: { NO_COLOR: '1', CI: 'true' },
  });
  return { code, stdout, stderr };
}

let runs = 0;
/** `run --target 127.0.0.1:PORT ARGS --json FILE`: the report, and a summary of it for failure messages. */
async function run(peer: ThirdPartyPeer, args: string[]): Promise<{ code: number; report: RunReport; summary: string; byId: (id: string) => Result }> {
  const file = f(`run-${++runs}.json`);
  const r = await cli(['run', '--target', `127.0.0.1:${peer.port}`, ...args, '--quiet', '--json', file]);
  const report = JSON.parse(await fs.readFile(file, 'utf8')) as RunReport;
  const summary =
    `${peer.name} on port ${peer.port}, run ${args.filter((a) => !a.startsWith('/')).join(' ')} (exit ${r.code}):\n` +
    report.results
      .map(
        (x) =>
          `  ${x.check} ${x.status}${x.evidence?.rejectedAt ? ` [${x.evidence.rejectedAt}${x.evidence.alert ? ` ${x.evidence.alert.code}` : ''}]` : ''}: ${x.message}`,
      )
      .join('\n');
  const byId = (id: string) => {
    const x = report.results.find((y) => y.check === id);
    if (!x) throw new Error(`no result for ${id}\n${summary}`);
    return x;
  };
  return { code: r.code, report, summary, byId };
}

/** `probe 127.0.0.1:PORT ARGS --json`: exit code and diagnosis; and the table (for the verdict line). */
async function probe(peer: ThirdPartyPeer, args: string[]): Promise<{ code: number; d: DiagnosisJson; text: string; summary: string }> {
  const j = await cli(['probe', `127.0.0.1:${peer.port}`, ...args, '--json']);
  const t = await cli(['probe', `127.0.0.1:${peer.port}`, ...args]);
  const d = (JSON.parse(j.stdout) as { diagnosis: DiagnosisJson }).diagnosis;
  const verdict = t.stdout.split('\n').find((l) => l.startsWith('Verdict')) ?? '(no verdict line)';
  const summary =
    `${peer.name} on port ${peer.port}, probe ${args.filter((a) => !a.startsWith('/')).join(' ')}: exit ${j.code}/${t.code}; ${verdict}; mode ${d.clientAuth.mode} (${d.clientAuth.evidence}); ` +
    `without cert ${d.withoutCert.rejectedAt}${d.withoutCert.alert ? ` alert ${d.withoutCert.alert.code}` : ''}; with cert ${d.withCert?.rejectedAt ?? '-'}${d.withCert?.alert ? ` alert ${d.withCert.alert.code}` : ''}\n${t.stdout}`;
  expect(t.code, summary).toBe(j.code);
  return { code: j.code, d, text: t.stdout, summary };
}

const CRAFTED_REJECTIONS = [
  'chain.rejects-untrusted-ca-client',
  'chain.rejects-self-signed-client',
  'chain.rejects-wrong-eku-client',
  'chain.rejects-ca-as-client',
  'expiry.rejects-expired-client',
  'expiry.rejects-not-yet-valid-client',
];
/** The five whose acceptance is `fail` (the CA-as-leaf one is `warn` when accepted). */
const FIVE = CRAFTED_REJECTIONS.filter((id) => id !== 'chain.rejects-ca-as-client');
const REFUSED = new Set(['handshake', 'post-handshake', 'application']);

/** No check passes on the strength of a refusal (the valid client was refused the same way). */
function expectNoPassOnRefusal(r: { report: RunReport; summary: string }): void {
  const passedOnRefusal = r.report.results
    .filter((x) => x.status === 'pass' && x.check !== 'reject.plaintext' && REFUSED.has(x.evidence?.rejectedAt ?? ''))
    .map((x) => x.check);
  expect(passedOnRefusal, r.summary).toEqual([]);
}

async function stop(peer: ThirdPartyPeer | undefined): Promise<void> {
  await peer?.stop();
}

describe.skipIf(skipUnless(NGINX, 'nginx', 'apt-get install nginx-light'))(
  '1. nginx: default_server ssl_reject_handshake on, vhost app.example serves anyone',
  () => {
    let peer: ThirdPartyPeer;
    beforeAll(async () => {
      peer = await startNginxRejectHandshake({ pki });
    });
    afterAll(() => stop(peer));

    it('probed by IP (no SNI): alert 112 to the ClientHello is not enforcement: probe exit 1', async () => {
      const p = await probe(peer, creds);
      expect(p.d.withoutCert.rejectedAt, p.summary).toBe('handshake');
      expect(p.d.withoutCert.alert?.code, p.summary).toBe(112);
      expect(p.d.withCert?.rejectedAt, p.summary).toBe('handshake');
      expect(p.d.withCert?.alert?.code, p.summary).toBe(112);
      expect(p.d.enforced, p.summary).toBe(false);
      expect(p.d.clientAuth.mode, p.summary).not.toBe('required');
      expect(p.text, p.summary).not.toMatch(/client certificates are enforced/);
      expect(p.code, p.summary).toBe(1);
    });

    it('run by IP (no SNI): no-client-cert and mode inconclusive (error), the valid client fails, nothing passes on a refusal', async () => {
      const r = await run(peer, [...creds, ...caKey]);
      const noCert = r.byId('reject.no-client-cert');
      expect(noCert.status, r.summary).toBe('error');
      expect(noCert.message, r.summary).toMatch(/inconclusive/i);
      expect(noCert.evidence.rejectedAt, r.summary).toBe('handshake');
      expect(noCert.evidence.alert?.code, r.summary).toBe(112);
      expect(r.byId('handshake.client-auth-mode').status, r.summary).toBe('error');
      // Refused before any certificate was asked for: the valid client was not judged (error, not fail).
      expect(r.byId('handshake.accepts-valid-client-cert').status, r.summary).toBe('error');
      expect(r.byId('handshake.accepts-valid-client-cert').evidence.alert?.code, r.summary).toBe(112);
      expectNoPassOnRefusal(r);
      expect(r.code).toBe(1);
    });

    it('with --servername app.example: served without a certificate: no-client-cert fail, mode fail (not-requested)', async () => {
      const sni = ['--servername', 'app.example'];
      const r = await run(peer, [...creds, ...sni, ...caKey]);
      expect(r.byId('reject.no-client-cert').status, r.summary).toBe('fail');
      expect(r.byId('reject.no-client-cert').evidence.rejectedAt, r.summary).toBe('accepted');
      expect(r.byId('handshake.client-auth-mode').status, r.summary).toBe('fail');
      expect(r.byId('handshake.client-auth-mode').message, r.summary).toMatch(/not.requested/i);
      const p = await probe(peer, [...creds, ...sni]);
      expect(p.d.clientAuth.mode, p.summary).toBe('not-requested');
      expect(p.code, p.summary).toBe(1);
    });
  },
);

describe.skipIf(skipUnless(OPENSSL, 'openssl', 'apt-get install openssl'))('2. openssl s_server: alert 70 protocol_version is not enforcement', () => {
  describe('-tls1_1 -cipher DEFAULT:@SECLEVEL=0 -www (no client auth at all)', () => {
    let peer: ThirdPartyPeer;
    beforeAll(async () => {
      peer = await startOpensslTls11Only(pki);
    });
    afterAll(() => stop(peer));

    it('probe, with and without a valid client: not "enforced", exit 1', async () => {
      for (const args of [creds, ['--ca', f('ca.pem')]]) {
        const p = await probe(peer, args);
        expect(p.d.withoutCert.rejectedAt, p.summary).toBe('handshake');
        expect(p.d.withoutCert.alert?.code, p.summary).toBe(70);
        expect(p.d.enforced, p.summary).toBe(false);
        expect(p.text, p.summary).not.toMatch(/client certificates are enforced/);
        expect(p.code, p.summary).toBe(1);
      }
    });

    it('run: no-client-cert and mode inconclusive (error)', async () => {
      const r = await run(peer, [...creds, ...caKey]);
      const noCert = r.byId('reject.no-client-cert');
      expect(noCert.status, r.summary).toBe('error');
      expect(noCert.message, r.summary).toMatch(/inconclusive/i);
      expect(noCert.evidence.rejectedAt, r.summary).toBe('handshake');
      expect(noCert.evidence.alert?.code, r.summary).toBe(70);
      expect(r.byId('handshake.client-auth-mode').status, r.summary).toBe('error');
      expectNoPassOnRefusal(r);
    });
  });

  describe('-tls1_2 -Verify 1 -www, probed with --tls-min 1.3', () => {
    let peer: ThirdPartyPeer;
    beforeAll(async () => {
      peer = await startOpensslTls12Required(pki);
    });
    afterAll(() => stop(peer));

    it('the version refusal (alert 70) is not enforcement: probe exit 1', async () => {
      const p = await probe(peer, [...creds, '--tls-min', '1.3']);
      expect(p.d.withoutCert.rejectedAt, p.summary).toBe('handshake');
      expect(p.d.withoutCert.alert?.code, p.summary).toBe(70);
      expect(p.d.enforced, p.summary).toBe(false);
      expect(p.text, p.summary).not.toMatch(/client certificates are enforced/);
      expect(p.code, p.summary).toBe(1);
    });
  });
});

describe('3. synthetic: a fatal alert of any code answers every ClientHello', () => {
  for (const code of [199, 40]) {
    describe(`alert ${code}`, () => {
      let peer: ThirdPartyPeer;
      beforeAll(async () => {
        peer = await startAlertPeer(code);
      });
      afterAll(() => stop(peer));

      it('run: reject.no-client-cert error (no ServerHello: not about client certificates); probe exit 1', async () => {
        const r = await run(peer, [...creds, ...caKey]);
        const noCert = r.byId('reject.no-client-cert');
        expect(noCert.status, r.summary).toBe('error');
        expect(noCert.message, r.summary).toMatch(/inconclusive/i);
        expect(noCert.evidence.rejectedAt, r.summary).toBe('handshake');
        expect(noCert.evidence.alert?.code, r.summary).toBe(code);
        expect(r.byId('handshake.client-auth-mode').status, r.summary).not.toBe('pass');
        expectNoPassOnRefusal(r);
        const p = await probe(peer, creds);
        expect(p.d.withoutCert.alert?.code, p.summary).toBe(code);
        expect(p.d.enforced, p.summary).toBe(false);
        expect(p.text, p.summary).not.toMatch(/client certificates are enforced/);
        expect(p.code, p.summary).toBe(1);
      });
    });
  }
});

describe('4. TLS brokers that do not speak HTTP: detected without --protocol, and probed as HTTPS when told to', () => {
  const brokers: { name: string; bin: string | undefined; install: string; start: () => Promise<ThirdPartyPeer> }[] = [
    {
      name: 'mosquitto, require_certificate false',
      bin: MOSQUITTO,
      install: 'apt-get install mosquitto',
      start: () => startMosquitto({ pki, requireCertificate: false }),
    },
    { name: 'redis-server, tls-auth-clients no', bin: REDIS, install: 'apt-get install redis-server', start: () => startRedisTls({ pki }) },
  ];
  for (const b of brokers) {
    describe.skipIf(skipUnless(b.bin, b.name.split(',')[0]!, b.install))(b.name, () => {
      let peer: ThirdPartyPeer;
      beforeAll(async () => {
        peer = await b.start();
      });
      afterAll(() => stop(peer));

      it('no --protocol: detected from its answer to its own protocol, so the open broker fails', async () => {
        const r = await run(peer, [...creds, ...caKey]);
        expect(r.byId('reject.no-client-cert').status, r.summary).toBe('fail');
        expect(r.byId('reject.no-client-cert').evidence.rejectedAt, r.summary).toBe('accepted');
        expectNoPassOnRefusal(r);
      });

      it('--protocol https: the valid client is closed on the same way, so nothing passes: no-client-cert and every crafted rejection error', async () => {
        const r = await run(peer, [...creds, ...caKey, '--protocol', 'https']);
        const noCert = r.byId('reject.no-client-cert');
        expect(noCert.status, r.summary).toBe('error');
        expect(noCert.message, r.summary).toMatch(/inconclusive/i);
        expect(noCert.message, r.summary).toMatch(/--protocol tls/);
        expect(noCert.evidence.rejectedAt, r.summary).toBe('post-handshake');
        expect(noCert.evidence.alert, r.summary).toBeUndefined();
        // The broker never asked for a certificate and closed on the HTTP request: not about the certificate.
        const valid = r.byId('handshake.accepts-valid-client-cert');
        expect(valid.status, r.summary).toBe('error');
        expect(valid.message, r.summary).toMatch(/never asked for a certificate.*--protocol tls/);
        expect(r.byId('handshake.client-auth-mode').status, r.summary).not.toBe('pass');
        for (const id of CRAFTED_REJECTIONS) expect(r.byId(id).status, `${id}\n${r.summary}`).toBe('error');
        expectNoPassOnRefusal(r);
        const p = await probe(peer, creds);
        expect(p.d.enforced, p.summary).toBe(false);
        expect(p.code, p.summary).toBe(1);
      });

      it('--protocol tls: the broker accepts everything: no-client-cert fail, crafted rejections fail', async () => {
        const r = await run(peer, [...creds, ...caKey, '--protocol', 'tls']);
        expect(r.byId('reject.no-client-cert').status, r.summary).toBe('fail');
        expect(r.byId('reject.no-client-cert').evidence.rejectedAt, r.summary).toBe('accepted');
        expect(r.byId('handshake.accepts-valid-client-cert').status, r.summary).toBe('pass');
        expect(r.byId('handshake.client-auth-mode').status, r.summary).toBe('fail');
        for (const id of FIVE) expect(r.byId(id).status, `${id}\n${r.summary}`).toBe('fail');
        expect(r.byId('chain.rejects-ca-as-client').status, r.summary).toBe('warn');
      });
    });
  }

  describe.skipIf(skipUnless(MOSQUITTO, 'mosquitto', 'apt-get install mosquitto'))(
    'mosquitto, require_certificate true (the control: it verifies with OpenSSL)',
    () => {
      let peer: ThirdPartyPeer;
      beforeAll(async () => {
        peer = await startMosquitto({ pki, requireCertificate: true });
      });
      afterAll(() => stop(peer));

      it('--protocol tls: no-client-cert pass (116 after the handshake), the crafted clients refused with their alerts', async () => {
        const r = await run(peer, [...creds, ...caKey, '--protocol', 'tls']);
        const noCert = r.byId('reject.no-client-cert');
        expect(noCert.status, r.summary).toBe('pass');
        expect(noCert.evidence.rejectedAt, r.summary).toBe('post-handshake');
        expect(noCert.evidence.alert?.code, r.summary).toBe(116);
        expect(r.byId('handshake.accepts-valid-client-cert').status, r.summary).toBe('pass');
        expect(r.byId('handshake.client-auth-mode').status, r.summary).toBe('pass');
        const alerts: Record<string, number> = {
          'chain.rejects-untrusted-ca-client': 48,
          'chain.rejects-self-signed-client': 48,
          'chain.rejects-wrong-eku-client': 43,
          'expiry.rejects-expired-client': 45,
          'expiry.rejects-not-yet-valid-client': 42,
        };
        for (const [id, alert] of Object.entries(alerts)) {
          expect(r.byId(id).status, `${id}\n${r.summary}`).toBe('pass');
          expect(r.byId(id).evidence.rejectedAt, `${id}\n${r.summary}`).toBe('post-handshake');
          expect(r.byId(id).evidence.alert?.code, `${id}\n${r.summary}`).toBe(alert);
        }
        // OpenSSL accepts a CA:TRUE leaf by default (CONFORMANCE.md: warn, never fail).
        expect(r.byId('chain.rejects-ca-as-client').status, r.summary).toBe('warn');
        expect(r.code, r.summary).toBe(0);
      });
    },
  );
});

describe('5. a client certificate required but never verified', () => {
  const selfSigned = async () => {
    await fs.writeFile(f('self-signed.pem'), pki.badClients.selfSigned.chainPem);
    await fs.writeFile(f('self-signed-key.pem'), pki.badClients.selfSigned.keyPem, { mode: 0o600 });
  };
  const expectNotVerified = async (peer: ThirdPartyPeer) => {
    await selfSigned();
    // The probe presents a self-signed client too (no CA key needed) and says what it saw.
    const p = await probe(peer, creds);
    expect(p.d.withoutCert.rejectedAt, p.summary).toBe('post-handshake');
    expect(p.d.withCert?.rejectedAt, p.summary).toBe('accepted');
    expect(p.d.enforced, p.summary).toBe(false);
    expect(p.text, p.summary).toMatch(/self-signed certificate was accepted/);
    expect(JSON.stringify(p.d), p.summary).toMatch(/self-signed certificate was accepted/);
    expect(p.code, p.summary).toBe(1);
    const r = await run(peer, [...creds, ...caKey]);
    for (const id of ['chain.rejects-self-signed-client', 'chain.rejects-untrusted-ca-client']) {
      expect(r.byId(id).status, `${id}\n${r.summary}`).toBe('fail');
      expect(r.byId(id).evidence.rejectedAt, `${id}\n${r.summary}`).toBe('accepted');
    }
  };

  describe.skipIf(skipUnless(GO, 'go', 'apt-get install golang-go'))(
    'Go crypto/tls, ClientAuth RequireAnyClientCert (fixtures/go/tlsserver -client-auth require-any)',
    () => {
      let peer: Awaited<ReturnType<typeof startGoTlsServer>>;
      beforeAll(async () => {
        peer = await startGoTlsServer({ pki, clientAuth: 'require-any' });
      }, 120_000);
      afterAll(async () => {
        await stop(peer);
        await peer?.removeBuild();
      });

      it('probe: "required but not verified: a self-signed certificate was accepted", exit 1; run: the chain checks fail', async () => {
        await expectNotVerified(peer);
      });
    },
  );

  describe.skipIf(skipUnless(HAPROXY, 'haproxy', 'apt-get install haproxy'))('haproxy verify required crt-ignore-err all ca-ignore-err all', () => {
    let peer: ThirdPartyPeer;
    beforeAll(async () => {
      peer = await startHaproxyIgnoreErrors({ pki });
    });
    afterAll(() => stop(peer));

    it('probe: "required but not verified: a self-signed certificate was accepted", exit 1; run: the chain checks fail', async () => {
      await expectNotVerified(peer);
    });
  });
});

describe.skipIf(skipUnless(OPENSSL, 'openssl', 'apt-get install openssl'))(
  '6. TLS 1.3 with a HelloRetryRequest (openssl -tls1_3 -groups P-384), no client auth',
  () => {
    // --protocol grpc: section 7 (s_server -www speaks HTTP/1.0 only).
    let peer: ThirdPartyPeer;
    beforeAll(async () => {
      peer = await startOpensslHelloRetry(pki);
    });
    afterAll(() => stop(peer));

    it('probe: the CertificateRequest is looked for after the retry: mode not-requested, exit 1', async () => {
      const p = await probe(peer, creds);
      expect(p.d.withoutCert.protocol, p.summary).toBe('TLSv1.3');
      expect(p.d.withoutCert.rejectedAt, p.summary).toBe('accepted');
      expect(p.d.withoutCert.certificateRequested, p.summary).toBe(false);
      expect(p.d.clientAuth.mode, p.summary).toBe('not-requested');
      expect(p.code, p.summary).toBe(1);
    });

    it('run: handshake.client-auth-mode fail (not-requested), reject.no-client-cert fail', async () => {
      const r = await run(peer, [...creds, ...caKey]);
      expect(r.byId('handshake.client-auth-mode').status, r.summary).toBe('fail');
      expect(r.byId('handshake.client-auth-mode').message, r.summary).toMatch(/not.requested/i);
      expect(r.byId('reject.no-client-cert').status, r.summary).toBe('fail');
    });
  },
);

/**
 * A gRPC server (node http2, ALPN h2) whose only TLS 1.3 group is P-384: node's client offers an
 * X25519 key share first, so every handshake goes through a HelloRetryRequest, as with the gRPC
 * server of Debian's python3-grpcio. It answers grpc.health.v1.Health/Check with SERVING.
 */
async function startGrpcHelloRetry(requestCert: boolean): Promise<ThirdPartyPeer> {
  const server = http2.createSecureServer({
    key: pki.server.keyPem,
    cert: pki.server.chainPem,
    ecdhCurve: 'P-384',
    minVersion: 'TLSv1.3',
    allowHTTP1: false,
    ...(requestCert ? { requestCert: true, rejectUnauthorized: true, ca: pki.root.certPem } : {}),
  });
  server.on('stream', (stream, headers) => {
    if (headers[':path'] !== '/grpc.health.v1.Health/Check') {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '12' }, { endStream: true });
      return;
    }
    stream.on('data', () => undefined);
    stream.on('end', () => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      // HealthCheckResponse { status: SERVING (1) }, length-prefixed, uncompressed.
      stream.end(Buffer.from([0, 0, 0, 0, 2, 0x08, 0x01]));
    });
  });
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (s) => (sessions.add(s), s.on('close', () => sessions.delete(s))));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    name: `node http2 gRPC, ecdhCurve P-384${requestCert ? ', client certificates required' : ''}`,
    pid: undefined,
    host: '127.0.0.1',
    port: (server.address() as AddressInfo).port,
    logs: () => '',
    stop: () =>
      new Promise<void>((r) => {
        for (const s of sessions) s.destroy();
        server.close(() => r());
      }),
  };
}

describe('7. gRPC (--protocol grpc) behind a HelloRetryRequest: a real node http2 server offering only P-384', () => {
  let open: ThirdPartyPeer;
  let required: ThirdPartyPeer;
  beforeAll(async () => {
    open = await startGrpcHelloRetry(false);
    required = await startGrpcHelloRetry(true);
  });
  afterAll(async () => {
    await stop(open);
    await stop(required);
  });

  it('no client auth: the CertificateRequest is looked for after the retry: mode not-requested, probe exit 1; run: reject.no-client-cert fail', async () => {
    const p = await probe(open, [...creds, '--protocol', 'grpc']);
    expect(p.d.withoutCert.helloRetryRequest, p.summary).toBe(true);
    expect(p.d.withoutCert.protocol, p.summary).toBe('TLSv1.3');
    expect(p.d.withoutCert.certificateRequested, p.summary).toBe(false);
    expect(p.d.clientAuth.mode, p.summary).toBe('not-requested');
    expect(p.code, p.summary).toBe(1);
    const r = await run(open, [...creds, '--protocol', 'grpc']);
    expect(r.byId('reject.no-client-cert').status, r.summary).toBe('fail');
    expect(r.byId('handshake.accepts-valid-client-cert').status, r.summary).toBe('pass');
  });

  it('client certificates required: read after the retry: mode required, probe exit 0; the valid client is served over h2', async () => {
    const p = await probe(required, [...creds, '--protocol', 'grpc']);
    expect(p.d.withoutCert.helloRetryRequest, p.summary).toBe(true);
    expect(p.d.withoutCert.certificateRequested, p.summary).toBe(true);
    expect(p.d.clientAuth.mode, p.summary).toBe('required');
    expect(p.code, p.summary).toBe(0);
    const r = await run(required, [...creds, '--protocol', 'grpc']);
    expect(r.byId('reject.no-client-cert').status, r.summary).toBe('pass');
    expect(r.byId('handshake.accepts-valid-client-cert').message, r.summary).toMatch(/Health\/Check call was answered: SERVING/);
  });
});
