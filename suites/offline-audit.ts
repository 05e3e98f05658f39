/**
 * The offline audit's catalogue (`mtls-harness audit`, docs/audit.md): the checks of one file set
 * (a report target: a CA bundle, a leaf with its key, a key alone, another PKI file), in report
 * order. The engine (src/audit/audit.ts) discovers the files, groups them into file sets and runs
 * every check on each set in this order; a check that does not apply to a kind of set yields no
 * result (a CA has no SAN check, a key alone no chain).
 */
import type { KeyObject, X509Certificate as NodeX509 } from 'node:crypto';
import * as path from 'node:path';
import { isHarnessError } from '../src/core/errors.js';
import type { CertSummary, CheckVerdict, Evidence } from '../src/core/model.js';
import type { Status } from '../src/core/status.js';
import type { Check, Suite } from '../src/checks/types.js';
import { keyMatchesCertificate, parsePrivateKey, publicKeyProblem } from '../src/pki/inspect.js';
import { verifyChain } from '../src/pki/verify.js';
import { isSelfSigned } from '../src/rules/chain-order.js';
import { caProblem, ekuForRole } from '../src/rules/eku.js';
import { expiryOf } from '../src/rules/expiry.js';
import { hasSubjectAltName, sanCoverage, sanEntryFor, sanList } from '../src/rules/san.js';
import { keyFileMode } from '../src/rules/permissions.js';
import { keyStrength, signatureStrength } from '../src/rules/strength.js';
import { spkiSha256, type DiscoveredFile, type FoundKey } from '../src/audit/discover.js';
import { certBase, describeContent, describeKey, filesOf, octal, type FileSet, type FileSetContext } from '../src/audit/fileset.js';

/** An offline-audit check: judged on one file set; no verdict where it does not apply to that set. */
export type FilesCheck = Check<FileSetContext, CheckVerdict | undefined>;

function verdict(status: Status, message: string, evidence: Evidence, remediation?: string): CheckVerdict {
  return { status, message, ...(remediation ? { remediation } : {}), evidence };
}

/** A CA bundle with certificates in it. */
const caSet = ({ set }: FileSetContext) => set.kind === 'ca' && set.main.content.certs.length > 0;
/** A leaf certificate file with certificates in it. */
const leafSet = ({ set }: FileSetContext) => set.kind === 'leaf' && set.main.content.certs.length > 0;

function parse({ set }: FileSetContext): CheckVerdict {
  const files = filesOf(set);
  const evidence = { files: files.map((f) => ({ file: f.display, format: f.content.format, contains: describeContent(f), ...(f.content.errors.length ? { errors: f.content.errors } : {}) })) };
  const errors = files.filter((f) => !f.content.unreadable).flatMap((f) => f.content.errors);
  const unread = files.filter((f) => f.content.unreadable);
  const main = set.main;
  if (main.content.tooLarge) {
    return verdict('skip', `${main.name} was not read: it is ${main.size} bytes, over the audit's size limit for a PKI file.`, evidence);
  } else if (errors.length > 0) {
    const bad = files.filter((f) => f.content.errors.length > 0);
    return verdict('fail', `${bad.map((f) => f.name).join(' and ')} ${bad.length > 1 ? 'do' : 'does'} not parse: ${errors[0]}${errors.length > 1 ? ` (and ${errors.length - 1} more problem${errors.length > 2 ? 's' : ''})` : ''}.`, evidence, 'Re-export the file from its source (openssl x509 -in … -out …, openssl pkey -in … -out …); a truncated copy or a bad paste is the usual cause.');
  } else if (unread.length > 0) {
    // Typically a key locked down to another user (good): say so instead of calling it broken.
    return verdict('skip', `${unread.map((f) => f.name).join(' and ')} cannot be read by the auditing user, so ${unread.length > 1 ? 'their' : 'its'} content is not audited (permissions are).`, evidence, 'Run the audit as the user the service runs as (or root) to audit the content too.');
  } else if (main.content.format === 'pkcs12') {
    return verdict('skip', `${main.name} is a PKCS#12 archive, which the audit does not open (it needs the archive's passphrase).`, evidence, `Audit its contents as PEM: openssl pkcs12 -in ${main.display} -nodes -out DIR/bundle.pem (mode 0600), then mtls-harness audit DIR.`);
  } else if (set.kind === 'other') {
    return verdict('pass', `${main.name} parses: ${describeContent(main)}; nothing else to audit in it.`, evidence);
  } else {
    return verdict('pass', `${files.map((f) => `${f.name} (${describeContent(f)})`).join(' and ')} parse${files.length > 1 ? '' : 's'}.`, evidence);
  }
}

function keyPermissions({ set }: FileSetContext): CheckVerdict | undefined {
  const caBundle = set.kind === 'ca' ? set.main : undefined;
  const keyFiles = filesOf(set).filter((f) => f.content.keyLike || f.content.keys.length > 0);
  if (keyFiles.length === 0) return undefined;
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
  const ev = keyFiles.map((f) => ({
    file: f.display,
    mode: octal(f.mode),
    ownerUid: f.uid,
    ...(uid !== undefined ? { ownedByAuditingUser: f.uid === uid } : {}),
    ...(f.symlinkTo ? { symlinkTo: f.symlinkTo } : {}),
    ...(f.content.keys.some((k) => k.encrypted) ? { encrypted: true } : {}),
  }));
  const open = keyFiles.filter((f) => !keyFileMode(f.mode).ownerOnly);
  if (open.length === 0) {
    return verdict('pass', `${keyFiles.map((f) => `${f.name} (${octal(f.mode)})`).join(', ')}: readable by the owner only.`, { files: ev });
  }
  const f = open[0]!;
  const mode = keyFileMode(f.mode);
  const who = [mode.group ? 'its group' : '', mode.others ? 'every user on the host' : ''].filter(Boolean).join(' and ');
  const k8s = open.some((x) => x.inKubernetesVolume);
  return verdict(
    'fail',
    `${f.name} holds a private key and has mode ${octal(f.mode)}: ${who} can ${mode.writable ? 'read or replace' : 'read'} it${open.length > 1 ? ` (and ${open.length - 1} more key file${open.length > 2 ? 's' : ''})` : ''}.`,
    { files: ev },
    `chmod 600 ${open.map((x) => x.display).join(' ')}${k8s ? ' — in a Kubernetes Secret volume set defaultMode: 0400 (or 0440 with an fsGroup) on the volume instead' : ''}${caBundle && open.includes(caBundle) ? ` — better, take the key out of ${caBundle.name} (see audit.no-key-in-ca-bundle): a CA bundle is meant to be readable` : ''}`,
  );
}

function noKeyInCaBundle({ set, belongsTo }: FileSetContext): CheckVerdict {
  const f = set.main;
  if (!f.content.keyLike && f.content.keys.length === 0) {
    return verdict('pass', `${f.name} holds certificates only, no private key.`, { file: f.display });
  }
  const keys = f.content.keys.map((k) => {
    const owners = k.key ? belongsTo(k.key) : [];
    return { description: describeKey(k), ...(k.key ? { publicKeySha256: spkiSha256(k.key) } : {}), belongsTo: owners.map((o) => `${o.file.display} (${o.cert.subject.replace(/\n/g, ', ')})`) };
  });
  const isCaKey = f.content.keys.some((k) => k.key && f.content.certs.some((c) => keyMatchesCertificate(k.key!, c)));
  return verdict(
    'fail',
    `${f.name} is where the CA bundle belongs, yet it holds ${isCaKey ? "the CA's own private key: anyone given this trust bundle can issue certificates every peer accepts" : 'a private key: every peer given the trust bundle receives that key too'}.`,
    { file: f.display, keys },
    `Remove the private key block from ${f.display} (a CA bundle holds certificates only), keep the key apart with mode 0600, and treat it as compromised if the bundle was ever distributed: ${isCaKey ? 'issue a new CA and re-issue every certificate' : 're-issue the certificate it belongs to'}.`,
  );
}

function caKeyPresent({ set, files }: FileSetContext): CheckVerdict {
  const caCerts = set.main.content.certs.filter((c) => c.ca);
  const holders = files.filter((f) => f.content.keys.some((k) => k.key && caCerts.some((c) => keyMatchesCertificate(k.key!, c))));
  const named = set.keyFile && !holders.includes(set.keyFile) ? [set.keyFile] : []; // e.g. an encrypted ca-key.pem
  const all = [...holders, ...named];
  if (all.length === 0) {
    return verdict('pass', `No private key of this CA is among the audited files.`, { caFile: set.main.display });
  }
  return verdict(
    'warn',
    `The CA private key is stored with the certificates (${all.map((f) => f.display).join(', ')}): whoever can read it can mint server and client certificates your services trust.`,
    { caFile: set.main.display, caKeyFiles: all.map((f) => f.display) },
    [
      all.some((f) => f !== set.main) ? `Move ${all.filter((f) => f !== set.main).map((f) => f.name).join(', ')} to offline storage or a secrets manager; deploy only the CA certificate and each service's own certificate and key.` : '',
      all.includes(set.main) ? `Take the key out of ${set.main.name} (see audit.no-key-in-ca-bundle).` : '',
    ].filter(Boolean).join(' '),
  );
}

function loadKeys(set: FileSet, o: Pick<FileSetContext, 'passphrase' | 'passphraseSource'>): { file: DiscoveredFile; found: FoundKey; key?: KeyObject; problem?: { status: Status; message: string; remediation?: string } }[] {
  const sources = set.kind === 'leaf' && set.main.content.keys.length > 0 ? [set.main] : set.keyFile ? [set.keyFile] : set.kind === 'key' ? [set.main] : [];
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

function keyMatch(ctx: FileSetContext): CheckVerdict {
  const { set, belongsTo } = ctx;
  const keys = loadKeys(set, ctx);
  if (set.kind === 'key') {
    const k = keys[0];
    if (!k) {
      return verdict('skip', `${set.main.name} holds no parseable private key to match.`, { keyFile: set.main.display });
    } else if (k.problem) {
      return verdict(k.problem.status, k.problem.message, { keyFile: set.main.display }, k.problem.remediation);
    } else {
      // Pairing by public key already ran: this key belongs to no certificate that lacks a key.
      const owners = belongsTo(k.key!);
      return verdict(
        'warn',
        owners.length > 0
          ? `${set.main.name} belongs to ${owners.map((x) => x.file.name).join(', ')}, which already ${owners.length > 1 ? 'have' : 'has'} a key file or holds its key: a second copy is one more secret to protect.`
          : `${set.main.name} belongs to no certificate among the audited files: an unused private key is one more secret to protect.`,
        { keyFile: set.main.display, keyPublicKeySha256: spkiSha256(k.key!), belongsTo: owners.map((x) => x.file.display) },
        `Delete ${set.main.display} if nothing uses it, or audit it together with its certificate.`,
      );
    }
  }
  const cert = set.main.content.certs[0]!;
  const certKeyProblem = publicKeyProblem(cert);
  const base = { certificateFile: set.main.display, certificateSha256: summarizeFingerprint(cert), ...(certKeyProblem ? { certPublicKeyProblem: certKeyProblem } : { certPublicKeySha256: spkiSha256(cert.publicKey) }) };
  if (certKeyProblem) {
    return verdict('error', `${set.main.name}: the certificate's ${certKeyProblem}, so no private key can be matched with it.`, base, 'Re-issue the certificate with a key on a supported algorithm (ECDSA P-256 or RSA ≥ 2048).');
  }
  if (keys.length === 0 && set.keyFile) {
    const why = set.keyFile.content.unreadable ? 'cannot be read by the auditing user' : 'holds no parseable private key (see audit.parse)';
    return verdict('skip', `${set.keyFile.name} ${why}, so it cannot be matched with ${set.main.name}.`, { ...base, keyFile: set.keyFile.display });
  }
  if (keys.length === 0) {
    const expect = set.role === 'ca' ? '' : ` (e.g. ${certBase(set.main.name) || 'key'}${set.main.name.endsWith('.crt') ? '.key' : '-key.pem'})`;
    return verdict('skip', `No private key for ${set.main.name} among the audited files${expect}.`, base);
  }
  const k = keys[0]!;
  const ev = { ...base, keyFile: k.file.display, pairedBy: k.file === set.main ? 'same file' : (set.pairedBy ?? 'file name') };
  if (k.problem) {
    return verdict(k.problem.status, k.problem.message, ev, k.problem.remediation);
  }
  const keySha = spkiSha256(k.key!);
  if (keyMatchesCertificate(k.key!, cert)) {
    return verdict('pass', k.file === set.main ? `The private key in ${set.main.name} belongs to its certificate.` : `${k.file.name} is the private key of ${set.main.name}.`, { ...ev, keyPublicKeySha256: keySha });
  }
  const owners = belongsTo(k.key!).filter((x) => x.cert !== cert);
  const whose = owners.length ? ` (it belongs to ${owners.map((x) => x.file.name).join(', ')})` : '';
  return verdict(
    'fail',
    k.file === set.main
      ? `The private key in ${set.main.name} does not belong to its certificate${whose}: a TLS stack refuses to load this pair.`
      : `${k.file.name} is not the private key of ${set.main.name}${whose}: a TLS stack refuses to load this pair.`,
    { ...ev, keyPublicKeySha256: keySha, keyBelongsTo: owners.map((x) => x.file.display) },
    owners.length ? `The files look swapped: put the key of ${set.main.name} into ${k.file.name}.` : `Deploy the key generated with ${set.main.name}, or re-issue the certificate for this key.`,
  );
}

function summarizeFingerprint(c: NodeX509): string {
  return c.fingerprint256;
}

function leafChain({ set, trust, clock }: FileSetContext): CheckVerdict {
  if (!trust || trust.anchors.length === 0) {
    return verdict('skip', `No CA certificate among the audited files to verify ${set.main.name} against.`, { file: set.main.display }, 'Audit the directory that holds the CA bundle too, or name the trust anchors with --ca FILE.');
  }
  const certs = set.main.content.certs;
  const v = verifyChain([...certs, ...trust.pool], trust.anchors, clock);
  const ev = { file: set.main.display, trustedFrom: trust.from, path: v.path, ...(v.anchor ? { anchor: v.anchor } : {}), problems: v.problems.map((p) => `${p.code}: ${p.message}`), ...(trust.partial ? { partialChain: true } : {}) };
  if (v.ok) return verdict('pass', `${set.main.name} chains to "${v.anchor}" (${trust.from})${trust.partial ? ', an intermediate: no root CA certificate is among the files' : ''}.`, ev);
  else return verdict('fail', `${set.main.name} does not verify against ${trust.from}: ${v.problems[0]!.message}.`, ev, chainFix(v.problems[0]!.code));
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
    case 'name-constraints':
      return "Re-issue the certificate with names the issuing CA's name constraints permit, or from a CA without that constraint.";
    case 'key-usage':
      return 'Re-issue the CA certificate with the keyCertSign key usage, then the certificates below it.';
    case 'critical-extension':
      return 'Re-issue the certificate without the critical extension that verifiers do not understand.';
    default:
      return 'Re-issue the certificate from the CA deployed with it.';
  }
}

function caChain({ set, trust, ca, clock }: FileSetContext): CheckVerdict | undefined {
  const certs = set.main.content.certs.filter((c) => c.ca);
  if (certs.length === 0) return undefined; // audit.ca-cert-is-ca says what is wrong
  const problems: string[] = [];
  const paths: string[][] = [];
  const rootless: string[] = [];
  // Without --ca, the bundle's own roots (and those of other CA files of the set) anchor its intermediates.
  const anchors = ca ? (trust?.anchors ?? []) : [...set.main.content.certs.filter(isSelfSigned), ...(trust?.anchors ?? []).filter(isSelfSigned)];
  const pool = [...set.main.content.certs.filter((c) => !isSelfSigned(c)), ...(trust?.pool ?? [])];
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
  const ev = { file: set.main.display, ...(ca ? { trustedFrom: `--ca ${ca.file}` } : {}), paths, problems, ...(rootless.length ? { intermediatesWithoutRoot: rootless } : {}) };
  if (problems.length === 0 && rootless.length > 0) {
    // e.g. Let's Encrypt's chain.pem: the root lives in the peers' trust stores, not among these files.
    return verdict('skip', `${set.main.name} holds intermediate CA certificates whose root is not among the audited files, so they cannot be verified here.`, ev, 'Audit the root CA certificate too, or name it with --ca FILE.');
  } else if (problems.length === 0) return verdict('pass', ca ? `${set.main.name} chains to --ca ${path.basename(ca.file)}.` : `${set.main.name}: every root's self-signature verifies${certs.some((c) => !isSelfSigned(c)) ? ' and every intermediate chains to a root of the set' : ''}.`, ev);
  else return verdict('fail', `${set.main.name}: ${problems[0]}.`, ev, ca ? `The CA bundle is not the CA named with --ca: deploy the CA that issued your certificates.` : 'Re-export the CA certificates from the issuing CA.');
}

function caIsCa({ set, summary }: FileSetContext): CheckVerdict {
  const certs = set.main.content.certs;
  const rows = certs.map((c, i) => {
    const s = summary(c);
    const code = caProblem({ ca: c.ca, keyUsage: s.keyUsage });
    const problem = code === 'not-ca' ? 'not a CA (CA:FALSE or no basicConstraints)' : code === 'no-key-cert-sign' ? 'its key usage lacks keyCertSign' : undefined;
    return { index: i + 1, subject: s.subject, ca: c.ca, keyUsage: s.keyUsage, ...(problem ? { problem } : {}) };
  });
  const bad = rows.find((r) => r.problem);
  const ev = { file: set.main.display, certificates: rows };
  if (!bad) return verdict('pass', `Every certificate in ${set.main.name} is a CA (basicConstraints CA:TRUE${rows.some((r) => r.keyUsage.length) ? ', keyCertSign' : ''}).`, ev);
  else return verdict('fail', `${set.main.name} is where the CA bundle belongs, yet certificate #${bad.index} ("${bad.subject}") is ${bad.problem}: peers cannot verify certificates against it.`, ev, 'Put the issuing CA certificate in the bundle, not a leaf (a leaf trusted as an anchor also lets its own key impersonate).');
}

function leafNotCa({ set, summary }: FileSetContext): CheckVerdict {
  const cert = set.main.content.certs[0]!;
  const s = summary(cert);
  const evidence = { file: set.main.display, subject: s.subject, basicConstraints: s.basicConstraints ?? null };
  if (cert.ca) return verdict('fail', `${set.main.name} is a CA certificate (basicConstraints CA:TRUE) used as a ${set.role === 'unknown' ? 'leaf' : `${set.role} certificate`}: whoever holds its key can issue certificates.`, evidence, 'Issue the leaf with basicConstraints CA:FALSE (e.g. openssl x509 -req … -extfile with basicConstraints=critical,CA:FALSE, or mtls-harness certs init).');
  return verdict('pass', `${set.main.name} is not a CA (${s.basicConstraints ? 'CA:FALSE' : 'no basicConstraints'}).`, evidence);
}

/** What the SAN checks show of a leaf: its file, subject, SAN list and role. */
function sanEvidence(set: FileSet, s: CertSummary) {
  return { file: set.main.display, subject: s.subject, sans: sanList(s.sans), role: set.role };
}

function sanPresent({ set, summary }: FileSetContext): CheckVerdict {
  const s = summary(set.main.content.certs[0]!);
  const ev = sanEvidence(set, s);
  const sans = ev.sans;
  if (hasSubjectAltName(s.sans)) return verdict('pass', `${set.main.name} has subjectAltNames: ${sans.slice(0, 6).join(', ')}${sans.length > 6 ? ` and ${sans.length - 6} more` : ''}.`, ev);
  else if (set.role === 'client') return verdict('skip', `${set.main.name} is a client certificate without subjectAltName: servers identify it by its subject (${s.subject}); a SAN (e.g. a SPIFFE URI) is needed only where servers match SANs.`, ev);
  else return verdict(set.role === 'unknown' ? 'warn' : 'fail', `${set.main.name} has no subjectAltName: TLS clients ignore the CN (RFC 9525), so no host name can match it.`, ev, 'Re-issue the certificate with the DNS names and IPs clients dial (mtls-harness certs init --san …, or openssl -addext subjectAltName=DNS:…).');
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
    else return verdict('fail', `${set.main.name} does not cover ${missing.join(', ')} (SANs: ${sans.join(', ') || 'none'}); clients dialling ${missing.length > 1 ? 'these names' : 'that name'} will refuse it.`, ev2, `Re-issue the certificate with ${missing.map(sanEntryFor).join(', ')} in its subjectAltName (a wildcard covers one left-most label only).`);
  }
}

function ekuFitsRole({ set, summary }: FileSetContext): CheckVerdict {
  const s = summary(set.main.content.certs[0]!);
  const eku = s.extKeyUsage;
  const ev = { file: set.main.display, role: set.role, roleFrom: set.roleSource ?? 'unknown', extKeyUsage: eku };
  if (set.role === 'unknown' || set.role === 'ca') {
    return verdict('skip', `The role of ${set.main.name} is unknown (neither its name nor its EKU says server or client): pass --role ${set.main.display}=server|client to check it.`, ev);
  }
  if (set.roleSource?.startsWith('certificate content')) {
    return verdict('skip', `The role of ${set.main.name} (${set.role}) was read from its own EKU, so there is nothing to compare: pass --role ${set.main.display}=server|client to check it.`, ev);
  }
  const { needs, missing, unrestricted } = ekuForRole(eku, set.role);
  if (unrestricted) {
    return verdict('pass', `${set.main.name} has no EKU extension, so any purpose is allowed (RFC 5280), including ${needs.join(' and ')}.`, ev);
  }
  if (missing.length === 0) return verdict('pass', `${set.main.name} (${set.role}, from ${set.roleSource}) allows ${needs.join(' and ')} (EKU: ${eku.join(', ')}).`, ev);
  else return verdict('fail', `${set.main.name} is a ${set.role} certificate (${set.roleSource}) but its EKU (${eku.join(', ')}) lacks ${missing.join(' and ')}: peers refuse it for that role.`, ev, `Re-issue it with extendedKeyUsage ${needs.join(',')}${set.roleSource === 'file name' ? ', or, if the file name misleads, pass --role FILE=server|client' : ''}.`);
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
  const what = worst.state === 'not-yet-valid'
    ? `is not valid before ${worst.notBefore}`
    : worst.state === 'expired'
      ? `expired on ${worst.notAfter.slice(0, 10)} (${-worst.daysLeft} day${worst.daysLeft === -1 ? '' : 's'} ago)`
      : `expires on ${worst.notAfter.slice(0, 10)}, in ${worst.daysLeft} day${worst.daysLeft === 1 ? '' : 's'} (${worst.status === 'fail' ? `under --fail-days ${failDays}` : `under --warn-days ${warnDays}`})`;
  return verdict(worst.status, `${who(worst)} ${what}.`, ev, worst.state === 'not-yet-valid' ? 'Check the clock of the machine that issued it, or wait until its notBefore.' : `Renew ${set.main.name} and deploy it before it expires${set.kind === 'ca' ? ' (a new CA means re-issuing every certificate: start early and deploy old+new CA together)' : ''}.`);
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
  const ev = { file: set.main.display, certificates: rows };
  if (!bad) return verdict('pass', `${set.main.name}: ${rows.map((r) => `${r.publicKey}, ${r.signatureAlgorithm}`).filter((x, i, a) => a.indexOf(x) === i).join('; ')}.`, ev);
  else if (bad.weak!.some((w) => w.startsWith('a key that cannot be used'))) return verdict('error', `${set.main.name}${rows.length > 1 ? ` certificate #${bad.index} ("${bad.subject}")` : ''} has ${bad.weak!.join(' and ')}: no peer can verify with it.`, ev, 'Re-issue it with an ECDSA P-256 (or RSA ≥ 2048) key and a SHA-256 signature (mtls-harness certs init does).');
  else return verdict('fail', `${set.main.name}${rows.length > 1 ? ` certificate #${bad.index} ("${bad.subject}")` : ''} uses ${bad.weak!.join(' and ')}: peers with current security levels refuse it, and it can be forged or broken.`, ev, 'Re-issue it with an ECDSA P-256 (or RSA ≥ 2048) key and a SHA-256 signature (mtls-harness certs init does).');
}

const checks = [
  { id: 'audit.parse', title: 'Every PEM/DER file parses', run: parse },
  { id: 'audit.key-permissions', title: 'Private key files are readable by their owner only', run: keyPermissions },
  { id: 'audit.no-key-in-ca-bundle', title: 'No private key where a CA bundle belongs', run: (c) => (caSet(c) ? noKeyInCaBundle(c) : undefined) },
  { id: 'audit.ca-key-present', title: 'The CA private key is not shipped with the certificates', run: (c) => (caSet(c) ? caKeyPresent(c) : undefined) },
  { id: 'audit.key-matches-cert', title: 'The private key belongs to the certificate', run: (c) => ((caSet(c) && c.set.keyFile) || leafSet(c) || c.set.kind === 'key' ? keyMatch(c) : undefined) },
  { id: 'audit.chain-verifies', title: 'The certificate chains to a CA of the set (or --ca)', run: (c) => (caSet(c) ? caChain(c) : leafSet(c) ? leafChain(c) : undefined) },
  { id: 'audit.ca-cert-is-ca', title: 'CA bundle certificates are CA certificates', run: (c) => (caSet(c) ? caIsCa(c) : undefined) },
  { id: 'audit.leaf-not-ca', title: 'A leaf certificate is not a CA', run: (c) => (leafSet(c) ? leafNotCa(c) : undefined) },
  { id: 'audit.san-present', title: 'The certificate has subjectAltNames', run: (c) => (leafSet(c) ? sanPresent(c) : undefined) },
  { id: 'audit.san-covers-expected', title: 'The SANs cover every --expected-name', run: (c) => (leafSet(c) ? sanCoversExpected(c) : undefined) },
  { id: 'audit.eku-fits-role', title: 'The extended key usage fits the role (server/client)', run: (c) => (leafSet(c) ? ekuFitsRole(c) : undefined) },
  { id: 'audit.expiry', title: 'Certificates are valid now and not about to expire', run: (c) => (caSet(c) || leafSet(c) ? expiry(c) : undefined) },
  { id: 'audit.crypto-strength', title: 'Keys and signatures are strong enough (RSA ≥ 2048, EC ≥ P-256, no SHA-1/MD5)', run: (c) => (caSet(c) || leafSet(c) ? cryptoStrength(c) : undefined) },
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
