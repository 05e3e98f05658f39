import { craftedDeviations, NODE_OPENSSL } from './crafted.js';
import * as tls from 'node:tls';
import type { AddressInfo, Socket } from 'node:net';
import { HarnessError } from '../../core/errors.js';
import type { FixturePki } from '../../pki/generate.js';
import { decodeHealthRequest, encodeHealthResponse, HEALTH_CHECK_PATH } from '../../probe/grpc.js';
import type { ProfileName } from '../profiles.js';
import type { StartedReference } from '../target.js';
import type { ReferenceServer } from './types.js';

/**
 * The gRPC reference (node family): @grpc/grpc-js serving grpc.health.v1.Health/Check, as the seeds'
 * tonic services do. `strict` is grpc-js's own mTLS (`ServerCredentials.createSsl(ca, keys,
 * checkClientCertificate: true)`); `no-client-auth` the same with `false`. grpc-js cannot request a
 * certificate without requiring a valid one, so `optional-client-cert` terminates TLS in node:tls
 * (requestCert, and a presented certificate must verify — like the node reference) and hands the
 * connection to grpc-js through its connection injector.
 */
export const GRPC_PROFILES: readonly ProfileName[] = ['strict', 'optional-client-cert', 'no-client-auth'];

/** Why the gRPC reference does not run a profile, or undefined. */
export function grpcUnsupported(profile: ProfileName): string | undefined {
  return GRPC_PROFILES.includes(profile)
    ? undefined
    : `the gRPC reference covers the client-auth modes (${GRPC_PROFILES.join(', ')}); certificate and rotation profiles are exercised with the other implementations`;
}

const HEALTH_SERVICE = {
  Check: {
    path: HEALTH_CHECK_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: (v: unknown) => Buffer.from(v as Buffer),
    requestDeserialize: decodeHealthRequest,
    responseSerialize: encodeHealthResponse,
    responseDeserialize: (b: Buffer) => b,
    originalName: 'check',
  },
};

export interface GrpcReferenceOptions {
  profile: ProfileName;
  pki: FixturePki;
  host?: string;
}

export async function startGrpcReference(o: GrpcReferenceOptions): Promise<StartedReference> {
  const why = grpcUnsupported(o.profile);
  if (why) throw new HarnessError('target.unsupported-profile', `node-grpc cannot express profile "${o.profile}" (unsupported): ${why}`);
  const grpc = await import('@grpc/grpc-js');
  const host = o.host ?? '127.0.0.1';
  const logs: string[] = [];
  const log = (s: string) => {
    if (logs.length < 10_000) logs.push(`${new Date().toISOString()} ${s}`);
  };
  const server = new grpc.Server({ 'grpc.enable_channelz': 0 });
  server.addService(HEALTH_SERVICE, {
    Check: (call: { request: { service: string } }, cb: (err: null, res: { status: number }) => void) => {
      log(`Health/Check service="${call.request.service.replace(/[^\x20-\x7e]/g, '?').slice(0, 100)}" -> SERVING`);
      cb(null, { status: 1 });
    },
  });
  const pki = o.pki;
  const keyPair = { private_key: Buffer.from(pki.server.keyPem), cert_chain: Buffer.from(pki.server.chainPem) };
  let port: number;
  let tlsServer: tls.Server | undefined;
  const sockets = new Set<Socket>();
  if (o.profile === 'optional-client-cert') {
    const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
    tlsServer = tls.createServer({
      cert: pki.server.chainPem,
      key: pki.server.keyPem,
      ca: pki.root.certPem,
      requestCert: true,
      rejectUnauthorized: false,
      ALPNProtocols: ['h2'],
    });
    tlsServer.on('secureConnection', (sock: tls.TLSSocket) => {
      const peer = sock.getPeerX509Certificate();
      const serve = !peer || sock.authorized;
      log(
        `connection ${sock.getProtocol()} alpn=${sock.alpnProtocol || 'none'} authorized=${sock.authorized} ${sock.authorizationError ?? ''} -> ${serve ? 'serve' : 'refuse'}`,
      );
      if (!serve) {
        sock.destroy();
        return;
      }
      injector.injectConnection(sock);
    });
    tlsServer.on('connection', (s: Socket) => {
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
    });
    tlsServer.on('tlsClientError', (e) => log(`handshake refused: ${(e as NodeJS.ErrnoException).code ?? e.message}`));
    port = await new Promise<number>((resolve, reject) => {
      tlsServer!.once('error', (e) => reject(new HarnessError('target.start-failed', `node-grpc reference could not listen: ${e.message}`, { cause: e })));
      tlsServer!.listen(0, host, () => resolve((tlsServer!.address() as AddressInfo).port));
    });
  } else {
    const creds = grpc.ServerCredentials.createSsl(Buffer.from(pki.root.certPem), [keyPair], o.profile === 'strict');
    port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`${host}:0`, creds, (err, p) =>
        err ? reject(new HarnessError('target.start-failed', `node-grpc reference could not listen: ${err.message}`, { cause: err })) : resolve(p),
      ),
    );
  }
  log(
    `listening on ${host}:${port} profile=${o.profile} (grpc-js${o.profile === 'optional-client-cert' ? ' behind node:tls' : `, checkClientCertificate: ${o.profile === 'strict'}`})`,
  );
  return {
    implementation: 'node-grpc',
    profile: o.profile,
    endpoint: { host, port },
    url: `https://${host}:${port}/`,
    pki,
    logs: () => [...logs],
    async stop() {
      for (const s of sockets) s.destroy();
      server.forceShutdown();
      if (tlsServer) await new Promise<void>((resolve) => tlsServer!.close(() => resolve()));
    },
  };
}

/** The gRPC reference's entry: in-process only (no container form); grpc-js is loaded when it starts. */
export const grpcReference: ReferenceServer = {
  name: 'node-grpc',
  title: '@grpc/grpc-js with grpc.health.v1 (in-process)',
  protocol: 'grpc',
  debianPackages: [],
  runs: 'in-process',
  container: false,
  deviations: craftedDeviations({ verified: NODE_OPENSSL }),
  unsupported: grpcUnsupported,
  start: startGrpcReference,
};
