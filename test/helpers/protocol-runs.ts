// What the protocol tests against one real server do alike: a probe made three times that must
// classify the same each time, and `run --suite rejection-without-cert` on the built CLI.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { expect } from 'vitest';
import type { FixturePki } from '../../src/pki/generate.js';
import type { Protocol } from '../../src/probe/protocols/index.js';
import { probeEndpoint, type ProbeOutcome } from '../../src/probe/tls-probe.js';
import { spawnCli } from './cli.js';
import type { StartedServer } from './servers.js';

/** Three probes with the valid client certificate or none, one classification: returns the first. */
export async function probeThrice(s: StartedServer, pki: FixturePki, protocol: Protocol, withCert: boolean): Promise<ProbeOutcome> {
  const outs: ProbeOutcome[] = [];
  for (let i = 0; i < 3; i++)
    outs.push(
      await probeEndpoint({
        host: s.host,
        port: s.port,
        servername: 'localhost',
        ca: pki.root.certPem,
        protocol,
        timeoutMs: 5000,
        ...(withCert ? { cert: pki.client.chainPem, key: pki.client.keyPem } : {}),
      }),
    );
  const shape = (o: ProbeOutcome) => ({
    at: o.rejectedAt,
    alert: o.alert?.code,
    failure: o.failure?.kind,
    code: o.application?.code,
    message: o.application?.message,
  });
  for (const o of outs.slice(1)) expect(shape(o), `${o.reason}\n${s.logs().slice(-2000)}`).toEqual(shape(outs[0]!));
  return outs[0]!;
}

/** `run --protocol P --suite rejection-without-cert --json -` (credentials written to `dir`): the exit code and reject.no-client-cert. */
export async function rejectionSuite(
  s: StartedServer,
  pki: FixturePki,
  protocol: Protocol,
  dir: string,
): Promise<{ code: number; status: string; message: string }> {
  const files = { ca: path.join(dir, 'ca.pem'), cert: path.join(dir, 'client.pem'), key: path.join(dir, 'client-key.pem') };
  await fs.writeFile(files.ca, pki.root.certPem);
  await fs.writeFile(files.cert, pki.client.chainPem);
  await fs.writeFile(files.key, pki.client.keyPem, { mode: 0o600 });
  const args = ['run', '--target', `127.0.0.1:${s.port}`, '--servername', 'localhost', '--protocol', protocol];
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
