// san.server-identity with a SPIFFE ID expected: the server's leaf must carry it AND be an X.509-SVID
// (X509-SVID §2-§4). Leaves made by the openssl CLI (a CA of its own), served by `openssl s_server`
// on 127.0.0.1, judged by `mtls-harness run --config` end to end.
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, stopProcess, waitForTls } from '../src/targets/reference/process.js';
import { expectUsageError, runInProcess } from './helpers/cli.js';
import { opensslCa, opensslLeaf } from './helpers/openssl-cli.js';
import { OPENSSL } from './helpers/servers.js';

const ID = 'spiffe://example.org/ns/default/sa/web';
let dir: string;
const servers: ChildProcess[] = [];

/** A server leaf signed by the openssl-CLI CA with these extensions (an `openssl x509 -extfile` section). */
const leaf = (name: string, ext: string) => opensslLeaf(path.join(dir, name), path.join(dir, 'ca'), '/O=example/CN=web', ext);

/** `openssl s_server -www` serving the leaf; resolves once it answers TLS. */
async function serve(name: string): Promise<number> {
  const port = await freePort();
  const p = spawn(
    OPENSSL!,
    ['s_server', '-accept', `127.0.0.1:${port}`, '-naccept', '1000', '-www', '-cert', path.join(dir, `${name}.pem`), '-key', path.join(dir, `${name}-key.pem`)],
    {
      stdio: ['pipe', 'ignore', 'ignore'],
    },
  );
  servers.push(p);
  await waitForTls('127.0.0.1', port, () => (p.exitCode !== null ? `s_server exited with ${p.exitCode}` : undefined), 10_000);
  return port;
}

/** The check's result against the leaf, from a run with `expect.serverIdentity`. */
async function identityVerdict(name: string, identity = ID): Promise<{ status: string; message: string; evidence: Record<string, unknown> }> {
  const port = await serve(name);
  const cfg = path.join(dir, `${name}.yaml`);
  await fs.writeFile(
    cfg,
    `targets:\n  - name: ${name}\n    endpoint: 127.0.0.1:${port}\n    servername: localhost\n    ca: ca.pem\n    expect:\n      serverIdentity: ${JSON.stringify(identity)}\nsuites: [san-validation]\n`,
  );
  const out = path.join(dir, `${name}.json`);
  const r = await runInProcess(['run', '--config', cfg, '--json', out, '--quiet']);
  expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
  const j = JSON.parse(await fs.readFile(out, 'utf8')) as { results: { check: string; status: string; message: string; evidence: Record<string, unknown> }[] };
  return j.results.find((x) => x.check === 'san.server-identity')!;
}

const BASE = 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth';

describe.skipIf(!OPENSSL)('san.server-identity: the X.509-SVID profile of a server leaf made by the openssl CLI', () => {
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-svid-'));
    await opensslCa(path.join(dir, 'ca'), '/O=example/CN=example.org trust domain CA');
    await leaf('svid', `subjectAltName=URI:${ID},DNS:localhost\n${BASE}`);
    await leaf('two-uris', `subjectAltName=URI:${ID},URI:spiffe://example.org/ns/default/sa/other,DNS:localhost\n${BASE}`);
    await leaf(
      'ca-true',
      `subjectAltName=URI:${ID},DNS:localhost\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,digitalSignature,keyCertSign\nextendedKeyUsage=serverAuth,clientAuth`,
    );
    await leaf('no-eku', `subjectAltName=URI:${ID},DNS:localhost\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature`);
    await leaf(
      'server-auth-only',
      `subjectAltName=URI:${ID},DNS:localhost\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth`,
    );
  }, 60_000);
  afterAll(async () => {
    for (const p of servers) await stopProcess(p);
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('a conforming SVID carrying the ID: pass', async () => {
    const v = await identityVerdict('svid');
    expect(v.status, v.message).toBe('pass');
    expect(v.message).toMatch(/is an X\.509-SVID/);
    expect(v.evidence.svidProfile).toMatchObject({ problems: [] });
  });

  it('two URI SANs: fail, naming the rule (X509-SVID §2)', async () => {
    const v = await identityVerdict('two-uris');
    expect(v.status).toBe('fail');
    expect(v.message).toMatch(/it has 2 URI SANs; an SVID has exactly one, the SPIFFE ID \(X509-SVID §2\)/);
  });

  it('a CA certificate with keyCertSign: fail on both rules (X509-SVID §4.1, §4.3)', async () => {
    const v = await identityVerdict('ca-true');
    expect(v.status).toBe('fail');
    expect(v.message).toMatch(/cA TRUE.*§4\.1/);
    expect(v.message).toMatch(/keyCertSign or cRLSign.*§4\.3/);
  });

  it('no extendedKeyUsage (a SHOULD): warn; serverAuth alone (a MUST when present): fail', async () => {
    const warn = await identityVerdict('no-eku');
    expect(warn.status, warn.message).toBe('warn');
    expect(warn.message).toMatch(/no extendedKeyUsage/);
    const fail = await identityVerdict('server-auth-only');
    expect(fail.status).toBe('fail');
    expect(fail.message).toMatch(/lacks clientAuth/);
  });

  it('another SPIFFE ID expected: fail as before (the identity is not carried); a malformed one: exit 2 naming the config key, nothing run', async () => {
    const other = await identityVerdict('svid', 'spiffe://example.org/ns/default/sa/api');
    expect(other.status).toBe('fail');
    expect(other.message).toMatch(/does not carry the identity spiffe:\/\/example\.org\/ns\/default\/sa\/api/);
    const cfg = path.join(dir, 'bad-id.yaml');
    await fs.writeFile(cfg, `targets:\n  - endpoint: 127.0.0.1:9\n    expect:\n      serverIdentity: "spiffe://Example.org/ns/default/sa/web"\n`);
    expectUsageError(
      await runInProcess(['run', '--config', cfg]),
      /expect\.serverIdentity "spiffe:\/\/Example\.org\/ns\/default\/sa\/web" is not a valid SPIFFE ID: its trust domain/,
    );
  });

  it('a DNS identity keeps the old behaviour: carried, pass (no SVID profile asked)', async () => {
    const v = await identityVerdict('two-uris', 'localhost');
    expect(v.status).toBe('pass');
    expect(v.evidence.svidProfile).toBeUndefined();
  });
});
