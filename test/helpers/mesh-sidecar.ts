// Real loopback servers that behave as a mesh sidecar's inbound port does: STRICT, a TLS server
// that requires a client certificate (and so refuses plaintext); PERMISSIVE, one port that sniffs
// the first byte as Istio's inbound listener does (0x16, a TLS handshake record: TLS; anything
// else: plaintext HTTP); PLAIN, an application answering plaintext HTTP (a port that bypasses the sidecar).
import * as http from 'node:http';
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { FixturePki } from '../../src/pki/generate.js';

export type SidecarMode = 'STRICT' | 'PERMISSIVE' | 'PLAIN';

export interface Sidecar {
  port: number;
  stop(): Promise<void>;
}

export async function startSidecar(mode: SidecarMode, pki: FixturePki): Promise<Sidecar> {
  const app = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('hello from the workload\n');
  });
  const secure = new tls.Server({
    key: pki.server.keyPem,
    cert: pki.server.chainPem,
    ca: pki.root.certPem,
    requestCert: true,
    // STRICT: only a client with a certificate of the mesh's CA; PERMISSIVE's TLS side is the mesh's mTLS too.
    rejectUnauthorized: true,
  });
  secure.on('secureConnection', (s) => app.emit('connection', s));
  secure.on('tlsClientError', () => undefined);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => undefined);
    if (mode === 'STRICT') return secure.emit('connection', sock);
    if (mode === 'PLAIN') return app.emit('connection', sock);
    sock.once('readable', () => {
      const first = sock.read(1) as Buffer | null;
      if (!first) return sock.destroy();
      sock.unshift(first);
      if (first[0] === 0x16) secure.emit('connection', sock);
      else app.emit('connection', sock);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
