// A fixture PKI made by the `openssl` CLI (not by the harness): UTF8String names (string_mask
// utf8only, OpenSSL's default), SKI/AKI as OpenSSL computes them. It stands in for "a CA the user
// already has": every crafted bad client is minted by the harness from its root, which is the path
// a live target takes (`run --ca root.pem --ca-key root-key.pem`).
import { execFile } from 'node:child_process';
import { createPrivateKey, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { runCli } from '../../src/cli/run.js';
import { addDays } from '../../src/core/clock.js';
import type { Status } from '../../src/core/status.js';
import { subjectDer } from '../../src/pki/der.js';
import { credentialFromPem, mintCertificate, type Credential, type FixturePki } from '../../src/pki/generate.js';

const run = promisify(execFile);

const config = (dir: string) => `
[req]
distinguished_name = dn
string_mask = utf8only
utf8 = yes
prompt = no
[dn]
CN = unused

[root]
basicConstraints = critical, CA:TRUE, pathlen:1
keyUsage = critical, keyCertSign, cRLSign, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[intermediate]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1

[wrong_san]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
subjectAltName = DNS:wrong.example

[cn_only]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[client]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[ca]
default_ca = intermediate_ca
[intermediate_ca]
database = ${dir}/index.txt
serial = ${dir}/serial
new_certs_dir = ${dir}/newcerts
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = none
email_in_dn = no
[anything]
commonName = supplied
organizationName = optional
`;

/** The files makeOpensslPki writes (PEM; keys PKCS#8, mode 0600). */
export interface OpensslPkiFiles {
  root: string;
  rootKey: string;
  intermediate: string;
  intermediateKey: string;
  server: string;
  serverKey: string;
  /** Server leaf + intermediate. */
  serverChain: string;
  client: string;
  clientKey: string;
}

/** One result of a `run --json` report, as the tests read it. */
export interface ReportResult {
  check: string;
  status: Status;
  message: string;
  evidence: Record<string, unknown>;
}

/**
 * `run` against 127.0.0.1:`port` as a LIVE target with this PKI (`--servername localhost --ca root
 * --cert client --key client-key --ca-key root-key --json out`, then `extra`): its exit code,
 * results, and what it wrote (stderr, then stdout).
 */
export async function liveRunWithPki(
  files: OpensslPkiFiles,
  port: number,
  out: string,
  extra: readonly string[] = [],
): Promise<{ code: number; results: ReportResult[]; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(
    [
      'run',
      '--target',
      `127.0.0.1:${port}`,
      '--servername',
      'localhost',
      '--ca',
      files.root,
      '--cert',
      files.client,
      '--key',
      files.clientKey,
      '--ca-key',
      files.rootKey,
      '--json',
      out,
      ...extra,
    ],
    { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, env: { NO_COLOR: '1' } },
  );
  const report = JSON.parse(await fs.readFile(out, 'utf8')) as { results: ReportResult[] };
  return { code, results: report.results, stderr: stderr + stdout };
}

export function opensslPkiFiles(dir: string): OpensslPkiFiles {
  const f = (n: string) => path.join(dir, n);
  return {
    root: f('root.pem'),
    rootKey: f('root-key.pem'),
    intermediate: f('intermediate.pem'),
    intermediateKey: f('intermediate-key.pem'),
    server: f('server.pem'),
    serverKey: f('server-key.pem'),
    serverChain: f('server-chain.pem'),
    client: f('client.pem'),
    clientKey: f('client-key.pem'),
  };
}

async function openssl(dir: string, args: string[]): Promise<string> {
  try {
    const r = await run('openssl', args, { cwd: dir, env: { ...process.env, OPENSSL_CONF: path.join(dir, 'openssl.cnf') } });
    return r.stdout;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`openssl ${args.join(' ')} failed: ${err.stderr ?? err.message}`);
  }
}

/** `YYYYMMDDHHMMSSZ` (the form `openssl ca -startdate/-enddate` takes). */
function asn1Time(d: Date): string {
  return d
    .toISOString()
    .replace(/[-:T]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

/**
 * Creates with the openssl CLI, in `dir`: root (pathlen:1) → intermediate (pathlen:0) → server
 * (SAN localhost, 127.0.0.1, ::1; serverAuth); root → client (clientAuth); the bad servers of
 * FixturePki (wrong SAN, CN only, expiring in 3 days, expired yesterday via `openssl ca
 * -startdate/-enddate`; incompleteChain is the server leaf served without the intermediate). Each is
 * loaded with credentialFromPem, so the original bytes are kept. The bad clients are minted by the
 * harness from the openssl root, as for a live target.
 */
export async function makeOpensslPki(dir: string): Promise<FixturePki> {
  const files = opensslPkiFiles(dir);
  await fs.writeFile(path.join(dir, 'openssl.cnf'), config(path.resolve(dir)));
  await fs.mkdir(path.join(dir, 'newcerts'), { recursive: true });
  await fs.writeFile(path.join(dir, 'index.txt'), '');
  await fs.writeFile(path.join(dir, 'serial'), '1000\n');
  const cnf = path.join(dir, 'openssl.cnf');
  const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  const org = '/O=mtls-harness openssl';

  await openssl(dir, [
    'req',
    '-x509',
    '-config',
    cnf,
    '-utf8',
    ...newKey,
    '-keyout',
    files.rootKey,
    '-out',
    files.root,
    '-subj',
    `/CN=OpenSSL Test Root CA${org}`,
    '-days',
    '3650',
    '-extensions',
    'root',
  ]);

  /** A CSR and key, then signed by `ca` with `openssl x509 -req` for `days`. */
  const issue = async (name: string, subj: string, ca: { cert: string; key: string }, ext: string, days: number) => {
    const key = path.join(dir, `${name}-key.pem`);
    const csr = path.join(dir, `${name}.csr`);
    const out = path.join(dir, `${name}.pem`);
    await openssl(dir, ['req', '-new', '-config', cnf, '-utf8', ...newKey, '-keyout', key, '-out', csr, '-subj', subj]);
    // A random serial per certificate: -CAcreateserial shares one .srl file, which the issues made
    // in parallel below would race on ("Unable to load number from … .srl").
    const serial = `0x${randomBytes(16)
      .toString('hex')
      .replace(/^./, (c) => (parseInt(c, 16) & 7).toString(16))}`;
    await openssl(dir, [
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      ca.cert,
      '-CAkey',
      ca.key,
      '-set_serial',
      serial,
      '-days',
      String(days),
      '-sha256',
      '-extfile',
      cnf,
      '-extensions',
      ext,
      '-out',
      out,
    ]);
    return { cert: out, key };
  };
  const rootCa = { cert: files.root, key: files.rootKey };
  const int = await issue('intermediate', `/CN=OpenSSL Test Intermediate CA${org}`, rootCa, 'intermediate', 3650);
  const intCa = { cert: int.cert, key: int.key };
  const [srv, cli, wrongSan, cnOnly, expiring] = await Promise.all([
    issue('server', `/CN=localhost${org}`, intCa, 'server', 365),
    issue('client', `/CN=openssl client${org}`, rootCa, 'client', 365),
    issue('wrong-san', `/CN=wrong.example${org}`, intCa, 'wrong_san', 365),
    issue('cn-only', `/CN=localhost${org}`, intCa, 'cn_only', 365),
    issue('expiring', `/CN=localhost${org}`, intCa, 'server', 3),
  ]);
  // Expired yesterday: `openssl x509 -req` of OpenSSL 3.0 cannot backdate (no -not_before), `openssl ca` can.
  const now = new Date();
  const expiredKey = path.join(dir, 'expired-key.pem');
  const expiredCsr = path.join(dir, 'expired.csr');
  const expiredPem = path.join(dir, 'expired.pem');
  await openssl(dir, ['req', '-new', '-config', cnf, '-utf8', ...newKey, '-keyout', expiredKey, '-out', expiredCsr, '-subj', `/CN=localhost${org}`]);
  await openssl(dir, [
    'ca',
    '-config',
    cnf,
    '-batch',
    '-notext',
    '-preserveDN',
    '-utf8',
    '-cert',
    int.cert,
    '-keyfile',
    int.key,
    '-in',
    expiredCsr,
    '-out',
    expiredPem,
    '-startdate',
    asn1Time(addDays(now, -30)),
    '-enddate',
    asn1Time(addDays(now, -1)),
    '-extfile',
    cnf,
    '-extensions',
    'server',
  ]);

  const read = (p: string) => fs.readFile(p, 'utf8');
  const load = async (cert: string, key: string, issuer?: Credential): Promise<Credential> => {
    const pem = await read(cert);
    const c = await credentialFromPem(pem, createPrivateKey(await read(key)));
    if (!issuer) return c;
    // The chain a peer sends: the leaf and every non-root issuer above it.
    let chainPem = c.certPem;
    for (let p: Credential | undefined = issuer; p?.issuerOf; p = p.issuerOf) chainPem += p.certPem;
    return { ...c, chainPem, issuerOf: issuer };
  };
  const root = await load(files.root, files.rootKey);
  const intermediate = await load(int.cert, int.key, root);
  const server = await load(srv.cert, srv.key, intermediate);
  await fs.writeFile(files.serverChain, server.chainPem);
  const client = await load(cli.cert, cli.key, root);
  const badServers = {
    wrongSan: await load(wrongSan.cert, wrongSan.key, intermediate),
    cnOnly: await load(cnOnly.cert, cnOnly.key, intermediate),
    expiring: await load(expiring.cert, expiring.key, intermediate),
    expired: await load(expiredPem, expiredKey, intermediate),
    incompleteChain: server,
  };
  for (const k of [files.rootKey, int.key, srv.key, cli.key, wrongSan.key, cnOnly.key, expiring.key, expiredKey]) await fs.chmod(k, 0o600);

  // The bad clients: minted by the harness from the openssl root (and, for the look-alike CA, from
  // the root's name), exactly as `run` does for a live target.
  const start = addDays(now, -1 / 24);
  const end = addDays(now, 365);
  const subject = 'CN=openssl crafted client, O=mtls-harness openssl';
  const client_ = (issuer: Credential, over: Partial<Parameters<typeof mintCertificate>[0]> = {}) =>
    mintCertificate({ subject, issuer, notBefore: start, notAfter: end, eku: ['clientAuth'], ...over });
  const untrustedCaIssuer = await mintCertificate({
    subject: subjectDer(root.cert.rawData),
    notBefore: start,
    notAfter: addDays(now, 3650),
    ca: true,
    pathLength: 1,
  });
  const [untrustedCa, selfSigned, wrongEku, caAsLeaf, expired, notYetValid, harnessIntermediate] = await Promise.all([
    client_(untrustedCaIssuer),
    mintCertificate({ subject, notBefore: start, notAfter: end, eku: ['clientAuth'] }),
    client_(root, { eku: ['serverAuth'] }),
    client_(root, { ca: true }),
    client_(root, { notBefore: addDays(now, -30), notAfter: addDays(now, -1) }),
    client_(root, { notBefore: addDays(now, 1), notAfter: addDays(now, 30) }),
    mintCertificate({
      subject: 'CN=openssl crafted intermediate, O=mtls-harness openssl',
      issuer: root,
      notBefore: start,
      notAfter: end,
      ca: true,
      pathLength: 0,
    }),
  ]);
  const intermediateIssued = await client_(harnessIntermediate);
  return {
    createdAt: now,
    root,
    intermediate,
    server,
    client,
    badClients: { untrustedCa, untrustedCaIssuer, selfSigned, wrongEku, caAsLeaf, expired, notYetValid, intermediateIssued },
    badServers,
  };
}
