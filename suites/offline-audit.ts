/**
 * The offline audit's catalogue (`mtls-harness audit`, docs/audit.md): the checks of one file set
 * (a report target: a CA bundle, a leaf with its key, a key alone, another PKI file), in report
 * order. The engine (src/audit/audit.ts) discovers the files, groups them into file sets and runs
 * every check on each set in this order; a check that does not apply to a kind of set yields no
 * result (a CA has no SAN check, a key alone no chain). The key checks are in offline-audit/keys.ts,
 * the chain checks in offline-audit/chain.ts.
 */
import type { CertSummary, CheckVerdict } from '../src/core/model.js';
import type { Status } from '../src/core/status.js';
import type { Check, Suite } from '../src/checks/types.js';
import { isSelfSigned } from '../src/rules/chain-order.js';
import { ekuForRole } from '../src/rules/eku.js';
import { expiryOf } from '../src/rules/expiry.js';
import { hasSubjectAltName, sanCoverage, sanEntryFor, sanList } from '../src/rules/san.js';
import { keyStrength, signatureStrength } from '../src/rules/strength.js';
import { describeContent, filesOf, verdict, type FileSet, type FileSetContext } from '../src/audit/fileset.js';
import { caChain, caIsCa, leafChain, leafNotCa } from './offline-audit/chain.js';
import { caKeyPresent, keyMatch, keyPermissions, noKeyInCaBundle } from './offline-audit/keys.js';

/** An offline-audit check: judged on one file set; no verdict where it does not apply to that set. */
export type FilesCheck = Check<FileSetContext, CheckVerdict | undefined>;

/** A CA bundle with certificates in it. */
const caSet = ({ set }: FileSetContext) => set.kind === 'ca' && set.main.content.certs.length > 0;
/** A leaf certificate file with certificates in it. */
const leafSet = ({ set }: FileSetContext) => set.kind === 'leaf' && set.main.content.certs.length > 0;

function parse({ set }: FileSetContext): CheckVerdict {
  const files = filesOf(set);
  const evidence = {
    files: files.map((f) => ({
      file: f.display,
      format: f.content.format,
      contains: describeContent(f),
      ...(f.content.errors.length ? { errors: f.content.errors } : {}),
    })),
  };
  const errors = files.filter((f) => !f.content.unreadable).flatMap((f) => f.content.errors);
  const unread = files.filter((f) => f.content.unreadable);
  const main = set.main;
  if (main.content.tooLarge) {
    return verdict('skip', `${main.name} was not read: it is ${main.size} bytes, over the audit's size limit for a PKI file.`, evidence);
  } else if (errors.length > 0) {
    const bad = files.filter((f) => f.content.errors.length > 0);
    return verdict(
      'fail',
      `${bad.map((f) => f.name).join(' and ')} ${bad.length > 1 ? 'do' : 'does'} not parse: ${errors[0]}${errors.length > 1 ? ` (and ${errors.length - 1} more problem${errors.length > 2 ? 's' : ''})` : ''}.`,
      evidence,
      'Re-export the file from its source (openssl x509 -in … -out …, openssl pkey -in … -out …); a truncated copy or a bad paste is the usual cause.',
    );
  } else if (unread.length > 0) {
    // Typically a key locked down to another user (good): say so instead of calling it broken.
    return verdict(
      'skip',
      `${unread.map((f) => f.name).join(' and ')} cannot be read by the auditing user, so ${unread.length > 1 ? 'their' : 'its'} content is not audited (permissions are).`,
      evidence,
      'Run the audit as the user the service runs as (or root) to audit the content too.',
    );
  } else if (main.content.format === 'pkcs12' && main.content.pkcs12?.closed.length) {
    const closed = main.content.pkcs12.closed;
    return verdict(
      'skip',
      `${main.name} is a PKCS#12 archive${main.content.certs.length ? ` (${describeContent(main)})` : ''} not fully opened: ${closed[0]}${closed.length > 1 ? ` (and ${closed.length - 1} more part${closed.length > 2 ? 's' : ''})` : ''}.`,
      evidence,
      `Give its passphrase in an environment variable: mtls-harness audit --p12-passphrase-env VAR; for a scheme node cannot decrypt, re-export it: openssl pkcs12 -legacy -in ${main.display} -nodes | openssl pkcs12 -export -out NEW.p12.`,
    );
  } else if (set.kind === 'other') {
    return verdict('pass', `${main.name} parses: ${describeContent(main)}; nothing else to audit in it.`, evidence);
  } else {
    return verdict('pass', `${files.map((f) => `${f.name} (${describeContent(f)})`).join(' and ')} parse${files.length > 1 ? '' : 's'}.`, evidence);
  }
}

/** What the SAN checks show of a leaf: its file, subject, SAN list and role. */
function sanEvidence(set: FileSet, s: CertSummary) {
  return { file: set.main.display, subject: s.subject, sans: sanList(s.sans), role: set.role };
}

function sanPresent({ set, summary }: FileSetContext): CheckVerdict {
  const s = summary(set.main.content.certs[0]!);
  const ev = sanEvidence(set, s);
  const sans = ev.sans;
  if (hasSubjectAltName(s.sans))
    return verdict('pass', `${set.main.name} has subjectAltNames: ${sans.slice(0, 6).join(', ')}${sans.length > 6 ? ` and ${sans.length - 6} more` : ''}.`, ev);
  else if (set.role === 'client')
    return verdict(
      'skip',
      `${set.main.name} is a client certificate without subjectAltName: servers identify it by its subject (${s.subject}); a SAN (e.g. a SPIFFE URI) is needed only where servers match SANs.`,
      ev,
    );
  else
    return verdict(
      set.role === 'unknown' ? 'warn' : 'fail',
      `${set.main.name} has no subjectAltName: TLS clients ignore the CN (RFC 9525), so no host name can match it.`,
      ev,
      'Re-issue the certificate with the DNS names and IPs clients dial (mtls-harness certs init --san …, or openssl -addext subjectAltName=DNS:…).',
    );
}

function sanCoversExpected({ set, summary, expectedNames: expected }: FileSetContext): CheckVerdict {
  const cert = set.main.content.certs[0]!;
  const ev = sanEvidence(set, summary(cert));
  const sans = ev.sans;
  if (expected.length === 0) {
    return verdict('skip', 'No --expected-name given: nothing to match the SANs against.', ev);
  } else if (set.role === 'client') {
    return verdict('skip', `--expected-name applies to server certificates; ${set.main.name} is a client certificate.`, { ...ev, expectedNames: expected });
  } else {
    const missing = sanCoverage(cert, expected).uncovered;
    const ev2 = { ...ev, expectedNames: expected, notCovered: missing };
    if (missing.length === 0) return verdict('pass', `${set.main.name} covers ${expected.join(', ')}.`, ev2);
    else
      return verdict(
        'fail',
        `${set.main.name} does not cover ${missing.join(', ')} (SANs: ${sans.join(', ') || 'none'}); clients dialling ${missing.length > 1 ? 'these names' : 'that name'} will refuse it.`,
        ev2,
        `Re-issue the certificate with ${missing.map(sanEntryFor).join(', ')} in its subjectAltName (a wildcard covers one left-most label only).`,
      );
  }
}

function ekuFitsRole({ set, summary }: FileSetContext): CheckVerdict {
  const s = summary(set.main.content.certs[0]!);
  const eku = s.extKeyUsage;
  const ev = { file: set.main.display, role: set.role, roleFrom: set.roleSource ?? 'unknown', extKeyUsage: eku };
  if (set.role === 'unknown' || set.role === 'ca') {
    return verdict(
      'skip',
      `The role of ${set.main.name} is unknown (neither its name nor its EKU says server or client): pass --role ${set.main.display}=server|client to check it.`,
      ev,
    );
  }
  if (set.roleSource?.startsWith('certificate content')) {
    return verdict(
      'skip',
      `The role of ${set.main.name} (${set.role}) was read from its own EKU, so there is nothing to compare: pass --role ${set.main.display}=server|client to check it.`,
      ev,
    );
  }
  const { needs, missing, unrestricted } = ekuForRole(eku, set.role);
  if (unrestricted) {
    return verdict('pass', `${set.main.name} has no EKU extension, so any purpose is allowed (RFC 5280), including ${needs.join(' and ')}.`, ev);
  }
  if (missing.length === 0)
    return verdict('pass', `${set.main.name} (${set.role}, from ${set.roleSource}) allows ${needs.join(' and ')} (EKU: ${eku.join(', ')}).`, ev);
  else
    return verdict(
      'fail',
      `${set.main.name} is a ${set.role} certificate (${set.roleSource}) but its EKU (${eku.join(', ')}) lacks ${missing.join(' and ')}: peers refuse it for that role.`,
      ev,
      `Re-issue it with extendedKeyUsage ${needs.join(',')}${set.roleSource === 'file name' ? ', or, if the file name misleads, pass --role FILE=server|client' : ''}.`,
    );
}

function expiry({ set, summary, warnDays, failDays }: FileSetContext): CheckVerdict {
  const certs = set.main.content.certs;
  const rows = certs.map((c, i) => {
    const s = summary(c);
    const { status, state } = expiryOf(s, { warnDays, failDays });
    return { index: i + 1, subject: s.subject, notBefore: s.notBefore, notAfter: s.notAfter, daysLeft: s.daysLeft, status: status as Status, state };
  });
  const worst = rows.find((r) => r.status === 'fail') ?? rows.find((r) => r.status === 'warn');
  const ev = { file: set.main.display, warnDays, failDays, certificates: rows.map(({ state: _state, ...r }) => r) };
  const who = (r: (typeof rows)[number]) => (certs.length === 1 ? set.main.name : `${set.main.name} certificate #${r.index} ("${r.subject}")`);
  if (!worst) {
    const soonest = rows.reduce((a, b) => (b.daysLeft < a.daysLeft ? b : a));
    return verdict('pass', `${who(soonest)} is valid for ${soonest.daysLeft} more days (until ${soonest.notAfter.slice(0, 10)}).`, ev);
  }
  const what =
    worst.state === 'not-yet-valid'
      ? `is not valid before ${worst.notBefore}`
      : worst.state === 'expired'
        ? `expired on ${worst.notAfter.slice(0, 10)} (${-worst.daysLeft} day${worst.daysLeft === -1 ? '' : 's'} ago)`
        : `expires on ${worst.notAfter.slice(0, 10)}, in ${worst.daysLeft} day${worst.daysLeft === 1 ? '' : 's'} (${worst.status === 'fail' ? `under --fail-days ${failDays}` : `under --warn-days ${warnDays}`})`;
  return verdict(
    worst.status,
    `${who(worst)} ${what}.`,
    ev,
    worst.state === 'not-yet-valid'
      ? 'Check the clock of the machine that issued it, or wait until its notBefore.'
      : `Renew ${set.main.name} and deploy it before it expires${set.kind === 'ca' ? ' (a new CA means re-issuing every certificate: start early and deploy old+new CA together)' : ''}.`,
  );
}

/** RFC 9325 / CONFORMANCE.md chain.server-leaf-profile: RSA ≥ 2048, EC ≥ P-256, no SHA-1/MD5 signature (a root's self-signature is never checked by peers). */
function cryptoStrength({ set, summary }: FileSetContext): CheckVerdict {
  const rows = set.main.content.certs.map((c, i) => {
    const s = summary(c);
    const weak: string[] = [];
    const { type, bits } = s.publicKey;
    const key = keyStrength(s.publicKey);
    if (!key.ok) {
      weak.push(
        key.code === 'undecodable'
          ? `a key that cannot be used: its ${key.reason}`
          : key.code === 'rsa-too-short'
            ? `an RSA ${bits ?? '?'}-bit key (needs ≥ 2048)`
            : key.code === 'ec-too-small'
              ? `an EC ${s.publicKey.curve ?? '?'} key (needs ≥ P-256)`
              : 'a DSA key (not usable in TLS 1.3)',
      );
    }
    if (!signatureStrength(s.signatureAlgorithm, isSelfSigned(c)).ok) weak.push(`a ${s.signatureAlgorithm} signature`);
    return {
      index: i + 1,
      subject: s.subject,
      publicKey: s.publicKey.curve ? `${type} ${s.publicKey.curve}` : `${type}${bits ? ` ${bits} bits` : ''}`,
      signatureAlgorithm: s.signatureAlgorithm,
      ...(weak.length ? { weak } : {}),
    };
  });
  const bad = rows.find((r) => r.weak);
  const ev = { file: set.main.display, certificates: rows };
  if (!bad)
    return verdict(
      'pass',
      `${set.main.name}: ${rows
        .map((r) => `${r.publicKey}, ${r.signatureAlgorithm}`)
        .filter((x, i, a) => a.indexOf(x) === i)
        .join('; ')}.`,
      ev,
    );
  else if (bad.weak!.some((w) => w.startsWith('a key that cannot be used')))
    return verdict(
      'error',
      `${set.main.name}${rows.length > 1 ? ` certificate #${bad.index} ("${bad.subject}")` : ''} has ${bad.weak!.join(' and ')}: no peer can verify with it.`,
      ev,
      'Re-issue it with an ECDSA P-256 (or RSA ≥ 2048) key and a SHA-256 signature (mtls-harness certs init does).',
    );
  else
    return verdict(
      'fail',
      `${set.main.name}${rows.length > 1 ? ` certificate #${bad.index} ("${bad.subject}")` : ''} uses ${bad.weak!.join(' and ')}: peers with current security levels refuse it, and it can be forged or broken.`,
      ev,
      'Re-issue it with an ECDSA P-256 (or RSA ≥ 2048) key and a SHA-256 signature (mtls-harness certs init does).',
    );
}

const checks = [
  { id: 'audit.parse', title: 'Every PEM/DER file parses', run: parse },
  { id: 'audit.key-permissions', title: 'Private key files are readable by their owner only', run: keyPermissions },
  { id: 'audit.no-key-in-ca-bundle', title: 'No private key where a CA bundle belongs', run: (c) => (caSet(c) ? noKeyInCaBundle(c) : undefined) },
  { id: 'audit.ca-key-present', title: 'The CA private key is not shipped with the certificates', run: (c) => (caSet(c) ? caKeyPresent(c) : undefined) },
  {
    id: 'audit.key-matches-cert',
    title: 'The private key belongs to the certificate',
    run: (c) => ((caSet(c) && c.set.keyFile) || leafSet(c) || c.set.kind === 'key' ? keyMatch(c) : undefined),
  },
  {
    id: 'audit.chain-verifies',
    title: 'The certificate chains to a CA of the set (or --ca)',
    run: (c) => (caSet(c) ? caChain(c) : leafSet(c) ? leafChain(c) : undefined),
  },
  { id: 'audit.ca-cert-is-ca', title: 'CA bundle certificates are CA certificates', run: (c) => (caSet(c) ? caIsCa(c) : undefined) },
  { id: 'audit.leaf-not-ca', title: 'A leaf certificate is not a CA', run: (c) => (leafSet(c) ? leafNotCa(c) : undefined) },
  { id: 'audit.san-present', title: 'The certificate has subjectAltNames', run: (c) => (leafSet(c) ? sanPresent(c) : undefined) },
  { id: 'audit.san-covers-expected', title: 'The SANs cover every --expected-name', run: (c) => (leafSet(c) ? sanCoversExpected(c) : undefined) },
  { id: 'audit.eku-fits-role', title: 'The extended key usage fits the role (server/client)', run: (c) => (leafSet(c) ? ekuFitsRole(c) : undefined) },
  { id: 'audit.expiry', title: 'Certificates are valid now and not about to expire', run: (c) => (caSet(c) || leafSet(c) ? expiry(c) : undefined) },
  {
    id: 'audit.crypto-strength',
    title: 'Keys and signatures are strong enough (RSA ≥ 2048, EC ≥ P-256, no SHA-1/MD5)',
    run: (c) => (caSet(c) || leafSet(c) ? cryptoStrength(c) : undefined),
  },
] as const satisfies readonly FilesCheck[];

/** The id of an offline-audit check. */
export type AuditCheckId = (typeof checks)[number]['id'];

/** The offline-audit suite (stable ids: never renamed). */
export const offlineAudit: Suite<FileSetContext, FilesCheck> = {
  id: 'offline-audit',
  title: 'Offline audit of certificate and key files',
  kind: 'files',
  checks: [...checks],
};
