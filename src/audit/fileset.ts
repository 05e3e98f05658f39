/**
 * What the offline audit's checks (suites/offline-audit.ts) see: one file set (a report target)
 * and its context. The engine (audit.ts) groups the discovered files into file sets and judges
 * each with the suite's checks in catalogue order.
 */
import type { KeyObject, X509Certificate } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import type { CertSummary, CheckVerdict, Evidence } from '../core/model.js';
import type { Status } from '../core/status.js';
import type { DetectedLayout, DiscoveredFile, FoundKey } from './discover.js';

/** What a certificate is for: `peer` serves and calls (both EKUs), as per-service certificates do. */
export type AuditRole = 'ca' | 'server' | 'client' | 'peer';
export const AUDIT_ROLES: readonly AuditRole[] = ['ca', 'server', 'client', 'peer'];

export type Role = AuditRole | 'unknown';

/** A file set: one report target (a CA bundle, a leaf with its key, a key alone, another PKI file). */
export interface FileSet {
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

/** The trust a file set's chain is verified against. */
export interface Trust {
  anchors: X509Certificate[];
  /** Intermediates available for path building (from CA bundles). */
  pool: X509Certificate[];
  from: string;
  /** No self-signed root was available: the chain ends at a CA certificate of the bundle. */
  partial: boolean;
}

/** What an offline-audit check is judged on. */
export interface FileSetContext {
  set: FileSet;
  /** The certificate's summary (memoised for the whole audit). */
  summary(c: X509Certificate): CertSummary;
  /** The trust for this set: --ca, else the CA bundles of its set, of the nearest parent set, or any. */
  trust: Trust | undefined;
  /** The trust anchors given with --ca, if any. */
  ca?: { file: string; certs: X509Certificate[] };
  clock: Clock;
  /** --expected-name: the names server certificates must cover. */
  expectedNames: string[];
  warnDays: number;
  failDays: number;
  /** Every file the audit found (a CA's key may lie in any of them). */
  files: DiscoveredFile[];
  /** The certificates among the audited files a private key belongs to. */
  belongsTo(key: KeyObject): { file: DiscoveredFile; cert: X509Certificate }[];
  /** Decrypts encrypted keys; where it came from (e.g. `$KEY_PASS`), for messages. */
  passphrase?: string;
  passphraseSource?: string;
}

/** The files of a set: its main file and its separate key file. */
export function filesOf(set: FileSet): DiscoveredFile[] {
  return [set.main, ...(set.keyFile ? [set.keyFile] : [])];
}

const STRIP_EXT = /\.(pem|crt|cer|der|key|p8|pk8)$/i;

export function stemOf(name: string): string {
  return name.replace(STRIP_EXT, '');
}

/** `server-key.pem` → server, `tls.key` → tls, `key.pem` → '', `ca-key.pem` → ca. */
export function keyBase(name: string): string {
  return stemOf(name)
    .replace(/[-_.]?(private[-_]?key|privkey|key)$/i, '')
    .toLowerCase();
}

/** `server.pem` → server, `tls.crt` → tls, `cert.pem` → '', `server-cert.pem` → server. */
export function certBase(name: string): string {
  return stemOf(name)
    .replace(/[-_.]?(certificate|cert|crt|fullchain)$/i, '')
    .toLowerCase();
}

export function octal(mode: number): string {
  return `0${(mode & 0o777).toString(8).padStart(3, '0')}`;
}

export function describeKey(k: FoundKey): string {
  if (k.encrypted) return 'encrypted private key';
  if (!k.key) return 'private key (unparseable)';
  const d = k.key.asymmetricKeyDetails ?? {};
  const t = (k.key.asymmetricKeyType ?? 'unknown').toUpperCase();
  const curve = d.namedCurve === 'prime256v1' ? 'P-256' : d.namedCurve === 'secp384r1' ? 'P-384' : d.namedCurve;
  return `${t}${curve ? ` ${curve}` : ''}${d.modulusLength ? ` ${d.modulusLength}` : ''} private key`;
}

export function describeContent(f: DiscoveredFile): string {
  const c = f.content;
  if (c.tooLarge) return `not read (${f.size} bytes, over the size limit)`;
  if (c.unreadable) return 'not readable';
  if (c.format === 'pkcs12' && c.certs.length === 0 && c.keys.length === 0) return `PKCS#12 archive${c.pkcs12?.closed.length ? ' (encrypted)' : ''}`;
  if (c.format === 'k8s-secret') return `Kubernetes Secret manifest${c.secretKeyEntries?.length ? ` (private keys in ${c.secretKeyEntries.join(', ')})` : ''}`;
  const parts: string[] = [];
  if (c.certs.length) parts.push(`${c.certs.length} certificate${c.certs.length === 1 ? '' : 's'}`);
  for (const k of c.keys) parts.push(describeKey(k));
  parts.push(...c.others);
  if (c.format === 'pkcs12') return `PKCS#12 archive: ${parts.join(', ') || 'empty'}${c.pkcs12?.closed.length ? ' (part encrypted)' : ''}`;
  return parts.join(', ') || 'nothing parseable';
}

/** An offline-audit check's verdict: the remediation only when there is one. */
export function verdict(status: Status, message: string, evidence: Evidence, remediation?: string): CheckVerdict {
  return { status, message, ...(remediation ? { remediation } : {}), evidence };
}
