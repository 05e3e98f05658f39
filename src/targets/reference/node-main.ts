/**
 * The node reference as its own process (rotation profiles): `node node-main.js DIR PORT PROFILE [BIND]`.
 * Serves https from the PKI files in DIR (server-chain.pem, server-key.pem, client-ca.pem) and
 * requires a client certificate verified against client-ca.pem. SIGHUP re-reads the files and
 * applies them with `server.setSecureContext` (a graceful reload: the listening socket and open
 * connections stay); SIGTERM closes and exits. Log lines on stdout, never key material.
 */
import { readFileSync } from 'node:fs';
import * as https from 'node:https';
import * as path from 'node:path';
import type * as tls from 'node:tls';

const [dir, portText, profile, bind = '127.0.0.1'] = process.argv.slice(2);
if (!dir || !portText || !profile) {
  process.stderr.write('usage: node-main.js DIR PORT PROFILE [BIND]\n');
  process.exit(2);
}
const log = (s: string) => process.stdout.write(`${new Date().toISOString()} ${s}\n`);
const material = (): tls.SecureContextOptions => ({
  cert: readFileSync(path.join(dir, 'server-chain.pem')),
  key: readFileSync(path.join(dir, 'server-key.pem')),
  ca: readFileSync(path.join(dir, 'client-ca.pem')),
});
const server = https.createServer({ ...material(), requestCert: true, rejectUnauthorized: true }, (req, res) => {
  const peer = (req.socket as tls.TLSSocket).getPeerCertificate();
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end(`hello from the mtls-harness node reference (profile ${profile}); client: ${peer?.subject?.CN ?? 'none'}\n`);
});
server.on('tlsClientError', (err) => log(`handshake refused: ${(err as NodeJS.ErrnoException).code ?? err.message}`));
server.on('error', (e) => {
  log(`server error: ${e.message}`);
  process.exit(1);
});
process.on('SIGHUP', () => {
  try {
    server.setSecureContext(material());
    log('reloaded: new secure context from the files');
  } catch (e) {
    log(`reload failed, still serving the previous files: ${(e as Error).message}`);
  }
});
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  process.exit(0);
});
server.listen(Number(portText), bind, () => log(`listening on ${bind}:${portText} profile=${profile}`));
