// One process serving many ports on 127.0.0.1, for `npm run bench` (scale): N strict mTLS servers
// (requestCert + rejectUnauthorized, the fixture server chain, HTTP 200 to a verified client) and M
// "hung" ones (accept TCP, never speak). Reads the PEM files from DIR; prints {"healthy": [ports],
// "hung": [ports]} on stdout once every port listens; runs until killed.
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import * as tls from 'node:tls';

const [dir, healthyText, hungText] = process.argv.slice(2);
if (!dir || !healthyText || !hungText) {
  process.stderr.write('usage: scale-servers DIR HEALTHY HUNG\n');
  process.exit(2);
}
const read = (f: string) => readFileSync(path.join(dir, f), 'utf8');
const tlsOptions = { cert: read('server-chain.pem'), key: read('server-key.pem'), ca: read('ca.pem') };
const sockets = new Set<net.Socket>();

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
}

const healthy: number[] = [];
const hung: number[] = [];
for (let i = 0; i < Number(healthyText); i++) {
  const s = tls.createServer({ ...tlsOptions, requestCert: true, rejectUnauthorized: true }, (sock) => {
    sock.on('error', () => undefined);
    sock.once('data', () => sock.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok'));
  });
  s.on('tlsClientError', () => undefined);
  healthy.push(await listen(s));
}
for (let i = 0; i < Number(hungText); i++) {
  const s = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('error', () => undefined);
    sock.on('close', () => sockets.delete(sock));
  });
  hung.push(await listen(s));
}
process.stdout.write(JSON.stringify({ healthy, hung }) + '\n');
