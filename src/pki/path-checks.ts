/**
 * The RFC 5280 checks along one path the verifier built (leaf first, anchor last), each problem in
 * words: validity dates, CA and pathLenConstraint (§4.2.1.9), keyCertSign (§4.2.1.3), name
 * constraints (§4.2.1.10), unprocessed critical extensions (§4.2), and with a purpose the EKUs and
 * the leaf's keyUsage. The path search itself is verify.ts.
 */
import type { X509Certificate } from 'node:crypto';
import { ANY_EKU, EKU, ekuName, EXTENSION_NAMES, factsOf, KU, kuNames, label, type Facts } from './cert-facts.js';
import { checkNames, describeName, formWord, MAX_COMPARISONS, type GeneralName, type NameConstraints } from './name-constraints.js';

/** Why a presented chain does not verify. */
export type ChainProblem =
  | 'empty'
  | 'issuer-missing'
  | 'untrusted'
  | 'signature-mismatch'
  | 'expired'
  | 'not-yet-valid'
  | 'intermediate-not-ca'
  | 'path-length-exceeded'
  | 'too-long'
  /** RFC 5280 §4.2.1.10: a name below a CA lies outside its permitted or inside its excluded subtrees (or cannot be checked). */
  | 'name-constraints'
  /** RFC 5280 §4.2.1.3: an issuing CA whose keyUsage lacks keyCertSign; with a purpose, a leaf keyUsage unfit for TLS. */
  | 'key-usage'
  /** RFC 5280 §4.2.1.12, with a purpose: an extendedKeyUsage on the path that does not allow it. */
  | 'extended-key-usage'
  /** RFC 5280 §4.2: a critical extension the verifier does not process (OpenSSL and Go refuse these too). */
  | 'critical-extension';

/** One problem of a path: its code and the sentence that says it. */
export interface PathProblem {
  code: ChainProblem;
  message: string;
}

/** The RFC 5280 checks along one path that reaches an anchor (leaf first, anchor last). */
export function checkPath(path: X509Certificate[], now: number, purpose: 'serverAuth' | 'clientAuth' | undefined): PathProblem[] {
  const problems: PathProblem[] = [];
  const facts = path.map(factsOf);
  const budget = { left: MAX_COMPARISONS };
  for (const [i, c] of path.entries()) {
    const f = facts[i]!;
    const nb = Date.parse(c.validFrom);
    const na = Date.parse(c.validTo);
    const who = i === 0 ? 'the leaf' : `"${label(c)}"`;
    if (na < now) problems.push({ code: 'expired', message: `${who} expired on ${new Date(na).toISOString()}` });
    if (nb > now) problems.push({ code: 'not-yet-valid', message: `${who} is not valid before ${new Date(nb).toISOString()}` });
    // basicConstraints as decoded here: node's `ca` (OpenSSL's X509_check_ca) also says false for a
    // CA whose keyUsage lacks keyCertSign, which is reported below as what it is. Without the
    // extension node's view stands (a v1 self-signed root is a CA there, as in OpenSSL).
    const ca = f.ca ?? c.ca;
    if (i > 0 && !ca)
      problems.push({ code: 'intermediate-not-ca', message: `"${label(c)}" issues another certificate but is not a CA (basicConstraints CA:FALSE or absent)` });
    const max = i > 0 && ca ? f.pathLen : undefined;
    if (max !== undefined) {
      // The non-self-issued intermediate CAs between this CA and the leaf.
      const below = path.slice(1, i).filter((x) => x.subject !== x.issuer).length;
      if (below > max) {
        problems.push({
          code: 'path-length-exceeded',
          message: `path length constraint exceeded: "${label(c)}" has pathLenConstraint ${max} (at most ${max} intermediate CA(s) may follow it), but ${below} follow it in the path to the leaf`,
        });
      }
    }
    if (i > 0 && ca && f.keyUsage !== undefined && !(f.keyUsage & KU.keyCertSign)) {
      problems.push({
        code: 'key-usage',
        message: `"${label(c)}" issues certificates but its keyUsage (${kuNames(f.keyUsage) || 'no bit set'}) lacks keyCertSign`,
      });
    }
    for (const oid of f.unhandledCritical) {
      problems.push({
        code: 'critical-extension',
        message: `${who} has a critical extension ${EXTENSION_NAMES[oid] ?? oid} that the verifier does not process (RFC 5280 §4.2: such a certificate must be refused)`,
      });
    }
    if (f.unreadable) problems.push(f.unreadable);
    if (i > 0 && f.nameConstraints) problems.push(...nameConstraintProblems(path, facts, i, budget));
    if (purpose) problems.push(...purposeProblems(c, f, i, purpose));
  }
  return problems;
}

/** OpenSSL's limit on names × constraints per certificate (NAME_CHECK_MAX), whatever their forms. */
const MAX_NAME_CHECKS = 1 << 20;

/** The constraints of the CA at `ca` over every certificate below it (self-issued intermediates exempt). */
function nameConstraintProblems(path: X509Certificate[], facts: Facts[], ca: number, budget: { left: number }): PathProblem[] {
  const nc = facts[ca]!.nameConstraints!;
  const caName = `"${label(path[ca]!)}"`;
  if (nc === 'malformed')
    return [
      {
        code: 'name-constraints',
        message: `the nameConstraints extension of ${caName} cannot be read (malformed, or neither permitted nor excluded subtrees), so nothing below it can be checked`,
      },
    ];
  for (let j = ca - 1; j >= 0; j--) {
    const c = path[j]!;
    if (j > 0 && c.subject === c.issuer) continue; // RFC 5280 §6.1.3(b): not for self-issued intermediates
    const who = j === 0 ? 'the leaf' : `"${label(c)}"`;
    const names = facts[j]!.names;
    const subtrees = nc.permitted.length + nc.excluded.length;
    if (facts[j]!.nameCount * subtrees > MAX_NAME_CHECKS) {
      return [
        {
          code: 'name-constraints',
          message: `checking the ${facts[j]!.nameCount} names of ${who} against the ${subtrees} name constraints of ${caName} is too much work (over ${MAX_NAME_CHECKS} name × constraint pairs): refused, as OpenSSL does`,
        },
      ];
    }
    if (names === 'malformed')
      return [
        { code: 'name-constraints', message: `the subjectAltName of ${who} cannot be read, so it cannot be checked against the name constraints of ${caName}` },
      ];
    const v = checkNames(names, nc, budget);
    if (budget.left < 0) {
      return [
        {
          code: 'name-constraints',
          message: `checking the names of ${who} against the name constraints of ${caName} takes more than ${MAX_COMPARISONS} comparisons: refused, as Go does`,
        },
      ];
    }
    if (!v) continue;
    const n = `${formWord(v.name)} name "${describeName(v.name)}"`;
    const con = v.constraint ? `${formWord(v.constraint)} "${describeName(v.constraint)}"` : '';
    const message =
      v.why === 'excluded'
        ? `${who} has the ${n}, which the name constraints of ${caName} exclude (excluded subtree ${con})`
        : v.why === 'not-permitted'
          ? `${who} has the ${n}, outside every ${formWord(v.name)} subtree the name constraints of ${caName} permit (${permittedList(nc, v.name)})`
          : v.why === 'malformed-name'
            ? `${who} has a malformed ${n}, which cannot be checked against the name constraints of ${caName}`
            : v.why === 'malformed-constraint'
              ? `the name constraints of ${caName} hold a malformed ${con}, so the ${n} of ${who} cannot be checked`
              : `the name constraints of ${caName} constrain ${formWord(v.name)} names, which the verifier cannot check, and ${who} has one`;
    return [{ code: 'name-constraints', message }];
  }
  return [];
}

function permittedList(nc: NameConstraints, like: GeneralName): string {
  const all = nc.permitted.filter((c) => c.form === like.form).map(describeName);
  return all.length > 4 ? `${all.slice(0, 4).join(', ')}, … ${all.length} in all` : all.join(', ');
}

function purposeProblems(c: X509Certificate, f: Facts, i: number, purpose: 'serverAuth' | 'clientAuth'): PathProblem[] {
  const problems: PathProblem[] = [];
  const eku = f.extKeyUsage;
  if (eku && !eku.includes(EKU[purpose]) && !eku.includes(ANY_EKU)) {
    const list = eku.map(ekuName).join(', ') || 'none';
    problems.push({
      code: 'extended-key-usage',
      message:
        i === 0
          ? `the leaf's extendedKeyUsage (${list}) lacks ${purpose}`
          : `"${label(c)}" limits the certificates below it to the extended key usages ${list}, which lack ${purpose}`,
    });
  }
  if (i === 0 && f.keyUsage !== undefined) {
    const fit = purpose === 'serverAuth' ? KU.digitalSignature | KU.keyEncipherment | KU.keyAgreement : KU.digitalSignature | KU.keyAgreement;
    if (!(f.keyUsage & fit)) {
      problems.push({
        code: 'key-usage',
        message: `the leaf's keyUsage (${kuNames(f.keyUsage) || 'none'}) allows no TLS ${purpose === 'serverAuth' ? 'server' : 'client'} handshake (it needs ${kuNames(fit).replace(/, (?=[^,]*$)/, ' or ')})`,
      });
    }
  }
  return problems;
}
