// Issue 18: the protocol decided from what the server does (src/probe/detect.ts), against real
// servers on 127.0.0.1 (the reference servers, on ephemeral ports: no port hint helps), and the same
// verdicts with and without --protocol for each database and broker.
import { promises as fs } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintFixturePki, type FixturePki } from '../src/pki/generate.js';
import { detectProtocol } from '../src/probe/detect.js';
import { REFERENCES } from '../src/targets/reference/index.js';
import { findBinary } from '../src/targets/reference/process.js';
import { startReference } from '../src/targets/reference/start.js';
import type { StartedReference } from '../src/targets/target.js';
import { spawnCli } from './helpers/cli.js';

let pki: FixturePki;
let dir: string;
beforeAll(async () => {
  pki = await mintFixturePki();
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-detect-'));
  await fs.writeFile(path.join(dir, 'ca.pem'), pki.root.certPem);
  await fs.writeFile(path.join(dir, 'client.pem'), pki.client.chainPem);
  await fs.writeFile(path.join(dir, 'client-key.pem'), pki.client.keyPem, { mode: 0o600 });
  await fs.writeFile(path.join(dir, 'ca-key.pem'), pki.root.keyPem, { mode: 0o600 });
});
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

const installed = (name: string) => {
  const p = REFERENCES[name]!.process;
  return !p || !!findBinary(p.binary);
};
const withCert = () => ({ cert: pki.client.chainPem, key: pki.client.keyPem });

/** Each reference, the protocol detection must find (with the valid client certificate), and how. */
const CASES: [string, string, string, RegExp][] = [
  ['postgres', 'strict', 'postgres', /SSLRequest answered S/],
  ['mariadb', 'strict', 'mysql', /MySQL\/MariaDB greeting/],
  ['redis', 'strict', 'redis', /Redis answered \(\+PONG\)/],
  ['mosquitto', 'strict', 'mqtt', /MQTT answered \(CONNACK 0/],
  ['nginx', 'strict', 'https', /ALPN http\/1\.1/],
  ['openssl', 'strict', 'https', /without ALPN, HTTP answered/],
  ['node', 'strict', 'https', /ALPN http\/1\.1/],
  ['node-grpc', 'strict', 'grpc', /ALPN h2 only/],
];

describe('detectProtocol against real servers (ephemeral ports: no port hint)', () => {
  for (const [impl, profile, want, how] of CASES) {
    it.skipIf(!installed(impl))(
      `${impl} ${profile}: ${want}`,
      async () => {
        const ref = await startReference({ implementation: impl, profile, pki });
        try {
          const d = await detectProtocol({ host: '127.0.0.1', port: ref.endpoint.port, servername: 'localhost', ca: pki.root.certPem, ...withCert() });
          expect(d, JSON.stringify(d)).toMatchObject({ protocol: want });
          expect(d.how).toMatch(how);
        } finally {
          await ref.stop();
        }
      },
      60_000,
    );
  }

  it.skipIf(!installed('redis'))(
    'Redis requiring a certificate, probed without one: undecided (its answer cannot be heard), never https',
    async () => {
      const ref = await startReference({ implementation: 'redis', profile: 'strict', pki });
      try {
        const d = await detectProtocol({ host: '127.0.0.1', port: ref.endpoint.port, servername: 'localhost', ca: pki.root.certPem });
        expect(d.protocol).toBeUndefined();
        expect(d.how).toMatch(/certificate_required/);
      } finally {
        await ref.stop();
      }
    },
    60_000,
  );

  it('a server greeting in no known protocol: undecided, its bytes shown escaped', async () => {
    const srv = net.createServer((s) => s.end('HELLO \x1b[31mworld\r\n'));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    try {
      const d = await detectProtocol({ host: '127.0.0.1', port: (srv.address() as net.AddressInfo).port });
      expect(d.protocol).toBeUndefined();
      expect(d.how).toMatch(/spoke first, in no protocol the harness knows \("HELLO /);
      expect(d.how).not.toContain('\x1b');
    } finally {
      srv.close();
    }
  });
});

// The catalogue with and without --protocol, against each database and broker (strict, and the
// profile that serves a cert-less client where the server has one): the same verdicts, check by check.
describe('run without --protocol: the same verdicts as with it', () => {
  const pairs: [string, string][] = [
    ['postgres', 'strict'],
    ['postgres', 'no-client-auth'],
    ['mariadb', 'strict'],
    ['redis', 'strict'],
    ['redis', 'no-client-auth'],
    ['mosquitto', 'strict'],
    ['mosquitto', 'no-client-auth'],
  ];
  for (const [impl, profile] of pairs) {
    it.skipIf(!installed(impl))(
      `${impl} ${profile}`,
      async () => {
        const ref: StartedReference = await startReference({ implementation: impl, profile, pki });
        try {
          const protocol = REFERENCES[impl]!.protocol;
          const args = (extra: string[]) => [
            'run',
            '--target',
            `127.0.0.1:${ref.endpoint.port}`,
            '--servername',
            'localhost',
            '--ca',
            'ca.pem',
            '--cert',
            'client.pem',
            '--key',
            'client-key.pem',
            '--ca-key',
            'ca-key.pem',
            ...(REFERENCES[impl]!.appUser ? ['--app-user', REFERENCES[impl]!.appUser!] : []),
            '--json',
            '-',
            ...extra,
          ];
          const given = await spawnCli(args(['--protocol', protocol]), dir, {}, 120_000);
          const detected = await spawnCli(args([]), dir, {}, 120_000);
          const verdicts = (out: string) =>
            Object.fromEntries((JSON.parse(out) as { results: { check: string; status: string }[] }).results.map((r) => [r.check, r.status]));
          expect(detected.code, detected.stderr).toBe(given.code);
          expect(verdicts(detected.stdout)).toEqual(verdicts(given.stdout));
          const target = (JSON.parse(detected.stdout) as { targets: { appProtocol?: { name: string; detected?: string } }[] }).targets[0]!;
          expect(target.appProtocol).toMatchObject({ name: protocol, detected: expect.any(String) });
        } finally {
          await ref.stop();
        }
      },
      240_000,
    );
  }
});
