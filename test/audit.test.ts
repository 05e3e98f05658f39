// The offline audit (mtls-harness audit) on real layouts written by the project's own `certs init`,
// each broken one way, with key matching and chain verification cross-checked by openssl, and the
// built CLI run end to end (table, --json -, --junit against the XSD, --html).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditPaths, type AuditOptions } from '../src/audit/audit.js';
import { addDays, fixedClock } from '../src/core/clock.js';
import { mintCertificate, type Credential, type MintOptions } from '../src/pki/generate.js';
import { certsInit, type LayoutName } from '../src/pki/layouts.js';
import { expectTargetIds } from './helpers/target-ids.js';
import type { Result, RunReport } from '../src/core/model.js';
import type { Status } from '../src/core/status.js';
import { CLI_JS as cliJs, expectUsageError, spawnCli, type Ran } from './helpers/cli.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const XSD = path.join(root, 'fixtures/junit/JUnit-testcase-output.xsd');
const HAVE_OPENSSL = spawnSync('sh', ['-c', 'command -v openssl']).status === 0;
const HAVE_XMLLINT = spawnSync('sh', ['-c', 'command -v xmllint']).status === 0;

let tmp: string;
const p = (...parts: string[]) => path.join(tmp, ...parts);
let seq = 0;

/** A fresh copy of a layout, written by certs init (keys 0600, certificates 0644). */
async function layout(name: LayoutName, extra: Partial<Parameters<typeof certsInit>[0]> = {}): Promise<string> {
  const out = p(`${name}-${++seq}`);
  await certsInit({ out, layout: name, ...(name === 'per-service' ? { services: ['api', 'web'] } : {}), ...extra });
  return out;
}

function audit(paths: string[], o: Partial<AuditOptions> = {}): RunReport {
  return auditPaths({ paths, cwd: tmp, ...o });
}

function find(r: RunReport, target: string, check: string): Result {
  const res = r.results.find((x) => x.target === target && x.check === check);
  if (!res) throw new Error(`no ${check} for ${target}; targets: ${[...new Set(r.results.map((x) => x.target))].join(', ')}`);
  return res;
}

function statuses(r: RunReport, s: Status): string[] {
  return r.results.filter((x) => x.status === s).map((x) => `${x.target} ${x.check}`);
}

function openssl(args: string[], input?: Buffer): { code: number; out: Buffer; err: string } {
  const r = spawnSync('openssl', args, { input, maxBuffer: 1 << 20 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr.toString() };
}

const sha256 = (b: Buffer) => execFileSync('sha256sum', [], { input: b }).toString().split(' ')[0]!;
/** `openssl pkey -pubout -outform DER | sha256sum` of a private key file. */
const opensslKeySpki = (keyFile: string, pass?: string) =>
  sha256(openssl(['pkey', '-in', keyFile, '-pubout', '-outform', 'DER', ...(pass ? ['-passin', `pass:${pass}`] : [])]).out);
/** The same for a certificate's public key. */
const opensslCertSpki = (certFile: string) =>
  sha256(openssl(['pkey', '-pubin', '-outform', 'DER'], openssl(['x509', '-in', certFile, '-pubkey', '-noout']).out).out);

const cli = (args: string[], env: Record<string, string> = {}): Promise<Ran> => spawnCli(args, tmp, env);

/** A gufo-named set minted here, for certificates certs init would never make. */
async function customSet(opts: { server?: Partial<MintOptions>; client?: Partial<MintOptions>; now?: Date } = {}): Promise<{ dir: string; ca: Credential }> {
  const dir = p(`custom-${++seq}`);
  await fs.mkdir(dir);
  const now = opts.now ?? new Date();
  const ca = await mintCertificate({ subject: 'CN=audit test CA', notBefore: addDays(now, -1), notAfter: addDays(now, 3650), ca: true, pathLength: 0 });
  const leaf = (cn: string, o: Partial<MintOptions> | undefined, eku: 'serverAuth' | 'clientAuth', sans?: MintOptions['sans']) =>
    mintCertificate({ subject: `CN=${cn}`, issuer: ca, notBefore: addDays(now, -1), notAfter: addDays(now, 365), eku: [eku], ...(sans ? { sans } : {}), ...o });
  const server = await leaf('server', opts.server, 'serverAuth', { dns: ['localhost'], ip: ['127.0.0.1'] });
  const client = await leaf('client', opts.client, 'clientAuth');
  await fs.writeFile(path.join(dir, 'ca.pem'), ca.certPem, { mode: 0o644 });
  await fs.writeFile(path.join(dir, 'server.pem'), server.certPem, { mode: 0o644 });
  await fs.writeFile(path.join(dir, 'server-key.pem'), server.keyPem, { mode: 0o600 });
  await fs.writeFile(path.join(dir, 'client.pem'), client.certPem, { mode: 0o644 });
  await fs.writeFile(path.join(dir, 'client-key.pem'), client.keyPem, { mode: 0o600 });
  return { dir, ca };
}

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-audit-'));
  if (!HAVE_OPENSSL) console.warn('SKIPPED the openssl cross-checks: openssl not installed (apt-get install openssl)');
});

afterAll(async () => {
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

describe('clean layouts written by certs init', () => {
  const expected: Record<LayoutName, { targets: string[]; warns: string[] }> = {
    default: { targets: ['CA ca.pem', 'server server.pem', 'client client.pem'], warns: ['CA ca.pem audit.ca-key-present'] },
    gufo: { targets: ['CA ca.pem', 'server server.pem', 'client client.pem'], warns: [] },
    kong: {
      targets: ['CA ca.crt', 'server server.crt', 'client kong-client.crt', 'client kong-client.pem', 'file k8s-mtls-secrets.yaml'],
      warns: ['CA ca.crt audit.ca-key-present'],
    },
    nova: { targets: ['CA ca.crt', 'server tls.crt', 'client client.crt'], warns: [] },
    'per-service': { targets: ['CA ca.pem', 'peer api/cert.pem', 'peer web/cert.pem'], warns: ['CA ca.pem audit.ca-key-present'] },
  };

  it.each(Object.keys(expected) as LayoutName[])('%s: recognised, nothing fails; only a CA key lying around warns', async (name) => {
    const dir = await layout(name);
    const rel = path.basename(dir);
    const r = audit([dir]);
    expect(r.settings?.audit?.layouts).toEqual([{ dir: rel, layout: name }]);
    expect(r.targets.map((t) => t.name)).toEqual(expected[name].targets.map((t) => t.replace(' ', ` ${rel}/`)));
    expect(statuses(r, 'fail')).toEqual([]);
    expect(statuses(r, 'error')).toEqual([]);
    expect(statuses(r, 'warn')).toEqual(expected[name].warns.map((w) => w.replace(' ', ` ${rel}/`)));
    for (const t of r.targets.filter((x) => !x.name.startsWith('file'))) {
      expect(find(r, t.name, 'audit.parse').status).toBe('pass');
      expect(find(r, t.name, 'audit.chain-verifies').status).toBe('pass');
      expect(find(r, t.name, 'audit.expiry').status).toBe('pass');
      expect(t.fileCertificates!.length).toBeGreaterThan(0);
    }
    for (const t of r.targets.filter((x) => !x.name.startsWith('CA') && !x.name.startsWith('file'))) {
      expect(find(r, t.name, 'audit.key-matches-cert').status, t.name).toBe('pass');
      expect(find(r, t.name, 'audit.key-permissions').evidence.files).toEqual([expect.objectContaining({ mode: '0600' })]);
      expect(find(r, t.name, 'audit.eku-fits-role').status, t.name).toBe('pass');
    }
    // The whole report carries no key material.
    expect(JSON.stringify(r)).not.toMatch(/PRIVATE KEY|MIG[A-Za-z0-9+/]{20}/);
  });

  it('nova: tls.crt is the server (layout); the wildcard SAN covers one label, not two', async () => {
    const dir = await layout('nova');
    const r = audit([dir], { expectedNames: ['grpc.nova.svc.cluster.local', 'a.b.nova.svc.cluster.local'] });
    const t = `server ${path.basename(dir)}/tls.crt`;
    expect(find(r, t, 'audit.eku-fits-role').evidence).toMatchObject({ role: 'server', roleFrom: expect.stringMatching(/nova layout/) });
    const cover = find(r, t, 'audit.san-covers-expected');
    expect(cover.status).toBe('fail');
    expect(cover.evidence.notCovered).toEqual(['a.b.nova.svc.cluster.local']);
    expect(find(r, `client ${path.basename(dir)}/client.crt`, 'audit.san-covers-expected').status).toBe('skip');
  });

  it.skipIf(!HAVE_OPENSSL)('every pass of chain-verifies and key-matches-cert agrees with openssl', async () => {
    const dir = await layout('default');
    const r = audit([dir]);
    for (const [cert, key] of [
      ['server.pem', 'server-key.pem'],
      ['client.pem', 'client-key.pem'],
    ] as const) {
      expect(openssl(['verify', '-CAfile', path.join(dir, 'ca.pem'), path.join(dir, cert)]).code).toBe(0);
      const res = find(r, `${cert.replace('.pem', '')} ${path.basename(dir)}/${cert}`, 'audit.key-matches-cert');
      expect(res.evidence.keyPublicKeySha256).toBe(opensslKeySpki(path.join(dir, key)));
      expect(res.evidence.certPublicKeySha256).toBe(opensslCertSpki(path.join(dir, cert)));
    }
  });
});

describe('broken one way each', () => {
  it('a key made group/world readable (chmod 644) fails key-permissions with the mode and the fix', async () => {
    const dir = await layout('gufo');
    await fs.chmod(path.join(dir, 'server-key.pem'), 0o644);
    const r = audit([dir]);
    const res = find(r, `server ${path.basename(dir)}/server.pem`, 'audit.key-permissions');
    expect(res.status).toBe('fail');
    expect(res.message).toMatch(/server-key\.pem .*mode 0644: its group and every user on the host can read it/);
    expect(res.remediation).toBe(`chmod 600 ${path.basename(dir)}/server-key.pem`);
    expect(res.evidence.files).toEqual([expect.objectContaining({ file: `${path.basename(dir)}/server-key.pem`, mode: '0644' })]);
    expect(statuses(r, 'fail')).toEqual([`server ${path.basename(dir)}/server.pem audit.key-permissions`]);
    await fs.chmod(path.join(dir, 'server-key.pem'), 0o640);
    expect(find(audit([dir]), `server ${path.basename(dir)}/server.pem`, 'audit.key-permissions').message).toMatch(/0640: its group can read it/);
  });

  it('swapped keys: key-matches-cert fails for both and says whose key it is (openssl agrees)', async () => {
    const dir = await layout('gufo');
    const s = path.join(dir, 'server-key.pem');
    const c = path.join(dir, 'client-key.pem');
    const [sk, ck] = await Promise.all([fs.readFile(s), fs.readFile(c)]);
    await fs.writeFile(s, ck);
    await fs.writeFile(c, sk);
    const r = audit([dir]);
    const rel = path.basename(dir);
    const server = find(r, `server ${rel}/server.pem`, 'audit.key-matches-cert');
    expect(server.status).toBe('fail');
    expect(server.message).toBe('server-key.pem is not the private key of server.pem (it belongs to client.pem): a TLS stack refuses to load this pair.');
    expect(server.evidence.keyBelongsTo).toEqual([`${rel}/client.pem`]);
    expect(find(r, `client ${rel}/client.pem`, 'audit.key-matches-cert').status).toBe('fail');
    if (HAVE_OPENSSL) {
      expect(server.evidence.keyPublicKeySha256).toBe(opensslKeySpki(s));
      expect(server.evidence.certPublicKeySha256).toBe(opensslCertSpki(path.join(dir, 'server.pem')));
      expect(server.evidence.keyPublicKeySha256).not.toBe(server.evidence.certPublicKeySha256);
      expect(server.evidence.keyPublicKeySha256).toBe(opensslCertSpki(path.join(dir, 'client.pem')));
    }
  });

  it('the CA replaced by another CA of the same name: chain-verifies fails (openssl verify agrees)', async () => {
    const dir = await layout('gufo');
    const other = await layout('gufo');
    await fs.copyFile(path.join(other, 'ca.pem'), path.join(dir, 'ca.pem'));
    const r = audit([dir]);
    const rel = path.basename(dir);
    for (const leaf of ['server', 'client']) {
      const res = find(r, `${leaf} ${rel}/${leaf}.pem`, 'audit.chain-verifies');
      expect(res.status).toBe('fail');
      expect(res.evidence.problems).toEqual([expect.stringMatching(/^signature-mismatch: /)]);
      if (HAVE_OPENSSL) expect(openssl(['verify', '-CAfile', path.join(dir, 'ca.pem'), path.join(dir, `${leaf}.pem`)]).code).not.toBe(0);
    }
    expect(find(r, `CA ${rel}/ca.pem`, 'audit.chain-verifies').status).toBe('pass'); // the new CA itself is fine
  });

  it('--ca names the trust anchors: the leaves verify against it; a CA bundle that is not that CA fails', async () => {
    const dir = await layout('gufo');
    const other = await layout('gufo');
    const { loadCaFile } = await import('../src/pki/inspect.js');
    const good = audit([dir], { ca: { file: path.join(dir, 'ca.pem'), certs: loadCaFile(path.join(dir, 'ca.pem')).certs } });
    expect(statuses(good, 'fail')).toEqual([]);
    expect(find(good, `server ${path.basename(dir)}/server.pem`, 'audit.chain-verifies').evidence.trustedFrom).toBe(`--ca ${path.join(dir, 'ca.pem')}`);
    const bad = audit([dir], { ca: { file: path.join(other, 'ca.pem'), certs: loadCaFile(path.join(other, 'ca.pem')).certs } });
    expect(statuses(bad, 'fail').sort()).toEqual(
      [
        `CA ${path.basename(dir)}/ca.pem audit.chain-verifies`,
        `client ${path.basename(dir)}/client.pem audit.chain-verifies`,
        `server ${path.basename(dir)}/server.pem audit.chain-verifies`,
      ].sort(),
    );
  });

  it('expiry: a leaf expiring in 3 days fails (--fail-days 7), warns with --fail-days 2; an expired one fails with the date', async () => {
    const now = new Date();
    const dir = await layout('gufo', { clock: fixedClock(addDays(now, -362)), days: 365 });
    const rel = path.basename(dir);
    const r = audit([dir]);
    const exp = find(r, `server ${rel}/server.pem`, 'audit.expiry');
    expect(exp.status).toBe('fail');
    expect(exp.message).toMatch(/^server\.pem expires on \d{4}-\d\d-\d\d, in 2 days \(under --fail-days 7\)\.$/);
    expect(find(audit([dir], { failDays: 2 }), `server ${rel}/server.pem`, 'audit.expiry').status).toBe('warn');
    expect(find(audit([dir], { failDays: 1, warnDays: 1 }), `server ${rel}/server.pem`, 'audit.expiry').status).toBe('pass');
    // The same files a year on (injected clock): expired, and the chain no longer verifies either.
    const later = audit([dir], { clock: fixedClock(addDays(now, 30)) });
    const expired = find(later, `server ${rel}/server.pem`, 'audit.expiry');
    expect(expired.status).toBe('fail');
    expect(expired.message).toMatch(/expired on \d{4}-\d\d-\d\d \(2\d days ago\)/);
    expect(expired.evidence.certificates).toEqual([expect.objectContaining({ status: 'fail', daysLeft: expect.any(Number) })]);
    expect(find(later, `server ${rel}/server.pem`, 'audit.chain-verifies').evidence.problems).toEqual([expect.stringMatching(/^expired: /)]);
  });

  it('a server certificate without SAN fails san-present; a client one without SAN is skipped with the reason', async () => {
    const { dir } = await customSet({ server: { sans: {} } });
    const rel = path.basename(dir);
    const r = audit([dir]);
    const server = find(r, `server ${rel}/server.pem`, 'audit.san-present');
    expect(server.status).toBe('fail');
    expect(server.message).toMatch(/no subjectAltName: TLS clients ignore the CN/);
    const client = find(r, `client ${rel}/client.pem`, 'audit.san-present');
    expect(client.status).toBe('skip');
    expect(client.message).toMatch(/servers identify it by its subject \(CN=client\)/);
    expect(statuses(r, 'fail')).toEqual([`server ${rel}/server.pem audit.san-present`]);
  });

  it('wrong EKU for the role fails eku-fits-role; --role fixes a misleading name', async () => {
    const { dir } = await customSet({ server: { eku: ['clientAuth'] } });
    const rel = path.basename(dir);
    const r = audit([dir]);
    const res = find(r, `server ${rel}/server.pem`, 'audit.eku-fits-role');
    expect(res.status).toBe('fail');
    expect(res.message).toBe('server.pem is a server certificate (file name) but its EKU (clientAuth) lacks serverAuth: peers refuse it for that role.');
    expect(res.evidence).toMatchObject({ role: 'server', roleFrom: 'file name', extKeyUsage: ['clientAuth'] });
    const asClient = audit([dir], { roles: [{ file: path.join(dir, 'server.pem'), role: 'client' }] });
    expect(find(asClient, `client ${rel}/server.pem`, 'audit.eku-fits-role')).toMatchObject({ status: 'pass', evidence: { roleFrom: '--role' } });
    expect(() => audit([dir], { roles: [{ file: p('nope.pem'), role: 'server' }] })).toThrow(/is not among the audited PKI files/);
  });

  it('a leaf with CA:TRUE fails leaf-not-ca; a leaf in the CA bundle fails ca-cert-is-ca', async () => {
    const { dir } = await customSet({ server: { ca: true } });
    const rel = path.basename(dir);
    expect(find(audit([dir]), `server ${rel}/server.pem`, 'audit.leaf-not-ca').status).toBe('fail');
    const { dir: d2 } = await customSet();
    await fs.appendFile(path.join(d2, 'ca.pem'), await fs.readFile(path.join(d2, 'client.pem')));
    const res = find(audit([d2]), `CA ${path.basename(d2)}/ca.pem`, 'audit.ca-cert-is-ca');
    expect(res.status).toBe('fail');
    expect(res.message).toMatch(/certificate #2 \("CN=client"\) is not a CA/);
  });

  it("a private key appended to ca.pem fails no-key-in-ca-bundle (the CA's own key: said so) and key-permissions", async () => {
    const dir = await layout('default');
    const rel = path.basename(dir);
    await fs.appendFile(path.join(dir, 'ca.pem'), await fs.readFile(path.join(dir, 'client-key.pem')));
    let r = audit([dir]);
    let res = find(r, `CA ${rel}/ca.pem`, 'audit.no-key-in-ca-bundle');
    expect(res.status).toBe('fail');
    expect(res.message).toMatch(/holds a private key: every peer given the trust bundle receives that key too/);
    expect(res.evidence.keys).toEqual([
      expect.objectContaining({ belongsTo: [expect.stringContaining(`${rel}/client.pem`)], publicKeySha256: expect.stringMatching(/^[0-9a-f]{64}$/) }),
    ]);
    expect(find(r, `CA ${rel}/ca.pem`, 'audit.key-permissions')).toMatchObject({
      status: 'fail',
      remediation: expect.stringMatching(new RegExp(`^chmod 600 ${rel}/ca\\.pem — better, take the key out of ca\\.pem`)),
    });
    // The CA's own key in the bundle.
    const d2 = await layout('default');
    await fs.appendFile(path.join(d2, 'ca.pem'), await fs.readFile(path.join(d2, 'ca-key.pem')));
    r = audit([d2]);
    res = find(r, `CA ${path.basename(d2)}/ca.pem`, 'audit.no-key-in-ca-bundle');
    expect(res.message).toMatch(/the CA's own private key: anyone given this trust bundle can issue certificates/);
    expect(find(r, `CA ${path.basename(d2)}/ca.pem`, 'audit.ca-key-present').evidence.caKeyFiles).toEqual([
      `${path.basename(d2)}/ca-key.pem`,
      `${path.basename(d2)}/ca.pem`,
    ]);
    expect(JSON.stringify(r)).not.toContain('PRIVATE KEY');
  });

  it('a truncated PEM is a parse failure naming file and reason, never exit 2, and never echoes key material', async () => {
    const dir = await layout('gufo');
    const rel = path.basename(dir);
    const key = await fs.readFile(path.join(dir, 'client-key.pem'), 'utf8');
    await fs.writeFile(path.join(dir, 'client-key.pem'), key.slice(0, 120));
    await fs.chmod(path.join(dir, 'client-key.pem'), 0o644);
    const cert = await fs.readFile(path.join(dir, 'server.pem'), 'utf8');
    await fs.writeFile(path.join(dir, 'server.pem'), cert.slice(0, cert.length - 40));
    const r = audit([dir]);
    const keyParse = find(r, `client ${rel}/client.pem`, 'audit.parse');
    expect(keyParse.status).toBe('fail');
    expect(keyParse.message).toBe(
      'client-key.pem does not parse: client-key.pem: 1 BEGIN line(s) but 0 complete PEM block(s); the file is truncated or its BEGIN/END labels do not match.',
    );
    // Still a key by its name: its permissions are judged, and the match is skipped with the reason.
    expect(find(r, `client ${rel}/client.pem`, 'audit.key-permissions').status).toBe('fail');
    expect(find(r, `client ${rel}/client.pem`, 'audit.key-matches-cert')).toMatchObject({
      status: 'skip',
      message: 'client-key.pem holds no parseable private key (see audit.parse), so it cannot be matched with client.pem.',
    });
    expect(find(r, `server ${rel}/server.pem`, 'audit.parse')).toMatchObject({
      status: 'fail',
      message: expect.stringMatching(/^server\.pem does not parse: server\.pem: 1 BEGIN line/),
    });
    const body = key.split('\n').filter((l) => l && !l.startsWith('-----'));
    const ran = await cli(['audit', dir, '--json', '-']);
    expect(ran.code).toBe(1);
    for (const line of body) expect(ran.stdout).not.toContain(line.slice(0, 40));
    expect(ran.stdout).not.toContain('PRIVATE KEY-----\n');
  });

  it.skipIf(!HAVE_OPENSSL)('an encrypted key: key-matches-cert skips without the passphrase, passes with it, errors with a wrong one', async () => {
    const dir = await layout('gufo');
    const rel = path.basename(dir);
    const k = path.join(dir, 'client-key.pem');
    expect(openssl(['pkcs8', '-topk8', '-v2', 'aes-256-cbc', '-in', k, '-out', `${k}.enc`, '-passout', 'pass:s3cret']).code).toBe(0);
    await fs.rename(`${k}.enc`, k);
    await fs.chmod(k, 0o600);
    const skipped = find(audit([dir]), `client ${rel}/client.pem`, 'audit.key-matches-cert');
    expect(skipped).toMatchObject({
      status: 'skip',
      message: 'client-key.pem is encrypted: pass its passphrase with --key-passphrase-env VAR to check that it belongs to the certificate.',
    });
    const passed = find(audit([dir], { passphrase: 's3cret' }), `client ${rel}/client.pem`, 'audit.key-matches-cert');
    expect(passed.status).toBe('pass');
    expect(passed.evidence.keyPublicKeySha256).toBe(opensslKeySpki(k, 's3cret'));
    const wrong = find(audit([dir], { passphrase: 'nope', passphraseSource: '$PASS' }), `client ${rel}/client.pem`, 'audit.key-matches-cert');
    expect(wrong).toMatchObject({ status: 'error', message: 'The passphrase from $PASS does not decrypt client-key.pem, so it cannot be matched.' });
    // Through the CLI: the env var names the passphrase; an unset one is a usage error.
    const ok = await cli(['audit', dir, '--key-passphrase-env', 'PASS', '--json', '-'], { PASS: 's3cret' });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).not.toContain('s3cret');
    expectUsageError(await cli(['audit', dir, '--key-passphrase-env', 'UNSET_VAR_FOR_AUDIT']), /UNSET_VAR_FOR_AUDIT.*not set/);
  });

  it.skipIf(!HAVE_OPENSSL)(
    "weak crypto made by openssl (RSA 1024, SHA-1) fails crypto-strength; a root's own SHA-1 self-signature does not count",
    async () => {
      const dir = p(`weak-${++seq}`);
      await fs.mkdir(dir);
      const at = (n: string) => path.join(dir, n);
      expect(
        openssl([
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-sha1',
          '-nodes',
          '-subj',
          '/CN=weak root',
          '-keyout',
          p(`weak-ca-key-${seq}.pem`),
          '-out',
          at('ca.pem'),
          '-days',
          '400',
          '-addext',
          'basicConstraints=critical,CA:TRUE',
        ]).code,
      ).toBe(0);
      expect(openssl(['req', '-newkey', 'rsa:1024', '-nodes', '-subj', '/CN=weak', '-keyout', at('server-key.pem'), '-out', p(`weak-${seq}.csr`)]).code).toBe(
        0,
      );
      await fs.writeFile(p(`weak-${seq}.ext`), 'subjectAltName=DNS:weak\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n');
      expect(
        openssl([
          'x509',
          '-req',
          '-in',
          p(`weak-${seq}.csr`),
          '-CA',
          at('ca.pem'),
          '-CAkey',
          p(`weak-ca-key-${seq}.pem`),
          '-sha1',
          '-days',
          '100',
          '-out',
          at('server.pem'),
          '-extfile',
          p(`weak-${seq}.ext`),
        ]).code,
      ).toBe(0);
      await fs.chmod(at('server-key.pem'), 0o600);
      const r = audit([dir]);
      const rel = path.basename(dir);
      expect(find(r, `CA ${rel}/ca.pem`, 'audit.crypto-strength').status).toBe('pass');
      const res = find(r, `server ${rel}/server.pem`, 'audit.crypto-strength');
      expect(res.status).toBe('fail');
      expect(res.message).toBe(
        'server.pem uses an RSA 1024-bit key (needs ≥ 2048) and a SHA-1 with RSASSA-PKCS1-v1_5 signature: peers with current security levels refuse it, and it can be forged or broken.',
      );
      expect(statuses(r, 'fail')).toEqual([`server ${rel}/server.pem audit.crypto-strength`]);
      expect(find(r, `server ${rel}/server.pem`, 'audit.key-matches-cert').status).toBe('pass'); // RSA keys from openssl match too
    },
  );

  it('a stray private key no certificate claims is its own target (warn); a key named oddly pairs by public key', async () => {
    const { dir } = await customSet();
    const rel = path.basename(dir);
    const other = await customSet();
    await fs.copyFile(path.join(other.dir, 'client-key.pem'), path.join(dir, 'stray.key'));
    await fs.rename(path.join(dir, 'server-key.pem'), path.join(dir, 'svc-private.pem'));
    const r = audit([dir]);
    expect(find(r, `key ${rel}/stray.key`, 'audit.key-matches-cert')).toMatchObject({
      status: 'warn',
      message: expect.stringMatching(/belongs to no certificate among the audited files/),
    });
    expect(find(r, `server ${rel}/server.pem`, 'audit.key-matches-cert')).toMatchObject({
      status: 'pass',
      evidence: { keyFile: `${rel}/svc-private.pem`, pairedBy: 'public key' },
    });
  });

  it("--alert-days is --warn-days (the seeds' check-cert-expiry.sh spelling)", async () => {
    const dir = await layout('gufo', { days: 20 });
    const rel = path.basename(dir);
    const warn = await cli(['audit', dir, '--alert-days', '30', '--json', '-']);
    expect(warn.code).toBe(0);
    const j = JSON.parse(warn.stdout);
    expect(j.results.find((x: Result) => x.target === `server ${rel}/server.pem` && x.check === 'audit.expiry').status).toBe('warn');
    expect(j.run.settings.audit).toMatchObject({ warnDays: 30, failDays: 7 });
    const quiet = await cli(['audit', dir, '--alert-days', '10', '--json', '-']);
    expect(JSON.parse(quiet.stdout).summary.warn).toBe(0);
    expect((await cli(['audit', dir, '--alert-days', '30', '--fail-on', 'warn'])).code).toBe(1);
    expectUsageError(await cli(['audit', dir, '--alert-days', '30', '--warn-days', '20']), /--alert-days is another name for --warn-days/);
  });
});

describe('walking directories', () => {
  const asNobody = spawnSync('sh', ['-c', 'command -v runuser']).status === 0 && process.getuid?.() === 0;
  if (!asNobody) console.warn('SKIPPED the unreadable-key test: it needs root and runuser to audit as user nobody');
  it.skipIf(!asNobody)('a key the auditing user cannot read (audited as nobody) is a skip with the reason, its permissions still judged', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-audit-nobody-'));
    try {
      await certsInit({ out: dir, layout: 'gufo', force: true });
      await fs.chmod(dir, 0o755);
      const ran = spawnSync('runuser', ['-u', 'nobody', '--', process.execPath, cliJs, 'audit', dir, '--json', '-'], {
        encoding: 'utf8',
        env: { ...process.env, NO_COLOR: '1' },
      });
      expect(ran.status, ran.stderr).toBe(0);
      const j = JSON.parse(ran.stdout) as RunReport;
      const t = `server ${dir}/server.pem`;
      expect(find(j, t, 'audit.parse')).toMatchObject({
        status: 'skip',
        message: 'server-key.pem cannot be read by the auditing user, so its content is not audited (permissions are).',
      });
      expect(find(j, t, 'audit.key-permissions')).toMatchObject({
        status: 'pass',
        evidence: { files: [expect.objectContaining({ mode: '0600', ownedByAuditingUser: false })] },
      });
      expect(find(j, t, 'audit.key-matches-cert')).toMatchObject({
        status: 'skip',
        message: 'server-key.pem cannot be read by the auditing user, so it cannot be matched with server.pem.',
      });
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('a symlink loop ends; a Kubernetes secret volume (..data symlinks) is audited once, with the defaultMode fix', async () => {
    const src = await layout('nova');
    const vol = p(`k8s-vol-${++seq}`);
    const data = path.join(vol, '..2026_11_23_20_00_00.000000001');
    await fs.mkdir(data, { recursive: true });
    for (const f of ['ca.crt', 'tls.crt', 'tls.key', 'client.crt', 'client.key']) {
      await fs.copyFile(path.join(src, f), path.join(data, f));
      await fs.chmod(path.join(data, f), 0o644); // defaultMode 0644
    }
    await fs.symlink(path.basename(data), path.join(vol, '..data'));
    for (const f of ['ca.crt', 'tls.crt', 'tls.key', 'client.crt', 'client.key']) await fs.symlink(`..data/${f}`, path.join(vol, f));
    await fs.symlink('.', path.join(vol, 'loop'));
    const r = audit([vol]);
    const rel = path.basename(vol);
    expect(r.targets.map((t) => t.name)).toEqual([`CA ${rel}/ca.crt`, `server ${rel}/tls.crt`, `client ${rel}/client.crt`]);
    const perm = find(r, `server ${rel}/tls.crt`, 'audit.key-permissions');
    expect(perm.status).toBe('fail');
    expect(perm.remediation).toMatch(/defaultMode: 0400/);
    expect(perm.evidence.files).toEqual([expect.objectContaining({ mode: '0644', symlinkTo: expect.stringContaining('..2026_11_23') })]);
  });

  it('DER certificates and keys are read; files that are not PKI are ignored; a directory deeper than the limit is reported', async () => {
    if (!HAVE_OPENSSL) return console.warn('SKIPPED DER part: openssl not installed');
    const dir = await layout('gufo');
    const rel = path.basename(dir);
    openssl(['x509', '-in', path.join(dir, 'server.pem'), '-outform', 'DER', '-out', path.join(dir, 'server.der')]);
    await fs.writeFile(path.join(dir, 'README.md'), '0 certificates here\n');
    const r = audit([dir]);
    expect(find(r, `server ${rel}/server.der`, 'audit.parse')).toMatchObject({
      status: 'pass',
      evidence: { files: expect.arrayContaining([expect.objectContaining({ file: `${rel}/server.der`, format: 'der', contains: '1 certificate' })]) },
    });
    expect(r.targets.some((t) => t.name.includes('README'))).toBe(false);
    const deep = p(`deep-${++seq}`, 'a', 'b', 'c');
    await fs.mkdir(deep, { recursive: true });
    await fs.copyFile(path.join(dir, 'ca.pem'), path.join(deep, 'ca.pem'));
    const limited = audit([p(`deep-${seq}`)], { limits: { maxDepth: 1 } });
    expect(find(limited, 'audit walk', 'audit.parse')).toMatchObject({ status: 'error', message: expect.stringMatching(/deeper than 1 levels, not walked/) });
  });
});

describe('the built CLI, end to end', () => {
  beforeAll(() => {
    if (!existsSync(cliJs)) throw new Error(`${cliJs} is missing: run "npm run build" (npm test does it first)`);
  });

  it.each([
    ['no path', () => ['audit'], /give at least one file or directory/],
    ['a path that does not exist', () => ['audit', p('nope')], /nope: no such file or directory/],
    ['an unknown flag', () => ['audit', tmp, '--bogus'], /--bogus/],
    ['a bad role', () => ['audit', tmp, '--role', 'x.pem=admin'], /--role "x\.pem=admin" must be FILE=ROLE/],
    ['fail-days above warn-days', () => ['audit', tmp, '--fail-days', '40'], /--fail-days \(40\) must not exceed --warn-days \(30\)/],
    ['--ca that does not exist', () => ['audit', tmp, '--ca', p('nope-ca.pem')], /nope-ca\.pem/],
  ])('%s → exit 2 with one line', async (_n, args, msg) => {
    expectUsageError(await cli(args()), msg);
  });

  it('--list-checks prints the one catalogue, the offline-audit suite with its checks among the other kinds', async () => {
    const l = await cli(['audit', '--list-checks']);
    expect(l.code).toBe(0);
    expect(l.stdout).toMatch(/^files checks: certificate and key files \(mtls-harness audit\)\noffline-audit — /m);
    expect(l.stdout).toMatch(/^ {2}audit\.crypto-strength {2,}Keys and signatures are strong enough/m);
    expect(l.stdout).toMatch(/^server checks: /m);
  });

  it('a hostile file name is inert: escaped in the HTML, no escape sequence reaches the terminal', async () => {
    const { dir } = await customSet();
    const evil = '<img src=x onerror=alert(1)>\u001b[31mserver.pem';
    await fs.rename(path.join(dir, 'server.pem'), path.join(dir, evil));
    const out = await cli(['audit', dir, '--html', 'evil.html']);
    expect(out.stdout).not.toContain('\u001b');
    expect(out.stdout).toContain('onerror=alert(1)>?[31m');
    const html = await fs.readFile(p('evil.html'), 'utf8');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;img src=x onerror=alert(1)>');
  });

  it('table, --json -, --junit (valid against the XSD) and --html from one run; exit 1 on a finding', async () => {
    const dir = await layout('kong');
    const rel = path.basename(dir);
    await fs.chmod(path.join(dir, 'server.key'), 0o644);
    const table = await cli(['audit', dir, '--expected-name', 'localhost']);
    expect(table.code, table.stderr).toBe(1);
    expect(table.stdout).toMatch(/FAIL\s+│ audit\.key-permissions/);
    expect(table.stdout).toMatch(/chmod 600/);
    expect(table.stdout).toMatch(/41 checks on 5 target\(s\) in [\d.]+ s: 35 passed, 1 warned, 1 failed, 4 skipped, 0 errors/);
    const out = await cli(['audit', dir, '--json', '-', '--junit', 'audit.xml', '--html', 'audit.html']);
    expect(out.code, out.stderr).toBe(1);
    const j = JSON.parse(out.stdout);
    expectTargetIds(j);
    expect(j).toMatchObject({
      schemaVersion: 2,
      run: { argv: expect.arrayContaining(['audit']), settings: { suites: ['offline-audit'], audit: { layouts: [{ dir: rel, layout: 'kong' }] } } },
    });
    expect(j.targets[1]).toMatchObject({ name: `server ${rel}/server.crt`, kind: 'files', endpoint: `${rel}/ (kong layout): server.crt + server.key` });
    expect(j.targets[1].fileCertificates[0]).toMatchObject({ role: 'server leaf', file: `${rel}/server.crt`, cert: { fingerprintSha256: expect.any(String) } });
    const xml = await fs.readFile(p('audit.xml'), 'utf8');
    expect(xml).toContain('<testcase name="audit.key-permissions"');
    if (HAVE_XMLLINT) {
      const lint = spawnSync('xmllint', ['--noout', '--schema', XSD, p('audit.xml')], { encoding: 'utf8' });
      expect(lint.status, lint.stderr).toBe(0);
    } else {
      console.warn('SKIPPED the XSD validation: xmllint not installed (apt-get install libxml2-utils)');
    }
    const html = await fs.readFile(p('audit.html'), 'utf8');
    expect(html).toContain('mTLS credential audit');
    expect(html).toContain('Certificates in the audited files');
    expect(html).toContain('NIST SP 800-57');
    for (const text of [out.stdout, xml, html, table.stdout]) expect(text).not.toMatch(/PRIVATE KEY-----|MIG[A-Za-z0-9+/]{40}/);
  });
});
