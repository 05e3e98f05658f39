import * as net from 'node:net';
import { printable } from './rejection.js';

export type PlaintextKind = 'http1' | 'h2c-upgrade' | 'h2c-prior-knowledge';

/** What a port did with a plaintext request. */
export interface PlaintextOutcome {
  kind: PlaintextKind;
  /** The request was served: an HTTP 1xx(101)/2xx/3xx answer, or an HTTP/2 SETTINGS frame. */
  served: boolean;
  /** One sentence. */
  reason: string;
  statusLine?: string;
  /** The TCP connection could not be made at all. */
  unreachable?: boolean;
}

const H2_PREFACE = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';

function request(kind: PlaintextKind, host: string): string {
  switch (kind) {
    case 'http1':
      return `GET / HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: mtls-harness\r\nConnection: close\r\n\r\n`;
    case 'h2c-upgrade':
      return `GET / HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: mtls-harness\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n`;
    case 'h2c-prior-knowledge':
      // Preface, then an empty SETTINGS frame.
      return H2_PREFACE + '\x00\x00\x00\x04\x00\x00\x00\x00\x00';
  }
}

/**
 * Sends one plaintext request to a port that should only speak TLS and reports whether it was
 * served. A close, a reset, a TLS alert, silence or an HTTP 4xx (nginx: "plain HTTP request was
 * sent to HTTPS port") all mean not served.
 */
export function probePlaintext(host: string, port: number, kind: PlaintextKind, timeoutMs: number): Promise<PlaintextOutcome> {
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    let settled = false;
    const sock = net.connect({ host, port });
    const done = (o: Omit<PlaintextOutcome, 'kind'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ kind, ...o });
    };
    const timer = setTimeout(() => done({ served: false, reason: `no answer within ${timeoutMs} ms` }), timeoutMs);
    sock.on('connect', () => sock.write(request(kind, host)));
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]).subarray(0, 4096);
      judge(false);
    });
    sock.on('end', () => judge(true));
    sock.on('close', () => judge(true));
    sock.on('error', (e: NodeJS.ErrnoException) => {
      if (buf.length > 0) return judge(true);
      if (e.code === 'ECONNREFUSED') done({ served: false, unreachable: true, reason: `the port refused the TCP connection (${e.code})` });
      else done({ served: false, reason: `the connection was ${e.code === 'ECONNRESET' ? 'reset' : `closed with ${e.code ?? 'an error'}`} without serving` });
    });
    function judge(final: boolean): void {
      if (settled) return;
      const text = buf.toString('latin1');
      if (buf.length >= 9 && buf[3] === 0x04 && !text.startsWith('HTTP/')) {
        return done({ served: true, reason: 'the port answered the HTTP/2 preface with a SETTINGS frame: it serves h2c in plaintext' });
      }
      const eol = text.indexOf('\r\n');
      if (text.startsWith('HTTP/') && (eol > 0 || final)) {
        const line = printable(text.slice(0, eol > 0 ? eol : 200));
        const status = Number(/^HTTP\/\d(?:\.\d)? (\d{3})/.exec(line)?.[1] ?? 0);
        const served = status >= 100 && status < 400 && status !== 100;
        return done({
          served,
          statusLine: line,
          reason: served ? `the port served a plaintext request: ${line}` : `the plaintext request was refused: ${line}`,
        });
      }
      if (buf.length > 0 && buf[0] === 0x15) return done({ served: false, reason: 'the port answered with a TLS alert' });
      if (final)
        done({
          served: false,
          reason: buf.length > 0 ? `the port answered with ${buf.length} non-HTTP byte(s) and closed` : 'the port closed the connection without answering',
        });
    }
  });
}
