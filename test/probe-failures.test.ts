// Targets that cannot be evaluated: each is a classified outcome with a plain reason, within the
// timeout, never an exception. Every peer is a real socket on 127.0.0.1; DNS failure is simulated
// with the probe's injected lookup so no resolver is ever contacted.
import * as http from 'node:http';
import * as net from 'node:net';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { probeEndpoint, type ProbeOutcome } from '../src/probe/tls-probe.js';
import type { FailureKind } from '../src/probe/rejection.js';
import { freePort } from './helpers/servers.js';

// The probe budget; every classification must come back before TIMEOUT + SLACK (not a benchmark:
// only proof that nothing hangs past its budget).
const TIMEOUT = 500;
const SLACK = 500;
const servers: net.Server[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A TCP server on loopback whose behaviour per connection is `onConn`. */
async function tcpServer(onConn: (s: net.Socket) => void): Promise<number> {
  const sockets = new Set<net.Socket>();
  const srv = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
    onConn(s);
  });
  const close = srv.close.bind(srv);
  srv.close = (cb?: (err?: Error) => void) => {
    for (const s of sockets) s.destroy();
    return close(cb);
  };
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return (srv.address() as net.AddressInfo).port;
}

async function probeTimed(port: number, extra: Partial<Parameters<typeof probeEndpoint>[0]> = {}): Promise<{ o: ProbeOutcome; ms: number }> {
  const t0 = Date.now();
  const o = await probeEndpoint({ host: '127.0.0.1', port, timeoutMs: TIMEOUT, servername: 'localhost', ...extra });
  return { o, ms: Date.now() - t0 };
}

function expectFailure(o: ProbeOutcome, kind: FailureKind, reason: RegExp): void {
  expect(o.rejectedAt, o.reason).toBe('unreachable');
  expect(o.durationMs).toBeLessThan(TIMEOUT + SLACK);
  expect(o.failure?.kind, o.reason).toBe(kind);
  expect(o.reason).toMatch(reason);
  expect(o.peerChain).toEqual([]);
  expect(o.authorized).toBe(false);
}

describe('unreachable and non-TLS targets', () => {
  it('closed port → refused', async () => {
    const port = await freePort();
    const { o, ms } = await probeTimed(port);
    expectFailure(o, 'refused', /refused/i);
    expect(o.failure?.phase).toBe('connect');
    expect(o.errorCode).toBe('ECONNREFUSED');
    expect(ms).toBeLessThan(TIMEOUT);
  });

  it('reset on accept → reset', async () => {
    const port = await tcpServer((s) => s.resetAndDestroy());
    const { o, ms } = await probeTimed(port);
    expectFailure(o, 'reset', /reset/i);
    expect(o.errorCode).toBe('ECONNRESET');
    expect(ms).toBeLessThan(TIMEOUT + SLACK);
  });

  it('reset after reading the ClientHello → reset', async () => {
    const port = await tcpServer((s) => s.once('data', () => s.resetAndDestroy()));
    const { o, ms } = await probeTimed(port);
    expectFailure(o, 'reset', /the peer reset the connection without answering the TLS ClientHello/);
    expect(o.failure?.phase).toBe('handshake');
    expect(ms).toBeLessThan(TIMEOUT + SLACK);
  });

  it('accepts and never answers → timeout, within the budget', async () => {
    const port = await tcpServer(() => {});
    const { o, ms } = await probeTimed(port);
    expectFailure(o, 'timeout', /never answered the TLS ClientHello within 500 ms/);
    expect(o.failure?.phase).toBe('handshake');
    expect(ms).toBeGreaterThanOrEqual(TIMEOUT - 50);
    expect(ms).toBeLessThan(TIMEOUT + SLACK);
  });

  it('hangs mid-handshake (half a ServerHello) → timeout, naming the stall', async () => {
    // A TLS 1.2 handshake record header announcing 200 bytes, then 10 of them, then silence.
    const partial = Buffer.concat([Buffer.from([0x16, 0x03, 0x03, 0x00, 0xc8, 0x02, 0x00, 0x00, 0xc4, 0x03, 0x03]), randomBytes(5)]);
    const port = await tcpServer((s) => s.once('data', () => s.write(partial)));
    const { o, ms } = await probeTimed(port);
    expectFailure(o, 'timeout', /did not complete within 500 ms \(the peer stalled after 16 bytes\)/);
    expect(o.failure?.phase).toBe('handshake');
    expect(ms).toBeLessThan(TIMEOUT + SLACK);
  });

  it('DNS failure (injected lookup) → dns', async () => {
    const lookup: net.LookupFunction = (hostname, _opts, cb) => {
      const err = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname });
      process.nextTick(() => (cb as (e: NodeJS.ErrnoException) => void)(err));
    };
    const asked: string[] = [];
    const counting: net.LookupFunction = (hostname, opts, cb) => {
      asked.push(hostname);
      lookup(hostname, opts, cb);
    };
    const t0 = Date.now();
    const o = await probeEndpoint({ host: 'no-such-service.invalid', port: 443, timeoutMs: TIMEOUT, lookup: counting });
    expect(Date.now() - t0).toBeLessThan(TIMEOUT);
    expect(asked).toEqual(['no-such-service.invalid']);
    expectFailure(o, 'dns', /DNS lookup of "no-such-service\.invalid" failed: the name does not resolve/);
    expect(o.failure?.phase).toBe('connect');
    expect(o.errorCode).toBe('ENOTFOUND');
  });

  it('plaintext HTTP server → plaintext-http with a plain reason', async () => {
    const srv = http.createServer((_req, res) => res.end('hello'));
    servers.push(srv as unknown as net.Server);
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const { o, ms } = await probeTimed((srv.address() as net.AddressInfo).port);
    expectFailure(o, 'plaintext-http', /the peer answered plaintext HTTP, not TLS \("HTTP\/1\.1 400 Bad Request"\)/);
    expect(ms).toBeLessThan(TIMEOUT);
  });

  it('random bytes → not-tls, with the first bytes as evidence', async () => {
    const junk = Buffer.from('9f3a0c7e11223344556677', 'hex');
    const port = await tcpServer((s) => s.once('data', () => s.end(junk)));
    const { o, ms } = await probeTimed(port);
    expectFailure(o, 'not-tls', /not TLS \(starting 0x9f3a0c7e11223344\)/);
    expect(ms).toBeLessThan(TIMEOUT);
  });

  it('random bytes (fresh each run) → not-tls', async () => {
    // High bit set on the first byte: never a TLS record type (20..24), never "HTTP/" or "SSH-".
    const junk = randomBytes(64);
    junk[0] = junk[0]! | 0x80;
    const port = await tcpServer((s) => s.once('data', () => s.write(junk)));
    const { o, ms } = await probeTimed(port);
    expectFailure(o, 'not-tls', new RegExp(`starting 0x${junk.subarray(0, 8).toString('hex')}`));
    expect(ms).toBeLessThan(TIMEOUT + SLACK);
  });

  it('an SSH banner → not-tls, naming SSH', async () => {
    const port = await tcpServer((s) => s.write('SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n'));
    const { o, ms } = await probeTimed(port);
    expectFailure(o, 'not-tls', /the peer speaks SSH, not TLS \("SSH-2\.0-OpenSSH_9\.2p1 Debian-2"\)/);
    expect(ms).toBeLessThan(TIMEOUT + SLACK);
  });

  it('hostile banner text is made printable', async () => {
    const port = await tcpServer((s) => s.once('data', () => s.end('HTTP/1.1 200 \u001b[31mOK\u0007<script>\r\n\r\n')));
    const { o } = await probeTimed(port);
    expect(o.failure?.kind).toBe('plaintext-http');
    expect(o.reason).toContain('HTTP/1.1 200 ?[31mOK?<script>');
    expect(o.reason).not.toMatch(/[\u0000-\u001f\u007f]/);
  });

  it('accepts then closes cleanly (FIN) → closed', async () => {
    const port = await tcpServer((s) => s.once('data', () => s.end()));
    const { o, ms } = await probeTimed(port);
    expectFailure(o, 'closed', /the peer closed the connection without answering the TLS ClientHello/);
    expect(o.failure?.phase).toBe('handshake');
    expect(ms).toBeLessThan(TIMEOUT);
  });

  it('closes cleanly (FIN) right on accept, before the ClientHello → closed', async () => {
    const port = await tcpServer((s) => s.end());
    const { o, ms } = await probeTimed(port);
    expectFailure(o, 'closed', /the peer closed the connection without answering the TLS ClientHello/);
    expect(ms).toBeLessThan(TIMEOUT);
  });

  it('many failing targets at once all come back classified within the budget', async () => {
    const hang = await tcpServer(() => {});
    const reset = await tcpServer((s) => s.resetAndDestroy());
    const closed = await freePort();
    const t0 = Date.now();
    const outs = await Promise.all(
      Array.from({ length: 30 }, (_, i) => probeEndpoint({ host: '127.0.0.1', port: [hang, reset, closed][i % 3]!, timeoutMs: TIMEOUT })),
    );
    expect(Date.now() - t0).toBeLessThan(TIMEOUT + SLACK);
    expect(new Set(outs.map((o) => o.failure?.kind))).toEqual(new Set(['timeout', 'reset', 'refused']));
  });
});

describe('bad probe options are usage errors, not outcomes', () => {
  it.each([
    [{ port: 0 }, /port 0/],
    [{ port: 70000 }, /port 70000/],
    [{ cert: 'x' }, /--cert and --key/],
    [{ timeoutMs: -1 }, /timeout/],
  ])('%j', async (over, message) => {
    await expect(probeEndpoint({ host: '127.0.0.1', port: 443, ...over })).rejects.toMatchObject({
      name: 'HarnessError',
      message: expect.stringMatching(message),
    });
  });
});
