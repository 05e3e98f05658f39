/**
 * Offline audit, step 2: group the discovered files into credential sets and judge each one.
 *
 * One report target per credential: a CA bundle (with its key, if one lies around), a leaf
 * certificate with its private key, a private key no certificate claims, or another PKI file. Each
 * check occurs at most once per target, so the table, JUnit and HTML read like those of `run`.
 * Results use the `Result` model unchanged; nothing here ever puts key material in a result.
 */
import { X509Certificate as NodeX509, type KeyObject } from 'node:crypto';
import * as path from 'node:path';
import { HarnessError, internalFailure, isHarnessError } from '../core/errors.js';
import { systemClock, type Clock } from '../core/clock.js';
import { keyMatchesCertificate, parsePrivateKey, publicKeyProblem, summarizeCertificate } from '../pki/inspect.js';
import type { CertSummary } from '../core/model.js';
import { verifyChain } from '../pki/verify.js';
import { DEFAULT_POLICY } from '../core/target.js';
import { summarize, type FailOn, type Status } from '../core/status.js';
import type { Evidence, FileCertificate, Result, RunReport, TargetReport } from '../core/model.js';
import { isSelfSigned } from '../rules/chain-order.js';
import { caProblem, ekuForRole, roleFromEku } from '../rules/eku.js';
import { expiryOf } from '../rules/expiry.js';
import { hasSubjectAltName, sanCoverage, sanEntryFor, sanList } from '../rules/san.js';
import { keyStrength, signatureStrength } from '../rules/strength.js';
import { discoverFiles, spkiSha256, type DetectedLayout, type DiscoveredFile, type FoundKey, type WalkLimits } from './discover.js';

/** The suite every audit result belongs to. */
export const AUDIT_SUITE = { id: 'offline-audit', title: 'Offline audit of certificate and key files' } as const;

/** The audit's checks in catalogue order (stable ids: never renamed). */
export const AUDIT_CHECKS = [
  { id: 'audit.parse', title: 'Every PEM/DER file parses' },
  { id: 'audit.key-permissions', title: 'Private key files are readable by their owner only' },
  { id: 'audit.no-key-in-ca-bundle', title: 'No private key where a CA bundle belongs' },
  { id: 'audit.ca-key-present', title: 'The CA private key is not shipped with the certificates' },
  { id: 'audit.key-matches-cert', title: 'The private key belongs to the certificate' },
  { id: 'audit.chain-verifies', title: 'The certificate chains to a CA of the set (or --ca)' },
  { id: 'audit.ca-cert-is-ca', title: 'CA bundle certificates are CA certificates' },
  { id: 'audit.leaf-not-ca', title: 'A leaf certificate is not a CA' },
  { id: 'audit.san-present', title: 'The certificate has subjectAltNames' },
  { id: 'audit.san-covers-expected', title: 'The SANs cover every --expected-name' },
  { id: 'audit.eku-fits-role', title: 'The extended key usage fits the role (server/client)' },
  { id: 'audit.expiry', title: 'Certificates are valid now and not about to expire' },
  { id: 'audit.crypto-strength', title: 'Keys and signatures are strong enough (RSA ≥ 2048, EC ≥ P-256, no SHA-1/MD5)' },
] as const;

export type AuditCheckId = (typeof AUDIT_CHECKS)[number]['id'];

/** What a certificate is for: `peer` serves and calls (both EKUs), as per-service certificates do. */
export type AuditRole = 'ca' | 'server' | 'client' | 'peer';
export const AUDIT_ROLES: readonly AuditRole[] = ['ca', 'server', 'client', 'peer'];

export interface AuditOptions {
  /** Files or directories. A path that does not exist is a usage error (exit 2). */
  paths: string[];
  /** Names server certificates must cover (RFC 6125 rules). */
  expectedNames?: string[];
  /** Roles that override the ones read from file names and layouts. */
  roles?: { file: string; role: AuditRole }[];
  /** Trust anchors (e.g. from --ca) used instead of the CA certificates found among the files. */
  ca?: { file: string; certs: NodeX509[] };
  /** `warn` under this many days left (default 30). */
  warnDays?: number;
  /** `fail` under this many days left (default 7). */
  failDays?: number;
  /** Decrypts encrypted private keys; without it their key↔certificate match is `skip`. */
  passphrase?: string;
  /** Where the passphrase came from, for messages (e.g. `$KEY_PASS`). */
  passphraseSource?: string;
  failOn?: FailOn;
  clock?: Clock;
  /** Paths in reports are relative to this directory when below it (default: process.cwd()). */
  cwd?: string;
  limits?: Partial<WalkLimits>;
}

type Role = AuditRole | 'unknown';

/** A credential set: one report target. */
interface Cred {
  kind: 'ca' | 'leaf' | 'key' | 'other';
  role: Role;
  roleSource?: string;
  /** The file holding the certificate(s) — or, for key/other targets, the one file. */
  main: DiscoveredFile;
  /** A separate private key file paired with `main`. */
  keyFile?: DiscoveredFile;
  pairedBy?: 'file name' | 'public key';
  setRoot: string;
  layout?: DetectedLayout;
  name: string;
}

const CA_NAME = /(^|[-_.])(ca|cacerts?|ca-?bundle|ca-?chain|ca-?certificates|root-?ca|rootca|trust(ed)?|trust-?bundle)([-_.]|$)/i;
const STRIP_EXT = /\.(pem|crt|cer|der|key|p8|pk8)$/i;

function stemOf(name: string): string {
  return name.replace(STRIP_EXT, '');
}

/** `server-key.pem` → server, `tls.key` → tls, `key.pem` → '', `ca-key.pem` → ca. */
function keyBase(name: string): string {
  return stemOf(name).replace(/[-_.]?(private[-_]?key|privkey|key)$/i, '').toLowerCase();
}

/** `server.pem` → server, `tls.crt` → tls, `cert.pem` → '', `server-cert.pem` → server. */
function certBase(name: string): string {
  return stemOf(name).replace(/[-_.]?(certificate|cert|crt|fullchain)$/i, '').toLowerCase();
}

function roleFromName(f: DiscoveredFile, layout: DetectedLayout | undefined): { role: Role; source: string } | undefined {
  const stem = stemOf(f.name);
  if (CA_NAME.test(stem) || CA_NAME.test(keyBase(f.name))) return { role: 'ca', source: 'file name' };
  if (layout?.layout === 'nova' && (f.name === 'tls.crt' || f.name === 'tls.key')) return { role: 'server', source: 'nova layout (cert-manager tls.crt serves)' };
  if (layout?.layout === 'per-service' && f.dir !== layout.dir && (f.name === 'cert.pem' || f.name === 'key.pem')) {
    return { role: 'peer', source: 'per-service layout (each service serves and calls)' };
  }
  if (/server/i.test(stem)) return { role: 'server', source: 'file name' };
  if (/client/i.test(stem)) return { role: 'client', source: 'file name' };
  return undefined;
}

function roleFromContent(cert: NodeX509, summary: CertSummary): Role {
  if (cert.ca) return 'ca';
  return roleFromEku(summary.extKeyUsage) ?? 'unknown';
}

function octal(mode: number): string {
  return `0${(mode & 0o777).toString(8).padStart(3, '0')}`;
}

function describeKey(k: FoundKey): string {
  if (k.encrypted) return 'encrypted private key';
  if (!k.key) return 'private key (unparseable)';
  const d = k.key.asymmetricKeyDetails ?? {};
  const t = (k.key.asymmetricKeyType ?? 'unknown').toUpperCase();
  const curve = d.namedCurve === 'prime256v1' ? 'P-256' : d.namedCurve === 'secp384r1' ? 'P-384' : d.namedCurve;
  return `${t}${curve ? ` ${curve}` : ''}${d.modulusLength ? ` ${d.modulusLength}` : ''} private key`;
}

function describeContent(f: DiscoveredFile): string {
  const c = f.content;
  if (c.tooLarge) return `not read (${f.size} bytes, over the size limit)`;
  if (c.unreadable) return 'not readable';
  if (c.format === 'pkcs12') return 'PKCS#12 archive';
  if (c.format === 'k8s-secret') return `Kubernetes Secret manifest${c.secretKeyEntries?.length ? ` (private keys in ${c.secretKeyEntries.join(', ')})` : ''}`;
  const parts: string[] = [];
  if (c.certs.length) parts.push(`${c.certs.length} certificate${c.certs.length === 1 ? '' : 's'}`);
  for (const k of c.keys) parts.push(describeKey(k));
  parts.push(...c.others);
  return parts.join(', ') || 'nothing parseable';
}

/**
 * Audits certificate and key files offline: parses and summarises every certificate, checks each
 * key against its certificate, chains against the CA in the set (or `ca`), SANs, EKU for the role,
 * expiry thresholds, key file permissions, and keys stored where a CA bundle belongs. Returns a
 * `RunReport` (suite `offline-audit`) that the table, JSON, JUnit and HTML writers render unchanged.
 * Throws only for usage errors (a path that does not exist, a `--role` file not audited).
 */
export function auditPaths(o: AuditOptions): RunReport {
  const started = Date.now();
  const clock = o.clock ?? systemClock;
  const startedAt = clock().toISOString();
  const cwd = o.cwd ?? process.cwd();
  const warnDays = o.warnDays ?? DEFAULT_POLICY.warnDays;
  const failDays = o.failDays ?? DEFAULT_POLICY.failDays;
  if (failDays > warnDays) throw new HarnessError('usage.invalid-value', `audit: --fail-days (${failDays}) must not exceed --warn-days (${warnDays})`);
  const expectedNames = [...new Set(o.expectedNames ?? [])];
  const disc = discoverFiles(o.paths, { cwd, ...(o.limits ? { limits: o.limits } : {}) });

  const summaries = new Map<NodeX509, CertSummary>();
  const summary = (c: NodeX509) => {
    let s = summaries.get(c);
    if (!s) summaries.set(c, (s = summarizeCertificate(c, clock)));
    return s;
  };

  // --role FILE=ROLE: every named file must be one the audit found.
  const flagRoles = new Map<DiscoveredFile, AuditRole>();
  for (const r of o.roles ?? []) {
    const abs = path.resolve(cwd, r.file);
    const f = disc.files.find((x) => x.path === abs || x.symlinkTo === abs);
    if (!f) throw new HarnessError('usage.invalid-value', `audit: --role ${r.file}=${r.role}: ${r.file} is not among the audited PKI files`);
    flagRoles.set(f, r.role);
  }

  const perService = disc.layouts.filter((l) => l.layout === 'per-service');
  const setRootOf = (f: DiscoveredFile) => perService.find((l) => f.dir === l.dir || (path.dirname(f.dir) === l.dir && l.services!.includes(path.basename(f.dir))))?.dir ?? f.dir;
  const layoutOf = (root: string) => disc.layouts.find((l) => l.dir === root);

  // What each file is.
  const certFiles: DiscoveredFile[] = [];
  const keyFiles: DiscoveredFile[] = [];
  const creds: Cred[] = [];
  const display = (abs: string) => {
    const rel = path.relative(cwd, abs);
    return rel === '' ? '.' : !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : abs;
  };
  for (const f of disc.files) {
    const c = f.content;
    const root = setRootOf(f);
    const layout = layoutOf(root);
    const base = { setRoot: root, ...(layout ? { layout } : {}) };
    if (c.unreadable && c.keyLike) {
      keyFiles.push(f); // a key locked away from the auditing user still pairs with its certificate by name
    } else if (c.tooLarge || c.unreadable || c.format === 'pkcs12' || c.format === 'k8s-secret' || (c.certs.length === 0 && c.keys.length === 0 && c.errors.length === 0)) {
      creds.push({ kind: 'other', role: 'unknown', main: f, ...base, name: `file ${f.display}` });
    } else if (c.certs.length > 0) {
      certFiles.push(f);
    } else if (c.keys.length > 0 || c.keyLike) {
      keyFiles.push(f);
    } else {
      certFiles.push(f); // broken, and its name does not say "key": judged as the certificate it should be
    }
  }

  // Certificate files: role (flag > layout/name > content) and kind.
  const certCreds = new Map<DiscoveredFile, Cred>();
  for (const f of certFiles) {
    const root = setRootOf(f);
    const layout = layoutOf(root);
    let role: Role = 'unknown';
    let source: string | undefined;
    const flag = flagRoles.get(f);
    const byName = roleFromName(f, layout);
    if (flag) [role, source] = [flag, '--role'];
    else if (byName) [role, source] = [byName.role, byName.source];
    else if (f.content.certs[0]) {
      role = roleFromContent(f.content.certs[0], summary(f.content.certs[0]));
      if (role !== 'unknown') source = 'certificate content (basicConstraints / EKU)';
    }
    const label = role === 'ca' ? 'CA' : role === 'unknown' ? 'certificate' : role;
    const cred: Cred = { kind: role === 'ca' ? 'ca' : 'leaf', role, ...(source ? { roleSource: source } : {}), main: f, setRoot: root, ...(layout ? { layout } : {}), name: `${label} ${f.display}` };
    certCreds.set(f, cred);
    creds.push(cred);
  }

  // Keys pair with certificates by file name first (server-key.pem ↔ server.pem, tls.key ↔ tls.crt,
  // key.pem ↔ cert.pem), then by public key; a key no certificate claims is its own target.
  const ownKey = (f: DiscoveredFile) => f.content.keys.length > 0;
  const unpaired: DiscoveredFile[] = [];
  for (const k of keyFiles) {
    // Every certificate file of that name takes the key (server.pem and server.der are one certificate twice).
    const candidates = certFiles.filter((c) => c.dir === k.dir && certBase(c.name) === keyBase(k.name) && !certCreds.get(c)!.keyFile && !ownKey(c));
    for (const c of candidates) {
      const cred = certCreds.get(c)!;
      cred.keyFile = k;
      cred.pairedBy = 'file name';
    }
    if (candidates.length === 0) unpaired.push(k);
  }
  for (const k of unpaired) {
    const key = k.content.keys.find((x) => x.key)?.key;
    const match = key ? certFiles.filter((c) => !certCreds.get(c)!.keyFile && !ownKey(c) && c.content.certs[0] && keyMatchesCertificate(key, c.content.certs[0])).sort((a, b) => Number(setRootOf(b) === setRootOf(k)) - Number(setRootOf(a) === setRootOf(k)))[0] : undefined;
    if (match) {
      const cred = certCreds.get(match)!;
      cred.keyFile = k;
      cred.pairedBy = 'public key';
    } else {
      const root = setRootOf(k);
      const layout = layoutOf(root);
      creds.push({ kind: 'key', role: 'unknown', main: k, setRoot: root, ...(layout ? { layout } : {}), name: `key ${k.display}` });
    }
  }

  // Every private key of the audit (for "which certificate does this key belong to" and CA keys).
  const allCerts = disc.files.flatMap((f) => f.content.certs.map((c) => ({ file: f, cert: c })));
  const belongsTo = (key: KeyObject) => allCerts.filter((x) => keyMatchesCertificate(key, x.cert));
  const caCreds = creds.filter((c) => c.kind === 'ca');

  const results: Result[] = [];
  const targets: TargetReport[] = [];
  const policy = { ...DEFAULT_POLICY, warnDays, failDays };
  const order = new Map(AUDIT_CHECKS.map((c, i) => [c.id as string, i]));
  const titles = new Map(AUDIT_CHECKS.map((c) => [c.id as string, c.title as string]));

  const kindOrder = { ca: 0, leaf: 1, key: 2, other: 3 };
  const roleOrder: Record<Role, number> = { ca: 0, server: 1, peer: 2, client: 3, unknown: 4 };
  creds.sort((a, b) => (a.setRoot < b.setRoot ? -1 : a.setRoot > b.setRoot ? 1 : 0) || kindOrder[a.kind] - kindOrder[b.kind] || roleOrder[a.role] - roleOrder[b.role] || (a.main.path < b.main.path ? -1 : 1));

  for (const cred of creds) {
    const out: Result[] = [];
    const add = (check: AuditCheckId, status: Status, message: string, evidence: Evidence, remediation?: string) => {
      out.push({ target: cred.name, suite: AUDIT_SUITE.id, check, title: titles.get(check)!, status, message, ...(remediation ? { remediation } : {}), evidence, durationMs: 0 });
    };
    const t0 = Date.now();
    const files = [cred.main, ...(cred.keyFile ? [cred.keyFile] : [])];
    const certs = cred.main.content.certs;
    try {
      checkParse(cred, files, add);
      checkKeyPermissions(files, cred.kind === 'ca' ? cred.main : undefined, add);
      const anchors = trustFor(cred, caCreds, o.ca);

      if (cred.kind === 'ca' && certs.length > 0) {
        checkNoKeyInCaBundle(cred, belongsTo, add);
        checkCaKeyPresent(cred, disc.files, add);
        if (cred.keyFile) checkKeyMatch(cred, o, belongsTo, add);
        checkCaChain(cred, anchors, o.ca, clock, add);
        checkCaIsCa(cred, summary, add);
        checkExpiry(cred, summary, warnDays, failDays, add);
        checkStrength(cred, summary, add);
      } else if (cred.kind === 'leaf' && certs.length > 0) {
        const s = summary(certs[0]!);
        checkKeyMatch(cred, o, belongsTo, add);
        checkLeafChain(cred, anchors, clock, add);
        if (certs[0]!.ca) add('audit.leaf-not-ca', 'fail', `${cred.main.name} is a CA certificate (basicConstraints CA:TRUE) used as a ${cred.role === 'unknown' ? 'leaf' : `${cred.role} certificate`}: whoever holds its key can issue certificates.`, { file: cred.main.display, subject: s.subject, basicConstraints: s.basicConstraints ?? null }, 'Issue the leaf with basicConstraints CA:FALSE (e.g. openssl x509 -req … -extfile with basicConstraints=critical,CA:FALSE, or mtls-harness certs init).');
        else add('audit.leaf-not-ca', 'pass', `${cred.main.name} is not a CA (${s.basicConstraints ? 'CA:FALSE' : 'no basicConstraints'}).`, { file: cred.main.display, subject: s.subject, basicConstraints: s.basicConstraints ?? null });
        checkSans(cred, s, expectedNames, add);
        checkEku(cred, s, add);
        checkExpiry(cred, summary, warnDays, failDays, add);
        checkStrength(cred, summary, add);
      } else if (cred.kind === 'key') {
        checkKeyMatch(cred, o, belongsTo, add);
      }
    } catch (e) {
      // Last line of defence, per file set: a bug in one check costs that set its remaining checks
      // (one error result saying so), never the other files' results or the reports.
      if (isHarnessError(e)) throw e;
      add('audit.parse', 'error', `Not finished: ${internalFailure(e).message} while auditing ${cred.main.display}; the results it reached are kept, its other checks did not run.`, { file: cred.main.display });
    }
    const ms = Date.now() - t0;
    out.sort((a, b) => order.get(a.check)! - order.get(b.check)!);
    for (const r of out) r.durationMs = ms / Math.max(1, out.length);
    results.push(...out);
    const rootLabel = `${display(cred.setRoot)}${cred.setRoot.endsWith(path.sep) ? '' : '/'}`;
    targets.push({
      name: cred.name,
      endpoint: `${rootLabel} (${cred.layout ? `${cred.layout.layout} layout` : 'no certs init layout'}): ${files.map((f) => path.relative(cred.setRoot, f.path) || f.name).join(' + ')}`,
      kind: 'files',
      policy,
      fileCertificates: fileCertificatesOf(cred, certs, summary),
    });
  }

  for (const note of disc.truncated) {
    const name = 'audit walk';
    if (!targets.some((t) => t.name === name)) targets.push({ name, endpoint: o.paths.join(' '), kind: 'files', policy });
    results.push({ target: name, suite: AUDIT_SUITE.id, check: 'audit.parse', title: titles.get('audit.parse')!, status: 'error', message: `Not everything was audited: ${note}.`, evidence: { note }, durationMs: 0 });
  }

  const finished = clock();
  return {
    settings: {
      failOn: o.failOn ?? 'fail',
      timeoutMs: 0,
      concurrency: 1,
      suites: [AUDIT_SUITE.id],
      audit: {
        paths: o.paths,
        warnDays,
        failDays,
        expectedNames,
        roles: (o.roles ?? []).map((r) => ({ file: r.file, role: r.role })),
        ...(o.ca ? { ca: o.ca.file } : {}),
        layouts: disc.layouts.map((l) => ({ dir: display(l.dir), layout: l.layout })),
      },
    },
    startedAt,
    finishedAt: finished.toISOString(),
    durationMs: Date.now() - started,
    targets,
    results,
    summary: summarize(results),
  };
}

/** The certificates of a file set as the report lists them; none when summarising one fails (its error result says why). */
function fileCertificatesOf(cred: Cred, certs: NodeX509[], summary: (c: NodeX509) => CertSummary): FileCertificate[] {
  try {
    return certs.map((c, i) => ({ file: cred.main.display, index: i + 1, role: certRole(cred, i), cert: summary(c) }) satisfies FileCertificate);
  } catch (e) {
    if (isHarnessError(e)) throw e;
    return [];
  }
}

type Add = (check: AuditCheckId, status: Status, message: string, evidence: Evidence, remediation?: string) => void;

function certRole(cred: Cred, i: number): string {
  if (cred.kind === 'ca') return cred.main.content.certs[i]!.ca ? 'CA' : 'not a CA (in a CA bundle)';
  if (i === 0) return cred.role === 'unknown' ? 'leaf' : `${cred.role} leaf`;
  return `chain #${i + 1}`;
}

function checkParse(cred: Cred, files: DiscoveredFile[], add: Add): void {
  const evidence = { files: files.map((f) => ({ file: f.display, format: f.content.format, contains: describeContent(f), ...(f.content.errors.length ? { errors: f.content.errors } : {}) })) };
  const errors = files.filter((f) => !f.content.unreadable).flatMap((f) => f.content.errors);
  const unread = files.filter((f) => f.content.unreadable);
  const main = cred.main;
  if (main.content.tooLarge) {
    add('audit.parse', 'skip', `${main.name} was not read: it is ${main.size} bytes, over the audit's size limit for a PKI file.`, evidence);
  } else if (errors.length > 0) {
    const bad = files.filter((f) => f.content.errors.length > 0);
    add('audit.parse', 'fail', `${bad.map((f) => f.name).join(' and ')} ${bad.length > 1 ? 'do' : 'does'} not parse: ${errors[0]}${errors.length > 1 ? ` (and ${errors.length - 1} more problem${errors.length > 2 ? 's' : ''})` : ''}.`, evidence, 'Re-export the file from its source (openssl x509 -in … -out …, openssl pkey -in … -out …); a truncated copy or a bad paste is the usual cause.');
  } else if (unread.length > 0) {
    // Typically a key locked down to another user (good): say so instead of calling it broken.
    add('audit.parse', 'skip', `${unread.map((f) => f.name).join(' and ')} cannot be read by the auditing user, so ${unread.length > 1 ? 'their' : 'its'} content is not audited (permissions are).`, evidence, 'Run the audit as the user the service runs as (or root) to audit the content too.');
  } else if (main.content.format === 'pkcs12') {
    add('audit.parse', 'skip', `${main.name} is a PKCS#12 archive, which the audit does not open (it needs the archive's passphrase).`, evidence, `Audit its contents as PEM: openssl pkcs12 -in ${main.display} -nodes -out DIR/bundle.pem (mode 0600), then mtls-harness audit DIR.`);
  } else if (cred.kind === 'other') {
    add('audit.parse', 'pass', `${main.name} parses: ${describeContent(main)}; nothing else to audit in it.`, evidence);
  } else {
    add('audit.parse', 'pass', `${files.map((f) => `${f.name} (${describeContent(f)})`).join(' and ')} parse${files.length > 1 ? '' : 's'}.`, evidence);
  }
}

function checkKeyPermissions(files: DiscoveredFile[], caBundle: DiscoveredFile | undefined, add: Add): void {
  const keyFiles = files.filter((f) => f.content.keyLike || f.content.keys.length > 0);
  if (keyFiles.length === 0) return;
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
  const ev = keyFiles.map((f) => ({
    file: f.display,
    mode: octal(f.mode),
    ownerUid: f.uid,
    ...(uid !== undefined ? { ownedByAuditingUser: f.uid === uid } : {}),
    ...(f.symlinkTo ? { symlinkTo: f.symlinkTo } : {}),
    ...(f.content.keys.some((k) => k.encrypted) ? { encrypted: true } : {}),
  }));
  const open = keyFiles.filter((f) => (f.mode & 0o077) !== 0);
  if (open.length === 0) {
    add('audit.key-permissions', 'pass', `${keyFiles.map((f) => `${f.name} (${octal(f.mode)})`).join(', ')}: readable by the owner only.`, { files: ev });
    return;
  }
  const f = open[0]!;
  const who = [(f.mode & 0o070) !== 0 ? 'its group' : '', (f.mode & 0o007) !== 0 ? 'every user on the host' : ''].filter(Boolean).join(' and ');
  const k8s = open.some((x) => x.inKubernetesVolume);
  add(
    'audit.key-permissions',
    'fail',
    `${f.name} holds a private key and has mode ${octal(f.mode)}: ${who} can ${f.mode & 0o022 ? 'read or replace' : 'read'} it${open.length > 1 ? ` (and ${open.length - 1} more key file${open.length > 2 ? 's' : ''})` : ''}.`,
    { files: ev },
    `chmod 600 ${open.map((x) => x.display).join(' ')}${k8s ? ' — in a Kubernetes Secret volume set defaultMode: 0400 (or 0440 with an fsGroup) on the volume instead' : ''}${caBundle && open.includes(caBundle) ? ` — better, take the key out of ${caBundle.name} (see audit.no-key-in-ca-bundle): a CA bundle is meant to be readable` : ''}`,
  );
}

function checkNoKeyInCaBundle(cred: Cred, belongsTo: (k: KeyObject) => { file: DiscoveredFile; cert: NodeX509 }[], add: Add): void {
  const f = cred.main;
  if (!f.content.keyLike && f.content.keys.length === 0) {
    add('audit.no-key-in-ca-bundle', 'pass', `${f.name} holds certificates only, no private key.`, { file: f.display });
    return;
  }
  const keys = f.content.keys.map((k) => {
    const owners = k.key ? belongsTo(k.key) : [];
    return { description: describeKey(k), ...(k.key ? { publicKeySha256: spkiSha256(k.key) } : {}), belongsTo: owners.map((o) => `${o.file.display} (${o.cert.subject.replace(/\n/g, ', ')})`) };
  });
  const isCaKey = f.content.keys.some((k) => k.key && f.content.certs.some((c) => keyMatchesCertificate(k.key!, c)));
  add(
    'audit.no-key-in-ca-bundle',
    'fail',
    `${f.name} is where the CA bundle belongs, yet it holds ${isCaKey ? "the CA's own private key: anyone given this trust bundle can issue certificates every peer accepts" : 'a private key: every peer given the trust bundle receives that key too'}.`,
    { file: f.display, keys },
    `Remove the private key block from ${f.display} (a CA bundle holds certificates only), keep the key apart with mode 0600, and treat it as compromised if the bundle was ever distributed: ${isCaKey ? 'issue a new CA and re-issue every certificate' : 're-issue the certificate it belongs to'}.`,
  );
}

function checkCaKeyPresent(cred: Cred, files: DiscoveredFile[], add: Add): void {
  const caCerts = cred.main.content.certs.filter((c) => c.ca);
  const holders = files.filter((f) => f.content.keys.some((k) => k.key && caCerts.some((c) => keyMatchesCertificate(k.key!, c))));
  const named = cred.keyFile && !holders.includes(cred.keyFile) ? [cred.keyFile] : []; // e.g. an encrypted ca-key.pem
  const all = [...holders, ...named];
  if (all.length === 0) {
    add('audit.ca-key-present', 'pass', `No private key of this CA is among the audited files.`, { caFile: cred.main.display });
    return;
  }
  add(
    'audit.ca-key-present',
    'warn',
    `The CA private key is stored with the certificates (${all.map((f) => f.display).join(', ')}): whoever can read it can mint server and client certificates your services trust.`,
    { caFile: cred.main.display, caKeyFiles: all.map((f) => f.display) },
    [
      all.some((f) => f !== cred.main) ? `Move ${all.filter((f) => f !== cred.main).map((f) => f.name).join(', ')} to offline storage or a secrets manager; deploy only the CA certificate and each service's own certificate and key.` : '',
      all.includes(cred.main) ? `Take the key out of ${cred.main.name} (see audit.no-key-in-ca-bundle).` : '',
    ].filter(Boolean).join(' '),
  );
}

function loadKeys(cred: Cred, o: AuditOptions): { file: DiscoveredFile; found: FoundKey; key?: KeyObject; problem?: { status: Status; message: string; remediation?: string } }[] {
  const sources = cred.kind === 'leaf' && cred.main.content.keys.length > 0 ? [cred.main] : cred.keyFile ? [cred.keyFile] : cred.kind === 'key' ? [cred.main] : [];
  return sources.flatMap((file) =>
    file.content.keys.map((found) => {
      if (found.key) return { file, found, key: found.key };
      if (found.error) return { file, found, problem: { status: 'skip' as Status, message: `${file.name} cannot be parsed (see audit.parse), so it cannot be matched.` } };
      if (o.passphrase === undefined) {
        return { file, found, problem: { status: 'skip' as Status, message: `${file.name} is encrypted: pass its passphrase with --key-passphrase-env VAR to check that it belongs to the certificate.` } };
      }
      try {
        return { file, found, key: parsePrivateKey(found.encoded!, file.name, o.passphrase) };
      } catch (e) {
        const why = isHarnessError(e) && e.code === 'pki.bad-passphrase' ? `the passphrase from ${o.passphraseSource ?? '--key-passphrase-env'} does not decrypt ${file.name}` : `${file.name} cannot be decrypted`;
        return { file, found, problem: { status: 'error' as Status, message: `${why[0]!.toUpperCase()}${why.slice(1)}, so it cannot be matched.`, remediation: 'Check the passphrase (or audit keys with different passphrases in separate runs).' } };
      }
    }),
  );
}

function checkKeyMatch(cred: Cred, o: AuditOptions, belongsTo: (k: KeyObject) => { file: DiscoveredFile; cert: NodeX509 }[], add: Add): void {
  const keys = loadKeys(cred, o);
  if (cred.kind === 'key') {
    const k = keys[0];
    if (!k) {
      add('audit.key-matches-cert', 'skip', `${cred.main.name} holds no parseable private key to match.`, { keyFile: cred.main.display });
    } else if (k.problem) {
      add('audit.key-matches-cert', k.problem.status, k.problem.message, { keyFile: cred.main.display }, k.problem.remediation);
    } else {
      // Pairing by public key already ran: this key belongs to no certificate that lacks a key.
      const owners = belongsTo(k.key!);
      add(
        'audit.key-matches-cert',
        'warn',
        owners.length > 0
          ? `${cred.main.name} belongs to ${owners.map((x) => x.file.name).join(', ')}, which already ${owners.length > 1 ? 'have' : 'has'} a key file or holds its key: a second copy is one more secret to protect.`
          : `${cred.main.name} belongs to no certificate among the audited files: an unused private key is one more secret to protect.`,
        { keyFile: cred.main.display, keyPublicKeySha256: spkiSha256(k.key!), belongsTo: owners.map((x) => x.file.display) },
        `Delete ${cred.main.display} if nothing uses it, or audit it together with its certificate.`,
      );
    }
    return;
  }
  const cert = cred.main.content.certs[0]!;
  const certKeyProblem = publicKeyProblem(cert);
  const base = { certificateFile: cred.main.display, certificateSha256: summarizeFingerprint(cert), ...(certKeyProblem ? { certPublicKeyProblem: certKeyProblem } : { certPublicKeySha256: spkiSha256(cert.publicKey) }) };
  if (certKeyProblem) {
    add('audit.key-matches-cert', 'error', `${cred.main.name}: the certificate's ${certKeyProblem}, so no private key can be matched with it.`, base, 'Re-issue the certificate with a key on a supported algorithm (ECDSA P-256 or RSA ≥ 2048).');
    return;
  }
  if (keys.length === 0 && cred.keyFile) {
    const why = cred.keyFile.content.unreadable ? 'cannot be read by the auditing user' : 'holds no parseable private key (see audit.parse)';
    add('audit.key-matches-cert', 'skip', `${cred.keyFile.name} ${why}, so it cannot be matched with ${cred.main.name}.`, { ...base, keyFile: cred.keyFile.display });
    return;
  }
  if (keys.length === 0) {
    const expect = cred.role === 'ca' ? '' : ` (e.g. ${certBase(cred.main.name) || 'key'}${cred.main.name.endsWith('.crt') ? '.key' : '-key.pem'})`;
    add('audit.key-matches-cert', 'skip', `No private key for ${cred.main.name} among the audited files${expect}.`, base);
    return;
  }
  const k = keys[0]!;
  const ev = { ...base, keyFile: k.file.display, pairedBy: k.file === cred.main ? 'same file' : (cred.pairedBy ?? 'file name') };
  if (k.problem) {
    add('audit.key-matches-cert', k.problem.status, k.problem.message, ev, k.problem.remediation);
    return;
  }
  const keySha = spkiSha256(k.key!);
  if (keyMatchesCertificate(k.key!, cert)) {
    add('audit.key-matches-cert', 'pass', k.file === cred.main ? `The private key in ${cred.main.name} belongs to its certificate.` : `${k.file.name} is the private key of ${cred.main.name}.`, { ...ev, keyPublicKeySha256: keySha });
    return;
  }
  const owners = belongsTo(k.key!).filter((x) => x.cert !== cert);
  const whose = owners.length ? ` (it belongs to ${owners.map((x) => x.file.name).join(', ')})` : '';
  add(
    'audit.key-matches-cert',
    'fail',
    k.file === cred.main
      ? `The private key in ${cred.main.name} does not belong to its certificate${whose}: a TLS stack refuses to load this pair.`
      : `${k.file.name} is not the private key of ${cred.main.name}${whose}: a TLS stack refuses to load this pair.`,
    { ...ev, keyPublicKeySha256: keySha, keyBelongsTo: owners.map((x) => x.file.display) },
    owners.length ? `The files look swapped: put the key of ${cred.main.name} into ${k.file.name}.` : `Deploy the key generated with ${cred.main.name}, or re-issue the certificate for this key.`,
  );
}

function summarizeFingerprint(c: NodeX509): string {
  return c.fingerprint256;
}

interface Trust {
  anchors: NodeX509[];
  /** Intermediates available for path building (from CA bundles). */
  pool: NodeX509[];
  from: string;
  /** No self-signed root was available: the chain ends at a CA certificate of the bundle. */
  partial: boolean;
}

/** Trust for a credential: --ca, else the CA bundles of its set, else of the nearest parent set, else all. */
function trustFor(cred: Cred, cas: Cred[], ca: AuditOptions['ca']): Trust | undefined {
  const split = (certs: NodeX509[], from: string): Trust => {
    const roots = certs.filter(isSelfSigned);
    return { anchors: roots.length ? roots : certs, pool: certs.filter((c) => !isSelfSigned(c)), from, partial: roots.length === 0 };
  };
  if (ca) return split(ca.certs, `--ca ${ca.file}`);
  const usable = cas.filter((c) => c !== cred && c.main.content.certs.length > 0);
  let chosen = usable.filter((c) => c.setRoot === cred.setRoot);
  if (chosen.length === 0) {
    const parents = usable.filter((c) => cred.setRoot.startsWith(c.setRoot + path.sep)).sort((a, b) => b.setRoot.length - a.setRoot.length);
    if (parents[0]) chosen = parents.filter((c) => c.setRoot === parents[0]!.setRoot);
  }
  if (chosen.length === 0) chosen = usable;
  if (chosen.length === 0) return undefined;
  return split(chosen.flatMap((c) => c.main.content.certs.filter((x) => x.ca)), chosen.map((c) => c.main.display).join(', '));
}

function checkLeafChain(cred: Cred, trust: Trust | undefined, clock: Clock, add: Add): void {
  if (!trust || trust.anchors.length === 0) {
    add('audit.chain-verifies', 'skip', `No CA certificate among the audited files to verify ${cred.main.name} against.`, { file: cred.main.display }, 'Audit the directory that holds the CA bundle too, or name the trust anchors with --ca FILE.');
    return;
  }
  const certs = cred.main.content.certs;
  const v = verifyChain([...certs, ...trust.pool], trust.anchors, clock);
  const ev = { file: cred.main.display, trustedFrom: trust.from, path: v.path, ...(v.anchor ? { anchor: v.anchor } : {}), problems: v.problems.map((p) => `${p.code}: ${p.message}`), ...(trust.partial ? { partialChain: true } : {}) };
  if (v.ok) add('audit.chain-verifies', 'pass', `${cred.main.name} chains to "${v.anchor}" (${trust.from})${trust.partial ? ', an intermediate: no root CA certificate is among the files' : ''}.`, ev);
  else add('audit.chain-verifies', 'fail', `${cred.main.name} does not verify against ${trust.from}: ${v.problems[0]!.message}.`, ev, chainFix(v.problems[0]!.code));
}

function chainFix(code: string): string {
  switch (code) {
    case 'signature-mismatch':
    case 'untrusted':
      return 'The certificate was issued by another CA than the one deployed with it: deploy the CA that issued it, or re-issue the certificate from this CA.';
    case 'issuer-missing':
      return 'Add the missing intermediate CA certificate after the leaf in the certificate file (or to the CA bundle).';
    case 'expired':
    case 'not-yet-valid':
      return 'Renew the certificate (see audit.expiry).';
    default:
      return 'Re-issue the certificate from the CA deployed with it.';
  }
}

function checkCaChain(cred: Cred, trust: Trust | undefined, ca: AuditOptions['ca'], clock: Clock, add: Add): void {
  const certs = cred.main.content.certs.filter((c) => c.ca);
  if (certs.length === 0) return; // audit.ca-cert-is-ca says what is wrong
  const problems: string[] = [];
  const paths: string[][] = [];
  const rootless: string[] = [];
  // Without --ca, the bundle's own roots (and those of other CA files of the set) anchor its intermediates.
  const anchors = ca ? (trust?.anchors ?? []) : [...cred.main.content.certs.filter(isSelfSigned), ...(trust?.anchors ?? []).filter(isSelfSigned)];
  const pool = [...cred.main.content.certs.filter((c) => !isSelfSigned(c)), ...(trust?.pool ?? [])];
  for (const c of certs) {
    if (!ca && isSelfSigned(c)) {
      const v = verifyChain([c], [c], clock);
      paths.push(v.path);
      problems.push(...v.problems.map((p) => p.message));
      continue;
    }
    if (anchors.length === 0) {
      rootless.push(c.subject.replace(/\n/g, ', '));
      continue;
    }
    const v = verifyChain([c, ...pool.filter((x) => x !== c)], anchors, clock);
    paths.push(v.path);
    problems.push(...v.problems.map((p) => p.message));
  }
  const ev = { file: cred.main.display, ...(ca ? { trustedFrom: `--ca ${ca.file}` } : {}), paths, problems, ...(rootless.length ? { intermediatesWithoutRoot: rootless } : {}) };
  if (problems.length === 0 && rootless.length > 0) {
    // e.g. Let's Encrypt's chain.pem: the root lives in the peers' trust stores, not among these files.
    add('audit.chain-verifies', 'skip', `${cred.main.name} holds intermediate CA certificates whose root is not among the audited files, so they cannot be verified here.`, ev, 'Audit the root CA certificate too, or name it with --ca FILE.');
  } else if (problems.length === 0) add('audit.chain-verifies', 'pass', ca ? `${cred.main.name} chains to --ca ${path.basename(ca.file)}.` : `${cred.main.name}: every root's self-signature verifies${certs.some((c) => !isSelfSigned(c)) ? ' and every intermediate chains to a root of the set' : ''}.`, ev);
  else add('audit.chain-verifies', 'fail', `${cred.main.name}: ${problems[0]}.`, ev, ca ? `The CA bundle is not the CA named with --ca: deploy the CA that issued your certificates.` : 'Re-export the CA certificates from the issuing CA.');
}

function checkCaIsCa(cred: Cred, summary: (c: NodeX509) => CertSummary, add: Add): void {
  const certs = cred.main.content.certs;
  const rows = certs.map((c, i) => {
    const s = summary(c);
    const code = caProblem({ ca: c.ca, keyUsage: s.keyUsage });
    const problem = code === 'not-ca' ? 'not a CA (CA:FALSE or no basicConstraints)' : code === 'no-key-cert-sign' ? 'its key usage lacks keyCertSign' : undefined;
    return { index: i + 1, subject: s.subject, ca: c.ca, keyUsage: s.keyUsage, ...(problem ? { problem } : {}) };
  });
  const bad = rows.find((r) => r.problem);
  const ev = { file: cred.main.display, certificates: rows };
  if (!bad) add('audit.ca-cert-is-ca', 'pass', `Every certificate in ${cred.main.name} is a CA (basicConstraints CA:TRUE${rows.some((r) => r.keyUsage.length) ? ', keyCertSign' : ''}).`, ev);
  else add('audit.ca-cert-is-ca', 'fail', `${cred.main.name} is where the CA bundle belongs, yet certificate #${bad.index} ("${bad.subject}") is ${bad.problem}: peers cannot verify certificates against it.`, ev, 'Put the issuing CA certificate in the bundle, not a leaf (a leaf trusted as an anchor also lets its own key impersonate).');
}

function checkSans(cred: Cred, s: CertSummary, expected: string[], add: Add): void {
  const cert = cred.main.content.certs[0]!;
  const sans = sanList(s.sans);
  const ev = { file: cred.main.display, subject: s.subject, sans, role: cred.role };
  if (hasSubjectAltName(s.sans)) add('audit.san-present', 'pass', `${cred.main.name} has subjectAltNames: ${sans.slice(0, 6).join(', ')}${sans.length > 6 ? ` and ${sans.length - 6} more` : ''}.`, ev);
  else if (cred.role === 'client') add('audit.san-present', 'skip', `${cred.main.name} is a client certificate without subjectAltName: servers identify it by its subject (${s.subject}); a SAN (e.g. a SPIFFE URI) is needed only where servers match SANs.`, ev);
  else add('audit.san-present', cred.role === 'unknown' ? 'warn' : 'fail', `${cred.main.name} has no subjectAltName: TLS clients ignore the CN (RFC 9525), so no host name can match it.`, ev, 'Re-issue the certificate with the DNS names and IPs clients dial (mtls-harness certs init --san …, or openssl -addext subjectAltName=DNS:…).');

  if (expected.length === 0) {
    add('audit.san-covers-expected', 'skip', 'No --expected-name given: nothing to match the SANs against.', ev);
  } else if (cred.role === 'client') {
    add('audit.san-covers-expected', 'skip', `--expected-name applies to server certificates; ${cred.main.name} is a client certificate.`, { ...ev, expectedNames: expected });
  } else {
    const missing = sanCoverage(cert, expected).uncovered;
    const ev2 = { ...ev, expectedNames: expected, notCovered: missing };
    if (missing.length === 0) add('audit.san-covers-expected', 'pass', `${cred.main.name} covers ${expected.join(', ')}.`, ev2);
    else add('audit.san-covers-expected', 'fail', `${cred.main.name} does not cover ${missing.join(', ')} (SANs: ${sans.join(', ') || 'none'}); clients dialling ${missing.length > 1 ? 'these names' : 'that name'} will refuse it.`, ev2, `Re-issue the certificate with ${missing.map(sanEntryFor).join(', ')} in its subjectAltName (a wildcard covers one left-most label only).`);
  }
}

function checkEku(cred: Cred, s: CertSummary, add: Add): void {
  const eku = s.extKeyUsage;
  const ev = { file: cred.main.display, role: cred.role, roleFrom: cred.roleSource ?? 'unknown', extKeyUsage: eku };
  if (cred.role === 'unknown' || cred.role === 'ca') {
    add('audit.eku-fits-role', 'skip', `The role of ${cred.main.name} is unknown (neither its name nor its EKU says server or client): pass --role ${cred.main.display}=server|client to check it.`, ev);
    return;
  }
  if (cred.roleSource?.startsWith('certificate content')) {
    add('audit.eku-fits-role', 'skip', `The role of ${cred.main.name} (${cred.role}) was read from its own EKU, so there is nothing to compare: pass --role ${cred.main.display}=server|client to check it.`, ev);
    return;
  }
  const { needs, missing, unrestricted } = ekuForRole(eku, cred.role);
  if (unrestricted) {
    add('audit.eku-fits-role', 'pass', `${cred.main.name} has no EKU extension, so any purpose is allowed (RFC 5280), including ${needs.join(' and ')}.`, ev);
    return;
  }
  if (missing.length === 0) add('audit.eku-fits-role', 'pass', `${cred.main.name} (${cred.role}, from ${cred.roleSource}) allows ${needs.join(' and ')} (EKU: ${eku.join(', ')}).`, ev);
  else add('audit.eku-fits-role', 'fail', `${cred.main.name} is a ${cred.role} certificate (${cred.roleSource}) but its EKU (${eku.join(', ')}) lacks ${missing.join(' and ')}: peers refuse it for that role.`, ev, `Re-issue it with extendedKeyUsage ${needs.join(',')}${cred.roleSource === 'file name' ? ', or, if the file name misleads, pass --role FILE=server|client' : ''}.`);
}

function checkExpiry(cred: Cred, summary: (c: NodeX509) => CertSummary, warnDays: number, failDays: number, add: Add): void {
  const certs = cred.main.content.certs;
  const rows = certs.map((c, i) => {
    const s = summary(c);
    const { status, state } = expiryOf(s, { warnDays, failDays });
    return { index: i + 1, subject: s.subject, notBefore: s.notBefore, notAfter: s.notAfter, daysLeft: s.daysLeft, status: status as Status, state };
  });
  const worst = rows.find((r) => r.status === 'fail') ?? rows.find((r) => r.status === 'warn');
  const ev = { file: cred.main.display, warnDays, failDays, certificates: rows.map(({ state: _state, ...r }) => r) };
  const who = (r: (typeof rows)[number]) => (certs.length === 1 ? cred.main.name : `${cred.main.name} certificate #${r.index} ("${r.subject}")`);
  if (!worst) {
    const soonest = rows.reduce((a, b) => (b.daysLeft < a.daysLeft ? b : a));
    add('audit.expiry', 'pass', `${who(soonest)} is valid for ${soonest.daysLeft} more days (until ${soonest.notAfter.slice(0, 10)}).`, ev);
    return;
  }
  const what = worst.state === 'not-yet-valid'
    ? `is not valid before ${worst.notBefore}`
    : worst.state === 'expired'
      ? `expired on ${worst.notAfter.slice(0, 10)} (${-worst.daysLeft} day${worst.daysLeft === -1 ? '' : 's'} ago)`
      : `expires on ${worst.notAfter.slice(0, 10)}, in ${worst.daysLeft} day${worst.daysLeft === 1 ? '' : 's'} (${worst.status === 'fail' ? `under --fail-days ${failDays}` : `under --warn-days ${warnDays}`})`;
  add('audit.expiry', worst.status, `${who(worst)} ${what}.`, ev, worst.state === 'not-yet-valid' ? 'Check the clock of the machine that issued it, or wait until its notBefore.' : `Renew ${cred.main.name} and deploy it before it expires${cred.kind === 'ca' ? ' (a new CA means re-issuing every certificate: start early and deploy old+new CA together)' : ''}.`);
}

/** RFC 9325 / CONFORMANCE.md chain.server-leaf-profile: RSA ≥ 2048, EC ≥ P-256, no SHA-1/MD5 signature (a root's self-signature is never checked by peers). */
function checkStrength(cred: Cred, summary: (c: NodeX509) => CertSummary, add: Add): void {
  const rows = cred.main.content.certs.map((c, i) => {
    const s = summary(c);
    const weak: string[] = [];
    const { type, bits } = s.publicKey;
    const key = keyStrength(s.publicKey);
    if (!key.ok) {
      weak.push(
        key.code === 'undecodable' ? `a key that cannot be used: its ${key.reason}`
        : key.code === 'rsa-too-short' ? `an RSA ${bits ?? '?'}-bit key (needs ≥ 2048)`
        : key.code === 'ec-too-small' ? `an EC ${s.publicKey.curve ?? '?'} key (needs ≥ P-256)`
        : 'a DSA key (not usable in TLS 1.3)',
      );
    }
    if (!signatureStrength(s.signatureAlgorithm, isSelfSigned(c)).ok) weak.push(`a ${s.signatureAlgorithm} signature`);
    return { index: i + 1, subject: s.subject, publicKey: s.publicKey.curve ? `${type} ${s.publicKey.curve}` : `${type}${bits ? ` ${bits} bits` : ''}`, signatureAlgorithm: s.signatureAlgorithm, ...(weak.length ? { weak } : {}) };
  });
  const bad = rows.find((r) => r.weak);
  const ev = { file: cred.main.display, certificates: rows };
  if (!bad) add('audit.crypto-strength', 'pass', `${cred.main.name}: ${rows.map((r) => `${r.publicKey}, ${r.signatureAlgorithm}`).filter((x, i, a) => a.indexOf(x) === i).join('; ')}.`, ev);
  else if (bad.weak!.some((w) => w.startsWith('a key that cannot be used'))) add('audit.crypto-strength', 'error', `${cred.main.name}${rows.length > 1 ? ` certificate #${bad.index} ("${bad.subject}")` : ''} has ${bad.weak!.join(' and ')}: no peer can verify with it.`, ev, 'Re-issue it with an ECDSA P-256 (or RSA ≥ 2048) key and a SHA-256 signature (mtls-harness certs init does).');
  else add('audit.crypto-strength', 'fail', `${cred.main.name}${rows.length > 1 ? ` certificate #${bad.index} ("${bad.subject}")` : ''} uses ${bad.weak!.join(' and ')}: peers with current security levels refuse it, and it can be forged or broken.`, ev, 'Re-issue it with an ECDSA P-256 (or RSA ≥ 2048) key and a SHA-256 signature (mtls-harness certs init does).');
}
