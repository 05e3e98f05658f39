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
import { keyMatchesCertificate, summarizeCertificate } from '../pki/inspect.js';
import { DEFAULT_POLICY } from '../core/target.js';
import { TargetIds } from '../core/target-id.js';
import { summarize, type FailOn } from '../core/status.js';
import type { CertSummary, CheckVerdict, FileCertificate, Result, RunReport, TargetReport } from '../core/model.js';
import { isSelfSigned } from '../rules/chain-order.js';
import { roleFromEku } from '../rules/eku.js';
import { offlineAudit, type AuditCheckId, type FilesCheck } from '../../suites/offline-audit.js';
import { discoverFiles, type DetectedLayout, type DiscoveredFile, type WalkLimits } from './discover.js';
import { AUDIT_ROLES, certBase, filesOf, keyBase, stemOf, type AuditRole, type FileSet, type FileSetContext, type Role, type Trust } from './fileset.js';

/** The suite every audit result belongs to, and its checks in catalogue order (suites/offline-audit.ts). */
export const AUDIT_SUITE = offlineAudit;
export const AUDIT_CHECKS: readonly FilesCheck[] = offlineAudit.checks;
export type { AuditCheckId };
export { AUDIT_ROLES, type AuditRole };

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
  /** Opens PKCS#12 archives (.p12/.pfx); without it the empty passphrase is tried and what stays closed is said. */
  p12Passphrase?: string;
  failOn?: FailOn;
  clock?: Clock;
  /** Paths in reports are relative to this directory when below it (default: process.cwd()). */
  cwd?: string;
  limits?: Partial<WalkLimits>;
}

const CA_NAME = /(^|[-_.])(ca|cacerts?|ca-?bundle|ca-?chain|ca-?certificates|root-?ca|rootca|trust(ed)?|trust-?bundle)([-_.]|$)/i;
function roleFromName(f: DiscoveredFile, layout: DetectedLayout | undefined): { role: Role; source: string } | undefined {
  const stem = stemOf(f.name);
  if (CA_NAME.test(stem) || CA_NAME.test(keyBase(f.name))) return { role: 'ca', source: 'file name' };
  if (layout?.layout === 'nova' && (f.name === 'tls.crt' || f.name === 'tls.key'))
    return { role: 'server', source: 'nova layout (cert-manager tls.crt serves)' };
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
  const disc = discoverFiles(o.paths, {
    cwd,
    ...(o.limits ? { limits: o.limits } : {}),
    ...(o.p12Passphrase !== undefined ? { p12Passphrase: o.p12Passphrase } : {}),
  });

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
  const setRootOf = (f: DiscoveredFile) =>
    perService.find((l) => f.dir === l.dir || (path.dirname(f.dir) === l.dir && l.services!.includes(path.basename(f.dir))))?.dir ?? f.dir;
  const layoutOf = (root: string) => disc.layouts.find((l) => l.dir === root);

  // What each file is.
  const certFiles: DiscoveredFile[] = [];
  const keyFiles: DiscoveredFile[] = [];
  const creds: FileSet[] = [];
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
    } else if (
      c.tooLarge ||
      c.unreadable ||
      (c.format === 'pkcs12' && c.certs.length === 0) ||
      c.format === 'k8s-secret' ||
      (c.certs.length === 0 && c.keys.length === 0 && c.errors.length === 0)
    ) {
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
  const certFileSets = new Map<DiscoveredFile, FileSet>();
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
    const cred: FileSet = {
      kind: role === 'ca' ? 'ca' : 'leaf',
      role,
      ...(source ? { roleSource: source } : {}),
      main: f,
      setRoot: root,
      ...(layout ? { layout } : {}),
      name: `${label} ${f.display}`,
    };
    certFileSets.set(f, cred);
    creds.push(cred);
  }

  // Keys pair with certificates by file name first (server-key.pem ↔ server.pem, tls.key ↔ tls.crt,
  // key.pem ↔ cert.pem), then by public key; a key no certificate claims is its own target.
  const ownKey = (f: DiscoveredFile) => f.content.keys.length > 0;
  const unpaired: DiscoveredFile[] = [];
  for (const k of keyFiles) {
    // Every certificate file of that name takes the key (server.pem and server.der are one certificate twice).
    const candidates = certFiles.filter((c) => c.dir === k.dir && certBase(c.name) === keyBase(k.name) && !certFileSets.get(c)!.keyFile && !ownKey(c));
    for (const c of candidates) {
      const cred = certFileSets.get(c)!;
      cred.keyFile = k;
      cred.pairedBy = 'file name';
    }
    if (candidates.length === 0) unpaired.push(k);
  }
  for (const k of unpaired) {
    const key = k.content.keys.find((x) => x.key)?.key;
    const match = key
      ? certFiles
          .filter((c) => !certFileSets.get(c)!.keyFile && !ownKey(c) && c.content.certs[0] && keyMatchesCertificate(key, c.content.certs[0]))
          .sort((a, b) => Number(setRootOf(b) === setRootOf(k)) - Number(setRootOf(a) === setRootOf(k)))[0]
      : undefined;
    if (match) {
      const cred = certFileSets.get(match)!;
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
  const caFileSets = creds.filter((c) => c.kind === 'ca');

  const results: Result[] = [];
  const targets: TargetReport[] = [];
  const policy = { ...DEFAULT_POLICY, warnDays, failDays };
  const order = new Map(offlineAudit.checks.map((c, i) => [c.id, i]));
  const parseCheck = offlineAudit.checks[0]!;

  const kindOrder = { ca: 0, leaf: 1, key: 2, other: 3 };
  const roleOrder: Record<Role, number> = { ca: 0, server: 1, peer: 2, client: 3, unknown: 4 };
  creds.sort(
    (a, b) =>
      (a.setRoot < b.setRoot ? -1 : a.setRoot > b.setRoot ? 1 : 0) ||
      kindOrder[a.kind] - kindOrder[b.kind] ||
      roleOrder[a.role] - roleOrder[b.role] ||
      (a.main.path < b.main.path ? -1 : 1),
  );

  const ids = new TargetIds();
  for (const cred of creds) {
    const out: Result[] = [];
    const targetId = ids.next(cred.name);
    const add = (check: FilesCheck, v: CheckVerdict) => {
      out.push({
        targetId,
        target: cred.name,
        suite: offlineAudit.id,
        check: check.id,
        title: check.title,
        status: v.status,
        message: v.message,
        ...(v.remediation ? { remediation: v.remediation } : {}),
        evidence: v.evidence ?? {},
        durationMs: 0,
      });
    };
    const t0 = Date.now();
    const files = filesOf(cred);
    const certs = cred.main.content.certs;
    try {
      const ctx: FileSetContext = {
        set: cred,
        summary,
        trust: trustFor(cred, caFileSets, o.ca),
        ...(o.ca ? { ca: o.ca } : {}),
        clock,
        expectedNames,
        warnDays,
        failDays,
        files: disc.files,
        belongsTo,
        ...(o.passphrase !== undefined ? { passphrase: o.passphrase } : {}),
        ...(o.passphraseSource !== undefined ? { passphraseSource: o.passphraseSource } : {}),
      };
      // Every check of the suite, in catalogue order; those that do not apply to this kind of set yield nothing.
      for (const check of offlineAudit.checks) {
        const v = check.run(ctx);
        if (v) add(check, v);
      }
    } catch (e) {
      // Last line of defence, per file set: a bug in one check costs that set its remaining checks
      // (one error result saying so), never the other files' results or the reports.
      if (isHarnessError(e)) throw e;
      add(parseCheck, {
        status: 'error',
        message: `Not finished: ${internalFailure(e).message} while auditing ${cred.main.display}; the results it reached are kept, its other checks did not run.`,
        evidence: { file: cred.main.display },
      });
    }
    const ms = Date.now() - t0;
    out.sort((a, b) => order.get(a.check)! - order.get(b.check)!);
    for (const r of out) r.durationMs = ms / Math.max(1, out.length);
    results.push(...out);
    const rootLabel = `${display(cred.setRoot)}${cred.setRoot.endsWith(path.sep) ? '' : '/'}`;
    targets.push({
      id: targetId,
      name: cred.name,
      endpoint: `${rootLabel} (${cred.layout ? `${cred.layout.layout} layout` : 'no certs init layout'}): ${files.map((f) => path.relative(cred.setRoot, f.path) || f.name).join(' + ')}`,
      kind: 'files',
      policy,
      fileCertificates: fileCertificatesOf(cred, certs, summary),
    });
  }

  let walkId: string | undefined;
  for (const note of disc.truncated) {
    const name = 'audit walk';
    if (walkId === undefined) targets.push({ id: (walkId = ids.next(name)), name, endpoint: o.paths.join(' '), kind: 'files', policy });
    results.push({
      targetId: walkId,
      target: name,
      suite: offlineAudit.id,
      check: parseCheck.id,
      title: parseCheck.title,
      status: 'error',
      message: `Not everything was audited: ${note}.`,
      evidence: { note },
      durationMs: 0,
    });
  }

  const finished = clock();
  return {
    settings: {
      failOn: o.failOn ?? 'fail',
      timeoutMs: 0,
      concurrency: 1,
      suites: [offlineAudit.id],
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
function fileCertificatesOf(cred: FileSet, certs: NodeX509[], summary: (c: NodeX509) => CertSummary): FileCertificate[] {
  try {
    return certs.map((c, i) => ({ file: cred.main.display, index: i + 1, role: certRole(cred, i), cert: summary(c) }) satisfies FileCertificate);
  } catch (e) {
    if (isHarnessError(e)) throw e;
    return [];
  }
}

function certRole(cred: FileSet, i: number): string {
  if (cred.kind === 'ca') return cred.main.content.certs[i]!.ca ? 'CA' : 'not a CA (in a CA bundle)';
  if (i === 0) return cred.role === 'unknown' ? 'leaf' : `${cred.role} leaf`;
  return `chain #${i + 1}`;
}

/** Trust for a credential: --ca, else the CA bundles of its set, else of the nearest parent set, else all. */
function trustFor(cred: FileSet, cas: FileSet[], ca: AuditOptions['ca']): Trust | undefined {
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
  return split(
    chosen.flatMap((c) => c.main.content.certs.filter((x) => x.ca)),
    chosen.map((c) => c.main.display).join(', '),
  );
}
