import { describe, expect, it } from 'vitest';
import { parseNginxLogs } from './nginx-observer.js';
import { summarizeObservation } from './observer.js';

// Lines as nginx 1.22 (Debian 12) writes them with the observer's config (error_log info).
const ERROR_LOG = `2026/11/23 20:06:08 [notice] 24200#24200: start worker process 24201
2026/11/23 20:06:08 [info] 24201#24201: *1 client 127.0.0.1 closed keepalive connection
2026/11/23 20:06:08 [info] 24201#24201: *3 SSL_do_handshake() failed (SSL: error:0A000415:SSL routines::sslv3 alert certificate expired:SSL alert number 45) while SSL handshaking, client: 127.0.0.1, server: 127.0.0.1:18444
2026/11/23 20:06:08 [info] 24201#24201: *4 client closed connection while waiting for request, client: 127.0.0.1, server: 127.0.0.1:18444
2026/11/23 20:06:08 [info] 24201#24201: *5 peer closed connection in SSL handshake while SSL handshaking, client: 127.0.0.1, server: 127.0.0.1:18444
2026/11/23 20:06:08 [info] 24201#24201: epoll_wait() failed (4: Interrupted system call)
`;
// The fixture client certificate would be here URL-encoded; "-" when none was sent.
const ACCESS_LOG = `conn=2 proto=TLSv1.3 sni=localhost verify=NONE method=GET uri=/x?y=1 cert=-
conn=6 proto=TLSv1.3 sni=- verify=FAILED:certificate has expired method=GET uri=/ cert=not%20a%20certificate
`;

describe('nginx observer logs', () => {
  it('reads each connection: alert, handshake completed without a request, reset, requests', () => {
    const c = parseNginxLogs(ERROR_LOG, ACCESS_LOG);
    expect(c).toHaveLength(6);
    expect(c[0]).toMatchObject({ handshake: 'completed', requests: [] }); // *1: a request's keep-alive close (its access line was rotated away)
    expect(c[1]).toMatchObject({ handshake: 'completed', protocol: 'TLSv1.3', servername: 'localhost', requests: [{ method: 'GET', path: '/x?y=1' }] });
    expect(c[1]!.clientCert).toBeUndefined();
    expect(c[2]).toMatchObject({ handshake: 'failed', clientAlert: { code: 45, name: 'certificate_expired' } });
    expect(c[3]).toMatchObject({ handshake: 'completed', requests: [] });
    expect(c[4]).toMatchObject({ handshake: 'failed', handshakeError: { code: 'ECONNRESET', serverSide: false } });
    // A certificate nginx logged but that cannot be read is not claimed.
    expect(c[5]).toMatchObject({ handshake: 'completed', requests: [{ method: 'GET', path: '/' }] });
    expect(c[5]!.clientCert).toBeUndefined();
    const o = summarizeObservation(c);
    expect(o).toMatchObject({ reached: true, handshakeCompleted: true, dataArrived: true, clientAlert: { code: 45 } });
  });
  it('sees nothing in empty logs', () => {
    expect(summarizeObservation(parseNginxLogs('', ''))).toMatchObject({ reached: false, handshakeCompleted: false, dataArrived: false });
  });
});
