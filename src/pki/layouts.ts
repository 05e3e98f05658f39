import { constants as fsConstants, promises as fs } from 'node:fs';
import { isIP } from 'node:net';
import * as path from 'node:path';
import { HarnessError } from '../core/errors.js';
import { addDays, systemClock, type Clock } from '../core/clock.js';
import { mintCertificate, type Credential, type Eku, type SubjectAltNames } from './generate.js';
import type { KeyType } from './keys.js';
import { assertDnsLabel, renderSecretsYaml, type SecretSpec } from './k8s-manifests.js';
import { LAYOUTS, TWO_PARTY_FILES, type LayoutName, type TwoPartyLayout } from './layout-files.js';

export { LAYOUTS, TWO_PARTY_FILES, type LayoutFile, type LayoutName, type TwoPartyLayout } from './layout-files.js';

export function parseLayout(input: string): LayoutName {
  const l = input.trim().toLowerCase();
  if ((LAYOUTS as readonly string[]).includes(l)) return l as LayoutName;
  throw new HarnessError('usage.invalid-value', `unknown layout "${input}": use one of ${LAYOUTS.join(', ')}`);
}

export interface CertsInitOptions {
  out: string;
  layout?: LayoutName;
  /** Service names (per-service layout only). */
  services?: string[];
  /** Server common name (default `localhost`; nova: `*.<namespace>.svc.cluster.local`). */
  cn?: string;
  /** Server SANs: DNS names, IP addresses, URIs (`spiffe://…`). Replaces the defaults when given. */
  sans?: string[];
  /** Leaf validity in days (default 365, at most 3650; the CA always gets 3650). */
  days?: number;
  keyType?: KeyType;
  /** Also write Kubernetes Secret manifests here (kong writes `<out>/k8s-mtls-secrets.yaml` unless this is given). */
  k8sSecretsFile?: string;
  /** Namespace of the manifests and of the in-cluster SAN names (default `default`; nova: `nova`). */
  namespace?: string;
  force?: boolean;
  clock?: Clock;
}

export type FileKind = 'ca-cert' | 'ca-key' | 'cert' | 'key' | 'cert+key' | 'k8s-secrets' | 'crl';

export interface WrittenFile {
  path: string;
  mode: number;
  kind: FileKind;
}

export interface CertsInitResult {
  layout: LayoutName;
  outDir: string;
  files: WrittenFile[];
  caCertPath: string;
  /** Leaf certificates, each verifiable with `openssl verify -CAfile <caCertPath>`. */
  leafCertPaths: string[];
  secretsPath?: string;
}

export interface PlannedFile {
  path: string;
  content: string;
  kind: FileKind;
}

const SECRET_KINDS: ReadonlySet<FileKind> = new Set(['ca-key', 'key', 'cert+key', 'k8s-secrets']);
const MAX_DAYS = 3650;

/** Splits user SANs into DNS names, IPs and URIs, rejecting what no certificate could carry. */
export function parseSanList(entries: string[]): SubjectAltNames {
  const sans: Required<Pick<SubjectAltNames, 'dns' | 'ip' | 'uri'>> = { dns: [], ip: [], uri: [] };
  for (const raw of entries) {
    const e = raw.trim();
    if (e === '') continue;
    if (isIP(e.replace(/^\[|\]$/g, ''))) sans.ip.push(e.replace(/^\[|\]$/g, ''));
    else if (/^[a-z][a-z0-9+.-]*:\/\/\S+$/i.test(e)) sans.uri.push(e);
    else if (/^(\*\.)?([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/i.test(e) && e.length <= 253) sans.dns.push(e.toLowerCase());
    else throw new HarnessError('usage.invalid-value', `--san: "${e}" is neither a DNS name, an IP address nor a URI`);
  }
  return sans;
}

function dedupe(xs: string[]): string[] {
  return [...new Set(xs)];
}

/** In-cluster DNS names of a Service. */
function clusterNames(name: string, ns: string): string[] {
  return [name, `${name}.${ns}`, `${name}.${ns}.svc`, `${name}.${ns}.svc.cluster.local`];
}

function defaultServerSans(cn: string, ns: string, inCluster: boolean): SubjectAltNames {
  const dns = isIP(cn) ? [] : [cn];
  if (inCluster && /^[a-z0-9-]+$/.test(cn) && cn !== 'localhost') dns.push(...clusterNames(cn, ns).slice(1));
  dns.push('localhost');
  const ip = dedupe([...(isIP(cn) ? [cn] : []), '127.0.0.1', '::1']);
  return { dns: dedupe(dns), ip };
}

function validateOptions(o: CertsInitOptions, layout: LayoutName): void {
  if (o.days !== undefined && (!Number.isInteger(o.days) || o.days < 1 || o.days > MAX_DAYS)) {
    throw new HarnessError(
      'usage.invalid-value',
      `--days must be a whole number from 1 to ${MAX_DAYS} (the CA is valid ${MAX_DAYS} days and a leaf may not outlive it)`,
    );
  }
  if (layout === 'per-service') {
    if (!o.services || o.services.length === 0)
      throw new HarnessError('usage.missing-argument', 'certs init --layout per-service needs --services a,b,c (one certificate per service)');
    if (o.cn !== undefined)
      throw new HarnessError('usage.invalid-value', '--cn does not apply to --layout per-service: each service certificate is named after its service');
    for (const s of o.services) assertDnsLabel('service name', s);
    if (new Set(o.services).size !== o.services.length) throw new HarnessError('usage.invalid-value', '--services lists a service twice');
  } else if (o.services && o.services.length > 0) {
    throw new HarnessError('usage.invalid-value', `--services only applies to --layout per-service (got layout ${layout})`);
  }
  if (o.namespace !== undefined) assertDnsLabel('namespace', o.namespace);
  if (o.cn !== undefined && (o.cn.trim() === '' || o.cn.length > 64 || /[,=+<>#;\\"\n\r]/.test(o.cn))) {
    throw new HarnessError('usage.invalid-value', `--cn "${o.cn}" must be 1–64 characters without , = + < > # ; \\ or quotes`);
  }
}

/** Generates the PKI of a layout and writes it (keys 0600, certificates 0644), refusing to overwrite without `force`. */
export async function certsInit(o: CertsInitOptions): Promise<CertsInitResult> {
  const layout = o.layout ?? 'default';
  validateOptions(o, layout);
  const clock = o.clock ?? systemClock;
  const now = clock();
  const notBefore = addDays(now, -1 / 24); // an hour of tolerance for peers with a skewed clock
  const leafEnd = addDays(now, o.days ?? 365);
  const keyType = o.keyType ?? 'ec-p256';
  const ns = o.namespace ?? (layout === 'nova' ? 'nova' : 'default');
  const outDir = o.out;
  const userSans = o.sans ? parseSanList(o.sans) : undefined;

  const ca = await mintCertificate({
    subject: `CN=mtls-harness ${layout} CA, O=mtls-harness certs init`,
    keyType,
    notBefore,
    notAfter: addDays(now, MAX_DAYS),
    ca: true,
    pathLength: 0,
  });
  const leaf = (cn: string, sans: SubjectAltNames | undefined, eku: Eku[]) =>
    mintCertificate({ subject: `CN=${cn}, O=mtls-harness certs init`, issuer: ca, keyType, notBefore, notAfter: leafEnd, eku, ...(sans ? { sans } : {}) });

  const files: PlannedFile[] = [];
  const secrets: SecretSpec[] = [];
  const add = (rel: string, content: string, kind: FileKind) => files.push({ path: path.join(outDir, rel), content, kind });
  let secretsPath = o.k8sSecretsFile;

  if (layout === 'per-service') {
    add('ca.pem', ca.certPem, 'ca-cert');
    add('ca-key.pem', ca.keyPem, 'ca-key');
    const creds = await Promise.all(
      o.services!.map((svc) => {
        const base = { dns: [...clusterNames(svc, ns), 'localhost'], ip: ['127.0.0.1', '::1'] };
        const sans = userSans ? { dns: dedupe([...base.dns, ...userSans.dns!]), ip: dedupe([...base.ip, ...userSans.ip!]), uri: userSans.uri! } : base;
        // Service certificates are used both to serve and to call other services.
        return leaf(svc, sans, ['serverAuth', 'clientAuth']);
      }),
    );
    o.services!.forEach((svc, i) => {
      const c = creds[i]!;
      add(`${svc}/cert.pem`, c.certPem, 'cert');
      add(`${svc}/key.pem`, c.keyPem, 'key');
      secrets.push({ name: `${svc}-tls`, namespace: ns, type: 'kubernetes.io/tls', data: { 'tls.crt': c.certPem, 'tls.key': c.keyPem, 'ca.crt': ca.certPem } });
    });
  } else {
    const cn = o.cn ?? (layout === 'nova' ? `*.${ns}.svc.cluster.local` : 'localhost');
    const serverSans =
      userSans ??
      (layout === 'nova'
        ? { dns: [`*.${ns}.svc.cluster.local`, `*.${ns}.svc`, 'localhost'], ip: ['127.0.0.1', '::1'] }
        : defaultServerSans(cn, ns, o.namespace !== undefined || layout === 'kong'));
    const clientCn = layout === 'kong' ? 'kong-client' : layout === 'nova' ? `grpc-client.${ns}` : `${layout === 'gufo' ? 'gufo' : 'mtls'}-client`;
    const [server, client] = await Promise.all([leaf(cn, serverSans, ['serverAuth']), leaf(clientCn, undefined, ['clientAuth'])]);
    planTwoParty(layout, { ca, server, client, cn, ns, add, secrets });
    if (layout === 'kong' && secretsPath === undefined) secretsPath = path.join(outDir, 'k8s-mtls-secrets.yaml');
  }

  if (secretsPath !== undefined) {
    const header = [
      `Kubernetes Secrets written by mtls-harness certs init --layout ${layout} on ${now.toISOString()}.`,
      'They contain private keys: keep this file out of version control. The CA private key is never included.',
      `Apply: kubectl apply -f ${path.basename(secretsPath)}`,
    ].join('\n');
    files.push({ path: secretsPath, content: renderSecretsYaml(secrets, header), kind: 'k8s-secrets' });
  }

  await writeAll(outDir, files, o.force ?? false);
  const leafCertPaths = files.filter((f) => f.kind === 'cert').map((f) => f.path);
  const caCertPath = files.find((f) => f.kind === 'ca-cert')!.path;
  return {
    layout,
    outDir,
    files: files.map((f) => ({ path: f.path, kind: f.kind, mode: SECRET_KINDS.has(f.kind) ? 0o600 : 0o644 })),
    caCertPath,
    leafCertPaths,
    ...(secretsPath !== undefined ? { secretsPath } : {}),
  };
}

interface TwoParty {
  ca: Credential;
  server: Credential;
  client: Credential;
  cn: string;
  ns: string;
  add: (rel: string, content: string, kind: FileKind) => void;
  secrets: SecretSpec[];
}

/** File names and Secrets of the layouts with one server and one client identity. */
function planTwoParty(layout: TwoPartyLayout, p: TwoParty): void {
  const { ca, server, client, ns, add, secrets } = p;
  /** The files by name, as `kubectl create secret generic --from-file=DIR/` puts them in a Secret. */
  const fromFiles: Record<string, string> = {};
  for (const f of TWO_PARTY_FILES[layout]) {
    const c = { ca, server, client }[f.of];
    const content = f.part === 'cert' ? c.certPem : f.part === 'key' ? c.keyPem : c.certPem + c.keyPem;
    add(f.name, content, f.of === 'ca' ? (f.part === 'cert' ? 'ca-cert' : 'ca-key') : f.part);
    fromFiles[f.name] = content;
  }
  const tls = (name: string, namespace: string, c: Credential, withCa = true): SecretSpec => ({
    name,
    namespace,
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': c.certPem, 'tls.key': c.keyPem, ...(withCa ? { 'ca.crt': ca.certPem } : {}) },
  });
  switch (layout) {
    case 'default':
      secrets.push(
        { name: 'mtls-ca', namespace: ns, type: 'Opaque', data: { 'ca.crt': ca.certPem } },
        tls('mtls-server-tls', ns, server),
        tls('mtls-client-tls', ns, client),
      );
      return;
    case 'gufo':
      // As `kubectl create secret generic gufo-mtls --from-file=certs/` would make it.
      secrets.push({ name: 'gufo-mtls', namespace: ns, type: 'Opaque', data: fromFiles });
      return;
    case 'kong': {
      // The seed's naming: --cn dogcatcher-api → Secret dogcatcher-server-cert.
      const base = /^[a-z0-9-]+$/.test(p.cn) && p.cn !== 'localhost' ? p.cn.replace(/-api$/, '') : 'mtls';
      secrets.push(
        { name: 'mtls-ca', namespace: ns, type: 'Opaque', data: { 'ca.crt': ca.certPem } },
        tls(`${base}-server-cert`, ns, server),
        tls('kong-client-cert', 'kong', client),
      );
      return;
    }
    case 'nova':
      // The cert-manager Secret whose files these are.
      secrets.push({ name: 'grpc-tls-certs', namespace: ns, type: 'kubernetes.io/tls', data: fromFiles });
      return;
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch {
    return false;
  }
}

function writeFailed(p: string, e: unknown): HarnessError {
  const code = (e as NodeJS.ErrnoException).code;
  const why =
    code === 'EACCES' || code === 'EPERM'
      ? 'permission denied'
      : code === 'ENOSPC'
        ? 'no space left on the device'
        : code === 'EISDIR'
          ? 'it is a directory'
          : code === 'ENOTDIR'
            ? 'a parent is not a directory'
            : (e as Error).message;
  return new HarnessError('pki.write-failed', `cannot write ${p}: ${why}`, { cause: e });
}

/**
 * Writes every file or none of the overwrite-protected ones: the existence check runs first for all.
 * Secret files are created with O_EXCL and mode 0600 (never briefly readable, never through a symlink),
 * then chmod-ed so a restrictive or permissive umask changes nothing.
 */
export async function writeAll(outDir: string, files: PlannedFile[], force: boolean): Promise<void> {
  if (!force) {
    const existing: string[] = [];
    for (const f of files) if (await exists(f.path)) existing.push(f.path);
    if (existing.length > 0) {
      throw new HarnessError(
        'pki.output-exists',
        `refusing to overwrite ${existing.length} existing file(s): ${existing.join(', ')} (pass --force to replace them)`,
      );
    }
  }
  const dirs = dedupe([outDir, ...files.map((f) => path.dirname(f.path))]);
  for (const d of dirs) {
    try {
      await fs.mkdir(d, { recursive: true, mode: 0o700 });
    } catch (e) {
      throw writeFailed(d, e);
    }
  }
  for (const f of files) {
    const mode = SECRET_KINDS.has(f.kind) ? 0o600 : 0o644;
    try {
      if (force && (await exists(f.path))) await fs.unlink(f.path);
      const h = await fs.open(f.path, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, mode);
      try {
        await h.writeFile(f.content, 'utf8');
        await h.chmod(mode);
      } finally {
        await h.close();
      }
    } catch (e) {
      throw writeFailed(f.path, e);
    }
  }
}
