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
import { probeThrice, rejectionSuite } from './helpers/protocol-runs.js';
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

describe.skipIf(skipUnless(RABBITMQ, 'rabbitmq-server', 'apt-get install rabbitmq-server'))(
  'rabbitmq-server (raw TLS, the protocol header, Connection.Start)',
  () => {
    it('fail_if_no_peer_cert true: the valid client gets Connection.Start; without a certificate, refused in TLS; run passes', async () => {
      const s = await broker(true);
      const valid = await probeThrice(s, pki, 'amqp', true);
      expect(valid, valid.reason).toMatchObject({
        rejectedAt: 'accepted',
        certificateRequested: true,
        application: { protocol: 'amqp', server: expect.stringMatching(/^RabbitMQ \d/), message: expect.stringMatching(/^Connection\.Start 0-9, mechanisms /) },
      });
      expect(valid.reason).toMatch(/^the AMQP broker \(RabbitMQ [\d.]+\) answered the protocol header with Connection\.Start/);
      const none = await probeThrice(s, pki, 'amqp', false);
      expect(['handshake', 'post-handshake'], none.reason).toContain(none.rejectedAt);
      const run = await rejectionSuite(s, pki, 'amqp', dir);
      expect(run.status, run.message).toBe('pass');
      expect(run.code).toBe(0);
    }, 90_000);

    it('fail_if_no_peer_cert false: served without a certificate (Connection.Start); run fails', async () => {
      const s = await broker(false);
      const none = await probeThrice(s, pki, 'amqp', false);
      expect(none, none.reason).toMatchObject({ rejectedAt: 'accepted', application: { protocol: 'amqp', server: expect.stringMatching(/^RabbitMQ /) } });
      const run = await rejectionSuite(s, pki, 'amqp', dir);
      expect(run.status, run.message).toBe('fail');
      expect(run.message).toMatch(/Connection\.Start/);
      expect(run.code).not.toBe(0);
    }, 90_000);
  },
);
