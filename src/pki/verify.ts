// Path validation: our own path builder plus the RFC 5280 rules, with every certificate and
// extension decoded by maintained libraries (PeculiarVentures' @peculiar/asn1-x509, the schema
// layer of @peculiar/x509, and asn1js; see name-constraints.ts for SANs and nameConstraints).
//
// Decision (issue 17): option (b), not pkijs's CertificateChainValidationEngine. Run on the 122
// x509-limbo cases test/verifier-limbo.test.ts runs, pkijs 4.0.0 agreed on 80, disagreed on 39 and
// did not finish 3 (cross-signed cycles, CVE-2024-0567 among them: over 20 s each, exponential).
// It never checks pathLenConstraint, unions the permitted subtrees of successive CAs (a sub-CA can
// widen its parent's constraints), misses wildcard SANs, and gets 31 of the 57 name-constraint
// cases wrong. It also stops at its first error with one generic message ("No valid certificate
// paths found"), while the callers need to know *why* — a missing intermediate, an unknown CA, a
// same-name-other-key CA — on chains the handshake refused.
// What no maintained JavaScript library does (the path search, the constraint matching, the
// reasons) is ours; test/verifier-limbo.test.ts measures it against x509-limbo.
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { systemClock, type Clock } from '../core/clock.js';
import { label } from './cert-facts.js';
import { oneLine } from './inspect.js';
import { checkPath, type PathProblem } from './path-checks.js';

export type { ChainProblem } from './path-checks.js';

export interface ChainVerification {
  ok: boolean;
  problems: PathProblem[];
  /** Subjects from leaf to anchor along the path that was built. */
  path: string[];
  /** The anchor the path reached, when it did. */
  anchor?: string;
  /** The issuer name the path stopped at when an intermediate is missing. */
  missingIssuer?: string;
}

export interface VerifyOptions {
  /**
   * The leaf's TLS role. When given, every extendedKeyUsage on the path must allow it (or
   * anyExtendedKeyUsage), and a leaf keyUsage must allow a handshake in that role, as OpenSSL
   * checks (server: digitalSignature, keyEncipherment or keyAgreement; client: digitalSignature or
   * keyAgreement). Without it the EKUs are not looked at (callers with a separate EKU check).
   */
  purpose?: 'serverAuth' | 'clientAuth';
}

/** At most this many certificates from the leaf before an anchor must be reached (the old limit). */
const MAX_PATH = 11;
/** Signature checks one verification may spend searching paths (Go: 100), against pathological chains. */
const MAX_SIGNATURE_CHECKS = 200;

/**
 * Builds a path from the presented leaf through the presented certificates to one of the anchors
 * (by issuer name and signature; when several issuers fit, each path is tried, anchors first, until
 * one passes), then checks along it: validity dates by the injected clock (at one-second
 * granularity, as certificates carry them), that issuers are CAs, basicConstraints
 * pathLenConstraint (§4.2.1.9), that issuers with a keyUsage assert keyCertSign (§4.2.1.3), the name
 * constraints of every CA over the subject and SANs of the certificates below it (§4.2.1.10), that no
 * critical extension goes unprocessed (§4.2), and with `opts.purpose` the EKUs and the leaf's
 * keyUsage. The anchor is checked like the rest, as OpenSSL and Go do. Our own verifier, so it works
 * even when the handshake was refused and it tells *why* (a missing intermediate versus an unknown CA).
 */
export function verifyChain(presented: X509Certificate[], anchors: X509Certificate[], clock: Clock = systemClock, opts: VerifyOptions = {}): ChainVerification {
  if (presented.length === 0) return { ok: false, problems: [{ code: 'empty', message: 'no certificate was presented' }], path: [] };
  // Validity is encoded in whole seconds: compare at that granularity (a time 5 ms after notAfter is still notAfter).
  const now = Math.floor(clock().getTime() / 1000) * 1000;
  const fp = fingerprints();
  const anchorFps = new Set(anchors.map(fp));
  const signatures = new Map<string, boolean>();
  let signatureChecks = 0;
  const issued = (child: X509Certificate, parent: X509Certificate): boolean => {
    if (child.issuer !== parent.subject) return false;
    const k = `${fp(child)} ${fp(parent)}`;
    let v = signatures.get(k);
    if (v === undefined) {
      signatureChecks++;
      try {
        v = child.verify(parent.publicKey);
      } catch {
        v = false;
      }
      signatures.set(k, v);
    }
    return v;
  };

  // Depth-first over candidate issuers, the first candidate first: the first path found is the
  // one a greedy builder takes, and the one reported when no path passes.
  let first: { path: X509Certificate[]; problems: ChainVerification['problems'] } | undefined;
  let passed: X509Certificate[] | undefined;
  let stop: { path: X509Certificate[]; kind: 'dead-end' | 'too-long' } | undefined;
  const exhausted = () => signatureChecks >= MAX_SIGNATURE_CHECKS;
  const complete = (path: X509Certificate[]): boolean => {
    const problems = checkPath(path, now, opts.purpose);
    if (problems.length === 0) passed = path;
    first ??= { path, problems };
    return problems.length === 0;
  };
  const extend = (path: X509Certificate[]): boolean => {
    const cur = path[path.length - 1]!;
    if (anchorFps.has(fp(cur))) return complete(path);
    if (path.length >= MAX_PATH) {
      stop ??= { path, kind: 'too-long' };
      return false;
    }
    let any = false;
    for (const a of anchors) {
      if (exhausted()) return true;
      if (!issued(cur, a)) continue;
      any = true;
      if (complete([...path, a])) return true;
    }
    const onPath = new Set(path.map(fp));
    for (const x of presented) {
      if (exhausted()) return true;
      if (onPath.has(fp(x)) || anchorFps.has(fp(x)) || !issued(cur, x)) continue;
      any = true;
      if (extend([...path, x])) return true;
    }
    if (!any) stop ??= { path, kind: 'dead-end' };
    return false;
  };
  extend([presented[0]!]);

  if (passed) return result(passed, [], true);
  if (first) return result(first.path, first.problems, true);
  if (!stop || stop.kind === 'too-long') {
    const message = stop
      ? `no path to a trust anchor within ${MAX_PATH - 1} certificates`
      : `no path to a trust anchor found within ${MAX_SIGNATURE_CHECKS} signature checks`;
    return result(stop?.path ?? [presented[0]!], [{ code: 'too-long', message }], false);
  }
  const path = stop.path;
  const cur = path[path.length - 1]!;
  if (cur.subject === cur.issuer && issued(cur, cur)) {
    return result(path, [{ code: 'untrusted', message: `the chain ends at the self-signed "${label(cur)}", which is not a trusted CA` }], false);
  }
  const loop = path.find((x) => x !== cur && issued(cur, x));
  if (loop) {
    return result(
      path,
      [
        {
          code: 'untrusted',
          message: `the chain loops: "${label(cur)}" is issued by "${label(loop)}", which is already on the path, and no certificate on it is issued by a trusted CA`,
        },
      ],
      false,
    );
  }
  if ([...anchors, ...presented].some((x) => x !== cur && x.subject === cur.issuer)) {
    return result(
      path,
      [
        {
          code: 'signature-mismatch',
          message: `"${label(cur)}" names "${oneLine(cur.issuer ?? '')}" as issuer, but no certificate of that name with a matching key is available (same name, another key)`,
        },
      ],
      false,
    );
  }
  const missingIssuer = oneLine(cur.issuer ?? '');
  return {
    ...result(path, [{ code: 'issuer-missing', message: `the issuer "${missingIssuer}" of "${label(cur)}" was not sent and is not a trust anchor` }], false),
    missingIssuer,
  };
}

function result(path: X509Certificate[], problems: ChainVerification['problems'], anchored: boolean): ChainVerification {
  const anchor = anchored ? path[path.length - 1] : undefined;
  return { ok: anchored && problems.length === 0, problems, path: path.map(label), ...(anchor ? { anchor: label(anchor) } : {}) };
}

/** Fingerprints by object, computed once per verification. */
function fingerprints(): (c: X509Certificate) => string {
  const m = new Map<X509Certificate, string>();
  return (c) => {
    let v = m.get(c);
    if (v === undefined) m.set(c, (v = c.fingerprint256));
    return v;
  };
}

/**
 * Does the certificate's subjectAltName cover `name` (RFC 6125: DNS SANs with a wildcard only as
 * the whole left-most label; IP SANs for IP addresses; the CN is never used)?
 */
export function sanCovers(cert: X509Certificate, name: string): boolean {
  if (isIP(name)) return cert.checkIP(name) !== undefined;
  return cert.checkHost(name, { subject: 'never', wildcards: true, partialWildcards: false, multiLabelWildcards: false }) !== undefined;
}
