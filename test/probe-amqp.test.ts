// probeEndpoint({ protocol: 'amqp' }) and `run --protocol amqp` against a real RabbitMQ (Debian's
// rabbitmq-server) on 127.0.0.1: raw TLS, then the AMQP 0-9-1 protocol header, then Connection.Start.
// `verify_peer` with `fail_if_no_peer_cert true` (strict) refuses a client without a certificate in
// TLS and serves the valid one; with `false` (open) both are served. Every classification is made
// three times and must not change. Each broker takes several seconds to boot.
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintFixturePki, type FixturePki } from '../src/pki/generate.js';
import { probeEndpoint, type ProbeOutcome } from '../src/probe/tls-probe.js';
import { spawnCli } from './helpers/cli.js';
import { RABBITMQ, startRabbitmq } from './helpers/rabbitmq.js';
import { skipUnless, type StartedServer } from './helpers/servers.js';

let pki: FixturePki;
let dir: string;
const running: StartedServer[] = [];

beforeAll(async () => {
  pki = await mintFixturePki({ clientCommonName: 'probe-client' });
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-amqp-test-'));
});
afterAll(async () => {
  for (const s of running.splice(0)) await s.stop();
  await fs.rm(dir, { recursive: true, force: true });
}, 30_000);

async function broker(failIfNoPeerCert: boolean): Promise<StartedServer> {
  const s = await startRabbitmq({ pki, failIfNoPeerCert });
  running.push(s);
  return s;
}

/** Three probes, one classification: returns the first. */
async function probe(s: StartedServer, withCert: boolean): Promise<ProbeOutcome> {
  const outs: ProbeOutcome[] = [];
  for (let i = 0; i < 3; i++)
    outs.push(
      await probeEndpoint({
        host: s.host,
        port: s.port,
        servername: 'localhost',
        ca: pki.root.certPem,
        protocol: 'amqp',
        timeoutMs: 5000,
        ...(withCert ? { cert: pki.client.chainPem, key: pki.client.keyPem } : {}),
      }),
    );
  const shape = (o: ProbeOutcome) => ({ at: o.rejectedAt, alert: o.alert?.code, failure: o.failure?.kind, message: o.application?.message });
  for (const o of outs.slice(1)) expect(shape(o), `${o.reason}\n${s.logs().slice(-2000)}`).toEqual(shape(outs[0]!));
  return outs[0]!;
}

async function rejectionSuite(s: StartedServer): Promise<{ code: number; status: string; message: string }> {
  const files = { ca: path.join(dir, 'ca.pem'), cert: path.join(dir, 'client.pem'), key: path.join(dir, 'client-key.pem') };
  await fs.writeFile(files.ca, pki.root.certPem);
  await fs.writeFile(files.cert, pki.client.chainPem);
  await fs.writeFile(files.key, pki.client.keyPem, { mode: 0o600 });
  const args = ['run', '--target', `127.0.0.1:${s.port}`, '--servername', 'localhost', '--protocol', 'amqp'];
  const r = await spawnCli(
    [...args, '--ca', files.ca, '--cert', files.cert, '--key', files.key, '--suite', 'rejection-without-cert', '--json', '-'],
    dir,
    {},
    60_000,
  );
  expect(r.stderr, r.stdout).not.toMatch(/\n\s+at /);
  const noCert = (JSON.parse(r.stdout) as { results: { check: string; status: string; message: string }[] }).results.find(
    (x) => x.check === 'reject.no-client-cert',
  );
  expect(noCert, r.stdout).toBeDefined();
  return { code: r.code, status: noCert!.status, message: noCert!.message };
}

describe.skipIf(skipUnless(RABBITMQ, 'rabbitmq-server', 'apt-get install rabbitmq-server'))(
  'rabbitmq-server (raw TLS, the protocol header, Connection.Start)',
  () => {
    it('fail_if_no_peer_cert true: the valid client gets Connection.Start; without a certificate, refused in TLS; run passes', async () => {
      const s = await broker(true);
      const valid = await probe(s, true);
      expect(valid, valid.reason).toMatchObject({
        rejectedAt: 'accepted',
        certificateRequested: true,
        application: { protocol: 'amqp', server: expect.stringMatching(/^RabbitMQ \d/), message: expect.stringMatching(/^Connection\.Start 0-9, mechanisms /) },
      });
      expect(valid.reason).toMatch(/^the AMQP broker \(RabbitMQ [\d.]+\) answered the protocol header with Connection\.Start/);
      const none = await probe(s, false);
      expect(['handshake', 'post-handshake'], none.reason).toContain(none.rejectedAt);
      const run = await rejectionSuite(s);
      expect(run.status, run.message).toBe('pass');
      expect(run.code).toBe(0);
    }, 90_000);

    it('fail_if_no_peer_cert false: served without a certificate (Connection.Start); run fails', async () => {
      const s = await broker(false);
      const none = await probe(s, false);
      expect(none, none.reason).toMatchObject({ rejectedAt: 'accepted', application: { protocol: 'amqp', server: expect.stringMatching(/^RabbitMQ /) } });
      const run = await rejectionSuite(s);
      expect(run.status, run.message).toBe('fail');
      expect(run.message).toMatch(/Connection\.Start/);
      expect(run.code).not.toBe(0);
    }, 90_000);
  },
);
