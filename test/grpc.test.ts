// gRPC targets against real grpc-js servers on 127.0.0.1: ALPN h2 required, a real
// grpc.health.v1.Health/Check over the mTLS credentials as evidence, refusals at the gRPC layer,
// plaintext (h2c) gRPC ports found by reject.plaintext, and probe --protocol grpc.
import * as grpc from '@grpc/grpc-js';
import { promises as fs } from 'node:fs';
import * as https from 'node:https';
import * as tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/run.js';
import { PROTOCOLS } from '../src/core/target.js';
import { mintFixturePki, type FixturePki } from '../src/pki/generate.js';
import { decodeHealthRequest, encodeHealthResponse, HEALTH_CHECK_PATH } from '../src/probe/grpc.js';
import { startReference } from '../src/targets/reference/start.js';
import type { StartedReference } from '../src/targets/target.js';

let tmp: string;
let pki: FixturePki;
const stops: (() => Promise<void> | void)[] = [];
const f = (n: string) => path.join(tmp, n);

const HEALTH = {
  Check: {
    path: HEALTH_CHECK_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: (v: unknown) => v as Buffer,
    requestDeserialize: decodeHealthRequest,
    responseSerialize: encodeHealthResponse,
    responseDeserialize: (b: Buffer) => b,
  },
};

async function grpcServer(
  creds: grpc.ServerCredentials,
  handler?: (call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<{ status: number }>) => void,
): Promise<number> {
  const server = new grpc.Server();
  if (handler) server.addService(HEALTH, { Check: handler });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', creds, (e, p) => (e ? reject(e) : resolve(p))));
  stops.push(() => server.forceShutdown());
  return port;
}

async function run(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, env: { NO_COLOR: '1' } });
  return { code, stdout, stderr };
}

type Json = { results: { check: string; status: string; message: string; evidence: Record<string, unknown> }[] };
const result = (j: Json, id: string) => j.results.find((r) => r.check === id)!;
const creds = () => ['--servername', 'localhost', '--ca', f('ca.pem'), '--cert', f('client.pem'), '--key', f('client-key.pem'), '--protocol', 'grpc'];

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-grpc-'));
  pki = await mintFixturePki();
  await fs.writeFile(f('ca.pem'), pki.root.certPem);
  await fs.writeFile(f('client.pem'), pki.client.chainPem);
  await fs.writeFile(f('client-key.pem'), pki.client.keyPem, { mode: 0o600 });
});

afterAll(async () => {
  for (const s of stops) await s();
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

const keyPair = () => [{ private_key: Buffer.from(pki.server.keyPem), cert_chain: Buffer.from(pki.server.chainPem) }];

describe('gRPC targets', () => {
  it('a server that refuses at the gRPC layer (UNAUTHENTICATED without a verified certificate): enforcement, unless TLS-layer refusal is required', async () => {
    // TLS asks for a certificate but requires none (node:tls terminates it); the service itself
    // refuses a caller without a verified one: verified connections go to a serving grpc-js server,
    // the others to one that answers UNAUTHENTICATED.
    const serving = new grpc.Server();
    serving.addService(HEALTH, { Check: (_c: unknown, cb: grpc.sendUnaryData<{ status: number }>) => cb(null, { status: 1 }) });
    const refusing = new grpc.Server();
    refusing.addService(HEALTH, {
      Check: (_c: unknown, cb: grpc.sendUnaryData<{ status: number }>) =>
        cb({ code: grpc.status.UNAUTHENTICATED, details: 'a client certificate is required' }),
    });
    const toServing = serving.createConnectionInjector(grpc.ServerCredentials.createInsecure());
    const toRefusing = refusing.createConnectionInjector(grpc.ServerCredentials.createInsecure());
    const front = tls.createServer({
      cert: pki.server.chainPem,
      key: pki.server.keyPem,
      ca: pki.root.certPem,
      requestCert: true,
      rejectUnauthorized: false,
      ALPNProtocols: ['h2'],
    });
    front.on('secureConnection', (sock: tls.TLSSocket) => (sock.authorized ? toServing : toRefusing).injectConnection(sock));
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
    stops.push(() => {
      serving.forceShutdown();
      refusing.forceShutdown();
      return new Promise<void>((resolve) => front.close(() => resolve()));
    });
    const port = (front.address() as AddressInfo).port;
    const r = await run(['run', '--target', `127.0.0.1:${port}`, ...creds(), '--suite', 'rejection-without-cert,handshake-with-cert', '--json', '-']);
    const j = JSON.parse(r.stdout) as Json;
    const noCert = result(j, 'reject.no-client-cert');
    expect(noCert.status, noCert.message).toBe('pass');
    expect(noCert.message).toMatch(/refused at the gRPC layer \(UNAUTHENTICATED: a client certificate is required\)/);
    expect(noCert.evidence).toMatchObject({ rejectedAt: 'application', alpn: 'h2', grpc: { codeName: 'UNAUTHENTICATED' } });
    const strictPolicy = JSON.parse(
      (await run(['run', '--target', `127.0.0.1:${port}`, ...creds(), '--check', 'reject.no-client-cert', '--require-tls-rejection', '--json', '-'])).stdout,
    ) as Json;
    expect(result(strictPolicy, 'reject.no-client-cert').status).toBe('fail');
  });

  it('a server that refuses every caller at the gRPC layer (it never asks for a certificate): inconclusive, never enforcement', async () => {
    // grpc-js createSsl(…, false) asks for no certificate, so the valid client sends none either.
    const port = await grpcServer(grpc.ServerCredentials.createSsl(Buffer.from(pki.root.certPem), keyPair(), false), (call, cb) =>
      call.getAuthContext()?.sslPeerCertificate
        ? cb(null, { status: 1 })
        : cb({ code: grpc.status.UNAUTHENTICATED, details: 'a client certificate is required' }),
    );
    const j = JSON.parse(
      (await run(['run', '--target', `127.0.0.1:${port}`, ...creds(), '--suite', 'rejection-without-cert,handshake-with-cert', '--json', '-'])).stdout,
    ) as Json;
    const noCert = result(j, 'reject.no-client-cert');
    expect(noCert.status, noCert.message).toBe('error');
    expect(noCert.message).toMatch(/inconclusive: .*refused the valid client certificate given \(--cert\) the same way/);
    expect(result(j, 'handshake.accepts-valid-client-cert').status).toBe('error');
    expect(result(j, 'handshake.client-auth-mode').status).toBe('error'); // every caller refused alike: inconclusive
  });

  it('a gRPC server without the health service: the call is answered (UNIMPLEMENTED), so the valid client passes', async () => {
    const port = await grpcServer(grpc.ServerCredentials.createSsl(Buffer.from(pki.root.certPem), keyPair(), true));
    const j = JSON.parse(
      (await run(['run', '--target', `127.0.0.1:${port}`, ...creds(), '--check', 'handshake.accepts-valid-client-cert', '--json', '-'])).stdout,
    ) as Json;
    const ok = result(j, 'handshake.accepts-valid-client-cert');
    expect(ok.status).toBe('pass');
    expect(ok.message).toMatch(/UNIMPLEMENTED \(the server answers gRPC but has no grpc\.health\.v1 service\)/);
  });

  it('a TLS server without ALPN h2 fails the valid-client check for a grpc target', async () => {
    const srv = https.createServer(
      { cert: pki.server.chainPem, key: pki.server.keyPem, ca: pki.root.certPem, requestCert: true, rejectUnauthorized: true, ALPNProtocols: ['http/1.1'] },
      (_q, res) => res.end('ok'),
    );
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
    stops.push(() => new Promise<void>((resolve) => srv.close(() => resolve())));
    const j = JSON.parse(
      (
        await run([
          'run',
          '--target',
          `127.0.0.1:${(srv.address() as AddressInfo).port}`,
          ...creds(),
          '--check',
          'handshake.accepts-valid-client-cert',
          '--json',
          '-',
        ])
      ).stdout,
    ) as Json;
    const ok = result(j, 'handshake.accepts-valid-client-cert');
    expect(ok.status).toBe('fail');
    expect(ok.message).toMatch(/does not negotiate ALPN h2, so no gRPC client can connect: .*alert 120 no_application_protocol/);
    // ... and the refusal of the protocol is not taken for a refusal of the certificate.
    const noCert = JSON.parse(
      (await run(['run', '--target', `127.0.0.1:${(srv.address() as AddressInfo).port}`, ...creds(), '--check', 'reject.no-client-cert', '--json', '-']))
        .stdout,
    ) as Json;
    expect(result(noCert, 'reject.no-client-cert')).toMatchObject({ status: 'error', evidence: { failure: { kind: 'alpn' } } });
  });

  it('reject.plaintext finds a plaintext (h2c) gRPC port next to the mTLS one', async () => {
    let ref: StartedReference | undefined;
    try {
      ref = await startReference({ implementation: 'node-grpc', profile: 'strict', pki });
      const insecure = await grpcServer(grpc.ServerCredentials.createInsecure(), (_c, cb) => cb(null, { status: 1 }));
      await fs.writeFile(
        f('plain.yaml'),
        `targets:\n  - endpoint: 127.0.0.1:${ref.endpoint.port}\n    servername: localhost\n    protocol: grpc\n    ca: ca.pem\n    cert: client.pem\n    key: client-key.pem\n    plaintextPorts: [${insecure}]\n`,
      );
      const j = JSON.parse((await run(['run', '--config', f('plain.yaml'), '--check', 'reject.plaintext', '--json', '-'])).stdout) as Json;
      const p = result(j, 'reject.plaintext');
      expect(p.status).toBe('fail');
      // An HTTP/2 server sends its SETTINGS as soon as a client connects, whatever it sent first.
      expect(p.message).toMatch(new RegExp(`port ${insecure} served a plaintext .*: it serves h2c in plaintext`));
      const attempts = p.evidence.attempts as { port: number; served: boolean }[];
      expect(attempts.filter((a) => a.port === ref!.endpoint.port).every((a) => !a.served)).toBe(true);
    } finally {
      await ref?.stop();
    }
  });

  it('probe --protocol grpc: the diagnosis of the strict gRPC reference says required, and carries the Health/Check', async () => {
    const ref = await startReference({ implementation: 'node-grpc', profile: 'strict', pki });
    try {
      const r = await run(['probe', `127.0.0.1:${ref.endpoint.port}`, ...creds(), '--json']);
      expect(r.code, r.stderr).toBe(0);
      const d = JSON.parse(r.stdout).diagnosis as {
        clientAuth: { mode: string };
        withCert: { alpn: string; grpc: { codeName: string; servingStatus: string } };
      };
      expect(d.clientAuth.mode).toBe('required');
      expect(d.withCert).toMatchObject({ alpn: 'h2', grpc: { codeName: 'OK', servingStatus: 'SERVING' } });
    } finally {
      await ref.stop();
    }
  });

  it('--protocol rejects anything but https, tls and grpc (exit 2)', async () => {
    const r = await run(['run', '--target', '127.0.0.1:1', '--protocol', 'h3']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`--protocol must be one of ${PROTOCOLS.join(', ')}, not "h3"`));
  });
});
