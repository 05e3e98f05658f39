/**
 * The offline audit's chain checks (suites/offline-audit.ts lists them with their ids and titles):
 * the chain verifies, CA bundle certificates are CAs, a leaf is not a CA.
 */
import * as path from 'node:path';
import type { CheckVerdict } from '../../src/core/model.js';
import { verifyChain } from '../../src/pki/verify.js';
import { isSelfSigned } from '../../src/rules/chain-order.js';
import { caProblem } from '../../src/rules/eku.js';
import { verdict, type FileSetContext } from '../../src/audit/fileset.js';

export function leafChain({ set, trust, clock }: FileSetContext): CheckVerdict {
  if (!trust || trust.anchors.length === 0) {
    return verdict(
      'skip',
      `No CA certificate among the audited files to verify ${set.main.name} against.`,
      { file: set.main.display },
      'Audit the directory that holds the CA bundle too, or name the trust anchors with --ca FILE.',
    );
  }
  const certs = set.main.content.certs;
  const v = verifyChain([...certs, ...trust.pool], trust.anchors, clock);
  const ev = {
    file: set.main.display,
    trustedFrom: trust.from,
    path: v.path,
    ...(v.anchor ? { anchor: v.anchor } : {}),
    problems: v.problems.map((p) => `${p.code}: ${p.message}`),
    ...(trust.partial ? { partialChain: true } : {}),
  };
  if (v.ok)
    return verdict(
      'pass',
      `${set.main.name} chains to "${v.anchor}" (${trust.from})${trust.partial ? ', an intermediate: no root CA certificate is among the files' : ''}.`,
      ev,
    );
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

export function caChain({ set, trust, ca, clock }: FileSetContext): CheckVerdict | undefined {
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
  const ev = {
    file: set.main.display,
    ...(ca ? { trustedFrom: `--ca ${ca.file}` } : {}),
    paths,
    problems,
    ...(rootless.length ? { intermediatesWithoutRoot: rootless } : {}),
  };
  if (problems.length === 0 && rootless.length > 0) {
    // e.g. Let's Encrypt's chain.pem: the root lives in the peers' trust stores, not among these files.
    return verdict(
      'skip',
      `${set.main.name} holds intermediate CA certificates whose root is not among the audited files, so they cannot be verified here.`,
      ev,
      'Audit the root CA certificate too, or name it with --ca FILE.',
    );
  } else if (problems.length === 0)
    return verdict(
      'pass',
      ca
        ? `${set.main.name} chains to --ca ${path.basename(ca.file)}.`
        : `${set.main.name}: every root's self-signature verifies${certs.some((c) => !isSelfSigned(c)) ? ' and every intermediate chains to a root of the set' : ''}.`,
      ev,
    );
  else
    return verdict(
      'fail',
      `${set.main.name}: ${problems[0]}.`,
      ev,
      ca ? `The CA bundle is not the CA named with --ca: deploy the CA that issued your certificates.` : 'Re-export the CA certificates from the issuing CA.',
    );
}

export function caIsCa({ set, summary }: FileSetContext): CheckVerdict {
  const certs = set.main.content.certs;
  const rows = certs.map((c, i) => {
    const s = summary(c);
    const code = caProblem({ ca: c.ca, keyUsage: s.keyUsage });
    const problem =
      code === 'not-ca' ? 'not a CA (CA:FALSE or no basicConstraints)' : code === 'no-key-cert-sign' ? 'its key usage lacks keyCertSign' : undefined;
    return { index: i + 1, subject: s.subject, ca: c.ca, keyUsage: s.keyUsage, ...(problem ? { problem } : {}) };
  });
  const bad = rows.find((r) => r.problem);
  const ev = { file: set.main.display, certificates: rows };
  if (!bad)
    return verdict(
      'pass',
      `Every certificate in ${set.main.name} is a CA (basicConstraints CA:TRUE${rows.some((r) => r.keyUsage.length) ? ', keyCertSign' : ''}).`,
      ev,
    );
  else
    return verdict(
      'fail',
      `${set.main.name} is where the CA bundle belongs, yet certificate #${bad.index} ("${bad.subject}") is ${bad.problem}: peers cannot verify certificates against it.`,
      ev,
      'Put the issuing CA certificate in the bundle, not a leaf (a leaf trusted as an anchor also lets its own key impersonate).',
    );
}

export function leafNotCa({ set, summary }: FileSetContext): CheckVerdict {
  const cert = set.main.content.certs[0]!;
  const s = summary(cert);
  const evidence = { file: set.main.display, subject: s.subject, basicConstraints: s.basicConstraints ?? null };
  if (cert.ca)
    return verdict(
      'fail',
      `${set.main.name} is a CA certificate (basicConstraints CA:TRUE) used as a ${set.role === 'unknown' ? 'leaf' : `${set.role} certificate`}: whoever holds its key can issue certificates.`,
      evidence,
      'Issue the leaf with basicConstraints CA:FALSE (e.g. openssl x509 -req … -extfile with basicConstraints=critical,CA:FALSE, or mtls-harness certs init).',
    );
  return verdict('pass', `${set.main.name} is not a CA (${s.basicConstraints ? 'CA:FALSE' : 'no basicConstraints'}).`, evidence);
}
