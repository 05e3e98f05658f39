import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { systemClock, type Clock } from '../core/clock.js';
import { x509 } from './crypto.js';
import { isIssuedBy } from './inspect.js';

/** Why a presented chain does not verify. */
export type ChainProblem = 'empty' | 'issuer-missing' | 'untrusted' | 'signature-mismatch' | 'expired' | 'not-yet-valid' | 'intermediate-not-ca' | 'path-length-exceeded' | 'too-long';

export interface ChainVerification {
  ok: boolean;
  problems: { code: ChainProblem; message: string }[];
  /** Subjects from leaf to anchor along the path that was built. */
  path: string[];
  /** The anchor the path reached, when it did. */
  anchor?: string;
  /** The issuer name the path stopped at when an intermediate is missing. */
  missingIssuer?: string;
}

/**
 * Builds a path from the presented leaf through the presented certificates to one of the anchors
 * (by issuer name and signature), then checks every certificate's validity dates (by the injected
 * clock), that intermediates are CAs and that no CA's basicConstraints pathLenConstraint is
 * exceeded (RFC 5280 §4.2.1.9; enforced for the anchor too, as OpenSSL and Go do). Our own verifier, so it works even when the handshake was
 * refused and it tells *why* (a missing intermediate versus an unknown CA).
 */
export function verifyChain(presented: X509Certificate[], anchors: X509Certificate[], clock: Clock = systemClock): ChainVerification {
  const problems: ChainVerification['problems'] = [];
  if (presented.length === 0) return { ok: false, problems: [{ code: 'empty', message: 'no certificate was presented' }], path: [] };
  const now = clock().getTime();
  const anchorFps = new Set(anchors.map((a) => a.fingerprint256));
  const path: X509Certificate[] = [presented[0]!];
  let anchor: X509Certificate | undefined;
  let missingIssuer: string | undefined;
  for (let depth = 0; depth < 10; depth++) {
    const cur = path[path.length - 1]!;
    if (anchorFps.has(cur.fingerprint256)) {
      anchor = cur;
      break;
    }
    const a = anchors.find((x) => isIssuedBy(cur, x));
    if (a) {
      path.push(a);
      anchor = a;
      break;
    }
    const next = presented.find((x) => !path.includes(x) && isIssuedBy(cur, x));
    if (next) {
      path.push(next);
      continue;
    }
    if (cur.subject === cur.issuer && isIssuedBy(cur, cur)) {
      problems.push({ code: 'untrusted', message: `the chain ends at the self-signed "${oneLine(cur.subject)}", which is not a trusted CA` });
    } else if (anchors.some((x) => x.subject === cur.issuer) || presented.some((x) => x !== cur && x.subject === cur.issuer)) {
      problems.push({ code: 'signature-mismatch', message: `"${oneLine(cur.subject)}" names "${oneLine(cur.issuer)}" as issuer, but no certificate of that name with a matching key is available (same name, another key)` });
    } else {
      missingIssuer = oneLine(cur.issuer);
      problems.push({ code: 'issuer-missing', message: `the issuer "${missingIssuer}" of "${oneLine(cur.subject)}" was not sent and is not a trust anchor` });
    }
    break;
  }
  if (!anchor && problems.length === 0) problems.push({ code: 'too-long', message: 'no path to a trust anchor within 10 certificates' });
  for (const [i, c] of path.entries()) {
    const nb = Date.parse(c.validFrom);
    const na = Date.parse(c.validTo);
    const who = i === 0 ? 'the leaf' : `"${oneLine(c.subject)}"`;
    if (na < now) problems.push({ code: 'expired', message: `${who} expired on ${new Date(na).toISOString()}` });
    if (nb > now) problems.push({ code: 'not-yet-valid', message: `${who} is not valid before ${new Date(nb).toISOString()}` });
    if (i > 0 && !c.ca) problems.push({ code: 'intermediate-not-ca', message: `"${oneLine(c.subject)}" issues another certificate but is not a CA (basicConstraints CA:FALSE or absent)` });
    const max = i > 0 && c.ca ? pathLenConstraint(c) : undefined;
    if (max !== undefined) {
      // The non-self-issued intermediate CAs between this CA and the leaf.
      const below = path.slice(1, i).filter((x) => x.subject !== x.issuer).length;
      if (below > max) {
        problems.push({ code: 'path-length-exceeded', message: `path length constraint exceeded: "${oneLine(c.subject)}" has pathLenConstraint ${max} (at most ${max} intermediate CA(s) may follow it), but ${below} follow it in the path to the leaf` });
      }
    }
  }
  return {
    ok: problems.length === 0,
    problems,
    path: path.map((c) => oneLine(c.subject)),
    ...(anchor ? { anchor: oneLine(anchor.subject) } : {}),
    ...(missingIssuer ? { missingIssuer } : {}),
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

/** basicConstraints pathLenConstraint, by DER fingerprint (a scan sees the same few CAs often). */
const PATH_LEN = new Map<string, number | undefined>();
function pathLenConstraint(c: X509Certificate): number | undefined {
  const k = c.fingerprint256;
  if (PATH_LEN.has(k)) return PATH_LEN.get(k);
  let v: number | undefined;
  try {
    v = new x509.X509Certificate(new Uint8Array(c.raw)).getExtension(x509.BasicConstraintsExtension)?.pathLength;
  } catch {
    v = undefined;
  }
  if (PATH_LEN.size >= 1024) PATH_LEN.clear();
  PATH_LEN.set(k, v);
  return v;
}

function oneLine(name: string): string {
  return name.replace(/\n/g, ', ');
}
