// Secrets never reach a report: a client under test run by `sh -c '… curl -u … -H "Authorization: …" …'`
// that also prints its own private key unarmoured (openssl pkey -text, DER base64), and a
// `run --rotation-command` / config `rotation.command` carrying a token. Every report (JSON, JUnit,
// HTML) is read back and searched for each secret, and for the redaction markers.
import { createPrivateKey } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/run.js';
import { mintFixturePki, type FixturePki } from '../src/pki/generate.js';
import { findBinary, type StartedProcessReference } from '../src/targets/reference/process.js';
import { startReference } from '../src/targets/reference/start.js';
import { skipUnless } from './helpers/servers.js';

const CURL = findBinary('curl');
const OPENSSL = findBinary('openssl');
const BASE64 = findBinary('base64');

let dir: string;
const f = (n: string) => path.join(dir, n);
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-redaction-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: { NO_COLOR: '1', PATH: process.env.PATH ?? '' },
  });
  return { code, stdout, stderr };
}

/**
 * Where a report shows ≥ 16 contiguous bytes of the private key's secret scalar, in the encodings a
 * command can print it: hex with or without colons/spaces/line breaks, either case (openssl pkey
 * -text, od, xxd), and base64 of its DER (PKCS#8 or SEC1, with or without line breaks; PEM bodies).
 */
function keyLeaks(kind: string, text: string, keyPem: string): string[] {
  const key = createPrivateKey(keyPem);
  const d = Buffer.from(key.export({ format: 'jwk' }).d!, 'base64url');
  const leaks: string[] = [];
  const hexText = text.toLowerCase().replace(/[^0-9a-f]/g, '');
  for (let i = 0; i + 16 <= d.length; i++)
    if (hexText.includes(d.subarray(i, i + 16).toString('hex'))) leaks.push(`${kind}: 16 bytes of the key in hex at ${i}`);
  const b64Text = text.replace(/[^A-Za-z0-9+/]/g, '');
  for (const type of ['pkcs8', 'sec1'] as const) {
    const der = key.export({ format: 'der', type });
    const at = der.indexOf(d);
    const b64 = der.toString('base64');
    // 24 characters (18 bytes) from a 4-character boundary, of which at least 8 bytes are the scalar.
    for (let c = 0; c + 24 <= b64.length; c += 4) {
      const from = (c / 4) * 3;
      const overlap = Math.min(from + 18, at + d.length) - Math.max(from, at);
      if (overlap >= 8 && b64Text.includes(b64.slice(c, c + 24))) leaks.push(`${kind}: ${type} DER base64 at ${c}`);
    }
  }
  return leaks;
}

async function reports(base: string): Promise<Record<string, string>> {
  return {
    json: await fs.readFile(f(`${base}.json`), 'utf8'),
    junit: await fs.readFile(f(`${base}.xml`), 'utf8'),
    html: await fs.readFile(f(`${base}.html`), 'utf8'),
  };
}

function expectNone(files: Record<string, string>, secrets: string[], keyPem: string): void {
  const leaks: string[] = [];
  for (const [kind, text] of Object.entries(files)) {
    for (const [i, s] of secrets.entries()) if (text.includes(s)) leaks.push(`${kind}: secret #${i} ("${s.slice(0, 4)}…")`);
    leaks.push(...keyLeaks(kind, text, keyPem));
  }
  expect(leaks).toEqual([]);
}

describe('client-test: a shell-string client with credentials that prints its private key', () => {
  const skip =
    skipUnless(CURL, 'curl', 'apt-get install curl') ||
    skipUnless(OPENSSL, 'openssl', 'apt-get install openssl') ||
    skipUnless(BASE64, 'base64', 'apt-get install coreutils');

  it.skipIf(skip)(
    'keeps every credential and every fragment of the key out of JSON, JUnit and HTML',
    async () => {
      const seen = f('seen-key.pem');
      const script = [
        'set -x',
        `cp {key} ${seen}`,
        'openssl pkey -in {key} -text -noout',
        'openssl pkey -in {key} -outform DER | base64',
        'openssl pkey -in {key} -outform DER | base64 -w0; echo',
        'openssl pkey -in {key} -outform DER | od -An -tx1',
        'PGPASSWORD=pgsecret123 true',
        'curl -sS -v -u admin:hunter2 --oauth2-bearer oauthTOKEN1 -H "X-Api-Key: apikeyVALUE1" -H "Authorization: Bearer bearerTOKEN2" -H "Cookie: session=cookieVALUE3" --cacert {ca} --cert {cert} --key {key} --resolve {resolve} "https://urluser:urlPASS4@{servername}:{port}/?password=queryPW5"',
      ].join('; ');
      const r = await cli([
        'client-test',
        '--name',
        'leaky',
        '--check',
        'client.presents-cert',
        '--json',
        f('ct.json'),
        '--junit',
        f('ct.xml'),
        '--html',
        f('ct.html'),
        '--',
        'sh',
        '-c',
        script,
      ]);
      expect(r.code, r.stdout + r.stderr).toBeLessThan(2);
      const files = await reports('ct');
      const keyPem = await fs.readFile(seen, 'utf8');
      expectNone(files, ['hunter2', 'oauthTOKEN1', 'apikeyVALUE1', 'bearerTOKEN2', 'cookieVALUE3', 'urlPASS4', 'queryPW5', 'pgsecret123'], keyPem);
      for (const [kind, text] of Object.entries(files)) {
        expect(text, kind).toContain('[private key redacted]');
        expect(text, kind).toContain('[REDACTED]');
      }
      // What is not secret stays: the program, its flags, the header names.
      expect(files.json).toContain('X-Api-Key: [REDACTED]');
      expect(files.json).toMatch(/curl -sS -v -u \[REDACTED\]/);
    },
    60_000,
  );
});

describe('run: a rotation command carrying a token', () => {
  let pki: FixturePki;
  let ref: StartedProcessReference;
  beforeAll(async () => {
    pki = await mintFixturePki();
    await fs.writeFile(f('ca.pem'), pki.root.certPem);
    await fs.writeFile(f('client.pem'), pki.client.chainPem);
    await fs.writeFile(f('client-key.pem'), pki.client.keyPem, { mode: 0o600 });
    ref = (await startReference({ implementation: 'node', profile: 'rotation-graceful', pki })) as StartedProcessReference;
  });
  afterAll(async () => {
    await ref?.stop();
  });
  const skip = skipUnless(CURL, 'curl', 'apt-get install curl') || skipUnless(OPENSSL, 'openssl', 'apt-get install openssl');
  // Traces itself (sh -x prints the command with its token), asks a closed port on 127.0.0.1, and prints the run's --key.
  const command = `set -x; curl -sS -H "Authorization: Bearer rotTOKEN9" -u deploy:rotPASS8 "http://ci:rotURL7@127.0.0.1:9/rotate?token=rotQUERY6" || true; openssl pkey -in ${'CLIENTKEY'} -text -noout`;

  it.skipIf(skip)(
    '--rotation-command: the token is in none of the reports, the marker is',
    async () => {
      const cmd = command.replace('CLIENTKEY', f('client-key.pem'));
      await cli([
        'run',
        '--target',
        `127.0.0.1:${ref.endpoint.port}`,
        '--servername',
        'localhost',
        '--ca',
        f('ca.pem'),
        '--cert',
        f('client.pem'),
        '--key',
        f('client-key.pem'),
        '--suite',
        'rotation-continuity',
        '--rate',
        '5',
        '--rotation-command',
        cmd,
        '--json',
        f('rot.json'),
        '--junit',
        f('rot.xml'),
        '--html',
        f('rot.html'),
      ]);
      const files = await reports('rot');
      expectNone(files, ['rotTOKEN9', 'rotPASS8', 'rotURL7', 'rotQUERY6'], pki.client.keyPem);
      for (const [kind, text] of Object.entries(files)) {
        expect(text, kind).toContain('[REDACTED]');
        expect(text, kind).toContain('[private key redacted]');
      }
      const rep = JSON.parse(files.json!);
      const trigger = rep.results.find((x: { check: string }) => x.check === 'rotation.continuity').evidence.trigger;
      expect(trigger.description).toContain('Authorization: [REDACTED]');
    },
    60_000,
  );

  it.skipIf(skip)(
    'config rotation.command: the same',
    async () => {
      const cmd = command.replace('CLIENTKEY', 'client-key.pem');
      await fs.writeFile(
        f('rot.yaml'),
        [
          'targets:',
          `  - endpoint: 127.0.0.1:${ref.endpoint.port}`,
          '    servername: localhost',
          '    ca: ca.pem',
          '    cert: client.pem',
          '    key: client-key.pem',
          '    rotation:',
          `      command: ${JSON.stringify(`cd ${dir}; ${cmd}`)}`,
          '      before: 500ms',
          '      after: 500ms',
          '      rate: 5',
          '',
        ].join('\n'),
      );
      await cli([
        'run',
        '--config',
        f('rot.yaml'),
        '--suite',
        'rotation-continuity',
        '--json',
        f('rotc.json'),
        '--junit',
        f('rotc.xml'),
        '--html',
        f('rotc.html'),
      ]);
      const files = await reports('rotc');
      expectNone(files, ['rotTOKEN9', 'rotPASS8', 'rotURL7', 'rotQUERY6'], pki.client.keyPem);
      for (const [kind, text] of Object.entries(files)) {
        expect(text, kind).toContain('[REDACTED]');
        expect(text, kind).toContain('[private key redacted]');
      }
    },
    60_000,
  );
});
