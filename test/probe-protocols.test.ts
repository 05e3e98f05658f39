// probeEndpoint({ protocol }) against real servers on 127.0.0.1, from Debian's packages: redis-server 7
// (raw TLS, PING), mosquitto 2 (raw TLS, CONNECT/CONNACK), PostgreSQL (SSLRequest, then TLS, then the
// StartupMessage) and MariaDB (greeting, SSLRequest, then TLS, then the login). For each: the valid
// client is served, a client without a certificate is refused (and where is recorded), and with
// client authentication off the client without a certificate is served. Every classification is
// made three times and must not change.
import * as net from 'node:net';
import * as tls from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mintFixturePki, type FixturePki } from '../src/pki/generate.js';
import { diagnoseEndpoint } from '../src/probe/diagnose.js';
import { probeEndpoint, type ProbeOptions, type ProbeOutcome } from '../src/probe/tls-probe.js';
import type { Protocol } from '../src/probe/protocols/index.js';
import { MARIADB, MOSQUITTO, POSTGRES, REDIS, startMariadb, startMosquitto, startPostgres, startRedis } from './helpers/app-servers.js';
import { skipUnless, type StartedServer } from './helpers/servers.js';

const USER = 'probe-client';
let pki: FixturePki;
const running: StartedServer[] = [];

beforeAll(async () => {
  pki = await mintFixturePki({ clientCommonName: USER });
});
afterEach(async () => {
  for (const s of running.splice(0)) await s.stop();
});
afterAll(async () => {
  for (const s of running.splice(0)) await s.stop();
});

async function started(s: Promise<StartedServer>): Promise<StartedServer> {
  const server = await s;
  running.push(server);
  return server;
}

type Client = 'valid' | 'none' | 'selfSigned';

function options(s: StartedServer, protocol: Protocol, client: Client, extra: Partial<ProbeOptions> = {}): ProbeOptions {
  const cred = client === 'valid' ? pki.client : client === 'selfSigned' ? pki.badClients.selfSigned : undefined;
  // One user for every client, as diagnose and run do: the clients differ in the certificate alone.
  return {
    host: s.host,
    port: s.port,
    servername: 'localhost',
    ca: pki.root.certPem,
    protocol,
    appUser: USER,
    timeoutMs: 5000,
    ...(cred ? { cert: cred.chainPem, key: cred.keyPem } : {}),
    ...extra,
  };
}

/** Three probes, one classification: returns the first. */
async function probe(s: StartedServer, protocol: Protocol, client: Client, extra: Partial<ProbeOptions> = {}): Promise<ProbeOutcome> {
  const outs: ProbeOutcome[] = [];
  for (let i = 0; i < 3; i++) outs.push(await probeEndpoint(options(s, protocol, client, extra)));
  const shape = (o: ProbeOutcome) => ({
    at: o.rejectedAt,
    alert: o.alert?.code,
    failure: o.failure?.kind,
    code: o.application?.code,
    message: o.application?.message,
  });
  for (const o of outs.slice(1)) expect(shape(o), `${protocol} ${client}: ${o.reason}\n${s.logs().slice(-2000)}`).toEqual(shape(outs[0]!));
  return outs[0]!;
}

describe.skipIf(skipUnless(REDIS, 'redis-server', 'apt-get install redis-server'))('redis-server (raw TLS, PING)', () => {
  it('tls-auth-clients yes: the valid client gets +PONG; without a certificate, refused in TLS after the handshake (TLS 1.3) or in it (TLS 1.2)', async () => {
    const s = await started(startRedis({ pki, authClients: 'yes' }));
    const valid = await probe(s, 'redis', 'valid');
    expect(valid).toMatchObject({
      rejectedAt: 'accepted',
      reason: 'the Redis server answered PING: +PONG',
      application: { protocol: 'redis', message: '+PONG' },
      certificateRequested: true,
    });
    const none = await probe(s, 'redis', 'none');
    expect(none).toMatchObject({ rejectedAt: 'post-handshake', alert: { code: 116, name: 'certificate_required' } });
    expect(none.application).toBeUndefined();
    expect(await probe(s, 'redis', 'selfSigned')).toMatchObject({ rejectedAt: 'post-handshake', alert: { code: 48 } });
    expect((await probe(s, 'redis', 'none', { maxVersion: 'TLSv1.2' })).rejectedAt).toBe('handshake');
    // The rotation prober's fast mode: no recording, the same verdicts.
    expect(await probe(s, 'redis', 'valid', { detail: 'fast' })).toMatchObject({ rejectedAt: 'accepted', application: { message: '+PONG' } });
    expect(await probe(s, 'redis', 'none', { detail: 'fast' })).toMatchObject({ rejectedAt: 'post-handshake', alert: { code: 116 } });
    const d = await diagnoseEndpoint({ ...options(s, 'redis', 'valid') });
    expect(d.enforced).toBe(true);
    expect(d.findings.find((f) => f.id === 'without-cert')).toMatchObject({
      status: 'ok',
      finding: 'refused at post-handshake with alert 116 certificate_required',
    });
  });

  it('tls-auth-clients no: a client without a certificate is served, and no certificate was asked for', async () => {
    const s = await started(startRedis({ pki, authClients: 'no' }));
    expect(await probe(s, 'redis', 'none')).toMatchObject({ rejectedAt: 'accepted', application: { message: '+PONG' }, certificateRequested: false });
    const d = await diagnoseEndpoint({ ...options(s, 'redis', 'valid') });
    expect(d.enforced).toBe(false);
    expect(d.clientAuth.mode).toBe('not-requested');
  });

  it('requirepass: the server asks for a password, which is served (the certificate is not what admits the client)', async () => {
    const s = await started(startRedis({ pki, authClients: 'yes', requirepass: 'secret' }));
    const valid = await probe(s, 'redis', 'valid');
    expect(valid).toMatchObject({ rejectedAt: 'accepted', application: { code: 'NOAUTH' } });
    expect(valid.reason).toMatch(
      /^the Redis server asked for a password \(-NOAUTH Authentication required\.\): the certificate is not what admits this client/,
    );
  });
});

describe.skipIf(skipUnless(MOSQUITTO, 'mosquitto', 'apt-get install mosquitto'))('mosquitto (raw TLS, CONNECT/CONNACK)', () => {
  it('require_certificate with the identity as user name: CONNACK 0 for the valid client; without a certificate, refused in TLS', async () => {
    const s = await started(startMosquitto({ pki, requireCertificate: true, useIdentityAsUsername: true, allowAnonymous: false }));
    expect(await probe(s, 'mqtt', 'valid')).toMatchObject({
      rejectedAt: 'accepted',
      reason: 'the MQTT broker accepted the connection (CONNACK 0 connection accepted)',
      application: { protocol: 'mqtt', code: '0' },
    });
    expect(await probe(s, 'mqtt', 'none')).toMatchObject({ rejectedAt: 'post-handshake', alert: { code: 116 } });
    expect(await probe(s, 'mqtt', 'valid', { detail: 'fast' })).toMatchObject({ rejectedAt: 'accepted', application: { code: '0' } });
    const d = await diagnoseEndpoint({ ...options(s, 'mqtt', 'valid') });
    expect(d.enforced).toBe(true);
  });

  it('require_certificate false, allow_anonymous: a client without a certificate gets CONNACK 0', async () => {
    const s = await started(startMosquitto({ pki, requireCertificate: false, useIdentityAsUsername: false, allowAnonymous: true }));
    expect(await probe(s, 'mqtt', 'none')).toMatchObject({ rejectedAt: 'accepted', application: { code: '0' }, certificateRequested: false });
  });

  it('no anonymous clients and no certificate asked for: CONNACK 5 to every client, a refusal at the MQTT layer that proves nothing', async () => {
    const s = await started(startMosquitto({ pki, requireCertificate: false, useIdentityAsUsername: false, allowAnonymous: false }));
    const none = await probe(s, 'mqtt', 'none');
    expect(none).toMatchObject({
      rejectedAt: 'application',
      reason: 'the TLS connection was established, then the MQTT broker refused the connection: CONNACK 5 not authorized',
      application: { code: '5', message: 'CONNACK 5 not authorized' },
    });
    expect((await probe(s, 'mqtt', 'valid')).rejectedAt).toBe('application');
    const d = await diagnoseEndpoint({ ...options(s, 'mqtt', 'valid') });
    expect(d.enforced).toBe(false);
    expect(d.findings.find((f) => f.id === 'without-cert')?.finding).toMatch(
      /^refused at the MQTT layer \(CONNACK 5 not authorized\), but that is not enforcement/,
    );
    // What would decide it comes from the MQTT module.
    expect(d.clientAuth.inconclusive?.hint).toMatch(/use_identity_as_username true/);
  });
});

describe.skipIf(skipUnless(POSTGRES, 'PostgreSQL', 'apt-get install postgresql'))('PostgreSQL (SSLRequest, then TLS, then the login)', () => {
  it('hostssl … cert: the valid client logs in; without a certificate, refused at the PostgreSQL layer (28000); a self-signed one in TLS', async () => {
    const s = await started(startPostgres({ pki, user: USER, hba: ['hostssl all all 127.0.0.1/32 cert'] }));
    const valid = await probe(s, 'postgres', 'valid');
    expect(valid).toMatchObject({
      rejectedAt: 'accepted',
      reason: `the PostgreSQL server logged the client in as "${USER}" without asking for a password (AuthenticationOk)`,
      application: { protocol: 'postgres', startTls: 'SSLRequest answered S', user: USER, message: 'AuthenticationOk' },
      // The plaintext exchange is not in the TLS flight: the recorder read the handshake from its first byte.
      handshakeInsight: { method: 'tls1.3-keylog' },
      certificateRequested: true,
      peerChainSource: 'wire',
    });
    expect(valid.peerChain).toHaveLength(2);
    expect(valid.timings.startTlsMs).toBeGreaterThan(0);
    const none = await probe(s, 'postgres', 'none');
    expect(none).toMatchObject({
      rejectedAt: 'application',
      application: { code: '28000', message: 'FATAL 28000 connection requires a valid client certificate' },
    });
    expect(await probe(s, 'postgres', 'selfSigned')).toMatchObject({ rejectedAt: 'post-handshake', alert: { code: 48 } });
    // TLS 1.2 and the fast mode of the rotation prober (TLS over the raw socket, no tap).
    expect(await probe(s, 'postgres', 'valid', { maxVersion: 'TLSv1.2' })).toMatchObject({
      rejectedAt: 'accepted',
      protocol: 'TLSv1.2',
      handshakeInsight: { method: 'tls1.2-plaintext' },
    });
    expect(await probe(s, 'postgres', 'valid', { detail: 'fast' })).toMatchObject({ rejectedAt: 'accepted', application: { message: 'AuthenticationOk' } });
    expect(await probe(s, 'postgres', 'none', { detail: 'fast' })).toMatchObject({ rejectedAt: 'application', application: { code: '28000' } });
    // Without appUser the user is the certificate's CN (and mtls-harness without one).
    const { appUser: _, ...byCn } = options(s, 'postgres', 'valid');
    expect((await probeEndpoint(byCn)).application?.user).toBe(USER);
    const d = await diagnoseEndpoint(options(s, 'postgres', 'valid'));
    expect(d.enforced).toBe(true);
    expect(d.findings.find((f) => f.id === 'without-cert')?.finding).toBe(
      'refused at the PostgreSQL layer (FATAL 28000 connection requires a valid client certificate): nothing was served (enforcement at the PostgreSQL layer; --require-tls-rejection to demand refusal in TLS)',
    );
    // probe says in plain words what the database did, and how TLS started.
    expect(d.findings.find((f) => f.id === 'with-cert')?.finding).toMatch(
      /^accepted: the PostgreSQL server logged the client in as ".+" .*\(AuthenticationOk\)$/,
    );
    expect(d.findings.find((f) => f.id === 'connection')?.finding).toMatch(/^PostgreSQL \(SSLRequest answered S\), TLSv1\.[23], /);
    const strict = await diagnoseEndpoint({ ...options(s, 'postgres', 'valid'), requireTlsRejection: true });
    expect(strict.enforced).toBe(false);
    // Logged in as a role the certificate does not name: the valid client is refused too, and the PostgreSQL module says why.
    const other = await diagnoseEndpoint({ ...options(s, 'postgres', 'valid'), appUser: 'someone-else' });
    expect(other.enforced).toBe(false);
    expect(other.findings.find((f) => f.id === 'with-cert')).toMatchObject({
      status: 'problem',
      finding: 'refused at the PostgreSQL layer (FATAL 28000 certificate authentication failed for user "someone-else")',
      fix: expect.stringMatching(/logged in as "someone-else"; with pg_hba.conf "cert".*the certificate's CN must name a role/),
    });
  });

  it('hostssl … trust without a client CA: a client without a certificate is served; ssl = off: TLS never starts', async () => {
    const open = await started(startPostgres({ pki, user: USER, hba: ['hostssl all all 127.0.0.1/32 trust'], clientCa: false }));
    expect(await probe(open, 'postgres', 'none')).toMatchObject({
      rejectedAt: 'accepted',
      certificateRequested: false,
      application: { message: 'AuthenticationOk' },
    });
    await open.stop();
    running.splice(running.indexOf(open), 1);
    const off = await started(startPostgres({ pki, user: USER, hba: ['host all all 127.0.0.1/32 trust'], ssl: false }));
    const n = await probe(off, 'postgres', 'valid');
    expect(n).toMatchObject({
      rejectedAt: 'unreachable',
      failure: { kind: 'starttls', phase: 'starttls' },
      reason: 'the server answered N to the SSLRequest: TLS is not enabled on this PostgreSQL server (ssl = off)',
    });
    expect(n.peerChain).toEqual([]);
  });

  it('scram-sha-256: the server asks the valid client for a password, which is served, not refused', async () => {
    const s = await started(startPostgres({ pki, user: USER, hba: ['hostssl all all 127.0.0.1/32 scram-sha-256'] }));
    const valid = await probe(s, 'postgres', 'valid');
    expect(valid).toMatchObject({ rejectedAt: 'accepted', application: { message: expect.stringMatching(/^AuthenticationSASL SCRAM-SHA-256/) } });
    expect(valid.reason).toMatch(/asked for a password .*: the certificate is not what admits this client/);
  });
});

describe.skipIf(skipUnless(MARIADB, 'MariaDB', 'apt-get install mariadb-server'))('MariaDB (greeting, SSLRequest, then TLS, then the login)', () => {
  it('REQUIRE X509: the valid client logs in; without a certificate, refused at the MySQL layer (1045); --skip-ssl: TLS never starts', async () => {
    const s = await started(startMariadb({ pki, initSql: [`CREATE USER '${USER}'@'%' REQUIRE X509`] }));
    expect(await probe(s, 'mysql', 'valid')).toMatchObject({
      rejectedAt: 'accepted',
      application: { protocol: 'mysql', message: 'OK', server: expect.stringMatching(/MariaDB/) },
      certificateRequested: true,
      peerChainSource: 'wire',
    });
    expect(await probe(s, 'mysql', 'none')).toMatchObject({
      rejectedAt: 'application',
      application: { code: '1045', message: expect.stringMatching(/^ERR 1045 \(28000\) Access denied for user 'probe-client'/) },
    });
    expect(await probe(s, 'mysql', 'none', { detail: 'fast' })).toMatchObject({ rejectedAt: 'application', application: { code: '1045' } });
    const d = await diagnoseEndpoint(options(s, 'mysql', 'valid'));
    expect(d.enforced).toBe(true);
    await s.stop();
    running.splice(running.indexOf(s), 1);
    const off = await started(startMariadb({ pki, initSql: [`CREATE USER '${USER}'@'%'`], ssl: false }));
    expect(await probe(off, 'mysql', 'valid')).toMatchObject({
      rejectedAt: 'unreachable',
      failure: { kind: 'starttls' },
      reason: expect.stringMatching(/does not offer TLS \(no CLIENT_SSL in its greeting\)/),
    });
  });
});

describe('peers that stall or close around the protocol exchange (node servers)', () => {
  const closers: (() => void)[] = [];
  afterEach(() => closers.splice(0).forEach((c) => c()));

  async function listen(server: net.Server): Promise<StartedServer> {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => server.close());
    const port = (server.address() as net.AddressInfo).port;
    return { host: '127.0.0.1', port, logs: () => '', stop: async () => {} };
  }
  const tlsServer = (onSecure: (s: tls.TLSSocket) => void) =>
    tls.createServer({ key: pki.server.keyPem, cert: pki.server.chainPem, ca: pki.root.certPem, requestCert: true, rejectUnauthorized: true }, onSecure);

  it("no answer to the SSLRequest: unreachable, a timeout in the starttls phase, in the module's words", async () => {
    const s = await listen(net.createServer((c) => c.on('data', () => {})));
    const o = await probeEndpoint(options(s, 'postgres', 'valid', { timeoutMs: 400 }));
    expect(o).toMatchObject({
      rejectedAt: 'unreachable',
      failure: { kind: 'timeout', phase: 'starttls' },
      reason: 'the server accepted the TCP connection but did not answer the PostgreSQL SSLRequest within 400 ms',
    });
    const m = await probeEndpoint(options(s, 'mysql', 'valid', { timeoutMs: 400 }));
    expect(m.reason).toBe('the server accepted the TCP connection but sent no MySQL greeting within 400 ms');
  });

  it('a server that accepts and never answers the request: accepted, "no Redis reply arrived", the same status as https', async () => {
    const s = await listen(tlsServer((c) => c.on('data', () => {})));
    const o = await probeEndpoint(options(s, 'redis', 'valid', { timeoutMs: 1500 }));
    expect(o).toMatchObject({ rejectedAt: 'accepted', reason: 'the connection was accepted and stayed open, but no Redis reply arrived within 1500 ms' });
    const h = await probeEndpoint(options(s, 'https', 'valid', { timeoutMs: 1500 }));
    expect(h).toMatchObject({ rejectedAt: 'accepted', reason: 'the connection was accepted and stayed open, but no HTTP response arrived within 1500 ms' });
  });

  it('a broker that closes after CONNECT without a CONNACK: never accepted, the TLS rules decide', async () => {
    const s = await listen(tlsServer((c) => c.once('data', () => c.end())));
    const o = await probeEndpoint(options(s, 'mqtt', 'valid'));
    expect(o).toMatchObject({ rejectedAt: 'post-handshake', reason: 'the handshake completed, then the server closed the connection without a response' });
  });
});
