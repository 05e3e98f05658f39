// RFC 5280 §4.2.1.10 name constraints, for verify.ts. The DER is decoded by maintained libraries:
// asn1js (PeculiarVentures) gives the element tree and @peculiar/asn1-x509 types each GeneralName;
// the iPAddress octets are taken from the asn1js element itself, because asn1-x509 renders them
// as a string that cannot carry a non-contiguous mask. What is ours is the matching, which no
// maintained JavaScript library does correctly (pkijs unions permitted subtrees across CAs and
// misses wildcard SANs).
import { isIP } from 'node:net';
import type * as Asn1js from 'asn1js';
import type { Name as AsnName } from '@peculiar/asn1-x509';
import { asn1js, asnSchema, asnX509, x509 } from './crypto.js';
import type { NameView } from './fields.js';

const { AsnConvert } = asnSchema;
const AsnGeneralName = asnX509.GeneralName;

/** One name of a certificate, or one constraint's base name, by form. */
export type GeneralName =
  | { form: 'dns'; value: string }
  | { form: 'email'; value: string }
  | { form: 'uri'; value: string }
  | { form: 'ip'; bytes: Uint8Array }
  | { form: 'dn'; rdns: Rdn[]; text: string }
  | { form: 'other'; kind: string; text: string };

/** One RDN: attribute type → values, values normalised (trimmed, inner spaces collapsed, lower case). */
type Rdn = Map<string, string[]>;

export interface NameConstraints {
  permitted: GeneralName[];
  excluded: GeneralName[];
}

/** Forms whose constraints the verifier evaluates; constraints of other forms are failed closed. */
type Form = GeneralName['form'];
const FORM_WORD: Record<Form, string> = { dns: 'DNS', email: 'email', uri: 'URI', ip: 'IP', dn: 'directory', other: 'other' };
const OTHER_KIND: Record<number, string> = { 0: 'otherName', 3: 'x400Address', 5: 'ediPartyName', 8: 'registeredID' };

/** Go's limit on name-constraint comparisons per chain (crypto/x509 maxConstraintComparisons). */
export const MAX_COMPARISONS = 250_000;

function fromElement(el: Asn1js.AsnType): GeneralName {
  const tag = el.idBlock.tagNumber;
  if (el.idBlock.tagClass !== 3) throw new Error('not a GeneralName');
  if (tag === 7) return { form: 'ip', bytes: new Uint8Array((el as Asn1js.Primitive).valueBlock.valueHexView) };
  if (OTHER_KIND[tag]) return { form: 'other', kind: OTHER_KIND[tag]!, text: OTHER_KIND[tag]! };
  const gn = AsnConvert.parse(el.valueBeforeDecodeView, AsnGeneralName);
  if (gn.dNSName !== undefined) return { form: 'dns', value: gn.dNSName };
  if (gn.rfc822Name !== undefined) return { form: 'email', value: gn.rfc822Name };
  if (gn.uniformResourceIdentifier !== undefined) return { form: 'uri', value: gn.uniformResourceIdentifier };
  if (gn.directoryName) return dnName(gn.directoryName);
  throw new Error(`GeneralName [${tag}] not understood`);
}

function dnName(n: AsnName | NameView): GeneralName {
  const name = 'toJSON' in n ? n : new x509.Name(n);
  const rdns = name.toJSON().map((rdn) => new Map(Object.entries(rdn).map(([type, values]) => [type, values.map(norm).sort()])));
  return { form: 'dn', rdns, text: name.toString() };
}

const norm = (s: string) => s.trim().replace(/\s+/g, ' ').toLowerCase();

/** The elements of a DER SEQUENCE (or of an implicitly tagged SEQUENCE OF), or throws. */
function children(el: Asn1js.AsnType): Asn1js.AsnType[] {
  const v = (el as Asn1js.Constructed).valueBlock?.value;
  if (!el.idBlock.isConstructed || !Array.isArray(v)) throw new Error('expected a constructed element');
  return v;
}

function parseDer(value: ArrayBuffer): Asn1js.AsnType {
  // DER needs at least two bytes per element: a limit of one node per byte never refuses a well-formed value.
  const r = asn1js.fromBER(value, { maxNodes: Math.max(10_000, value.byteLength) });
  if (r.offset === -1 || r.offset !== value.byteLength) throw new Error(r.result.error || 'malformed DER');
  return r.result;
}

/**
 * Reads a nameConstraints extension value. Throws when it is malformed, or has neither permitted
 * nor excluded subtrees (RFC 5280: one of them MUST be present; Go refuses such a certificate too).
 */
export function readNameConstraints(value: ArrayBuffer): NameConstraints {
  const nc: NameConstraints = { permitted: [], excluded: [] };
  for (const part of children(parseDer(value))) {
    if (part.idBlock.tagClass !== 3 || part.idBlock.tagNumber > 1) throw new Error('neither permittedSubtrees [0] nor excludedSubtrees [1]');
    const into = part.idBlock.tagNumber === 0 ? nc.permitted : nc.excluded;
    for (const subtree of children(part)) into.push(fromElement(children(subtree)[0]!));
  }
  if (nc.permitted.length === 0 && nc.excluded.length === 0) throw new Error('no permitted or excluded subtrees');
  return nc;
}

/** The GeneralNames of a subjectAltName extension value. Throws when malformed. */
export function readGeneralNames(value: ArrayBuffer): GeneralName[] {
  return children(parseDer(value)).map(fromElement);
}

/**
 * The names a certificate's constraints apply to: every SAN, the subject DN when not empty, and —
 * only without a subjectAltName — the subject's emailAddress attributes (RFC 5280 §4.2.1.10).
 */
export function namesOf(subject: NameView, sans: GeneralName[] | undefined): GeneralName[] {
  const names: GeneralName[] = [...(sans ?? [])];
  const json = subject.toJSON();
  if (json.length > 0) names.push(dnName(subject));
  if (!sans)
    for (const rdn of json)
      for (const [type, values] of Object.entries(rdn))
        if (type === 'E' || type === '1.2.840.113549.1.9.1') for (const v of values) names.push({ form: 'email', value: v });
  return names;
}

export function describeName(n: GeneralName): string {
  switch (n.form) {
    case 'ip':
      return ipText(n.bytes);
    case 'dn':
    case 'other':
      return n.text;
    default:
      return n.value;
  }
}

function ipText(b: Uint8Array): string {
  const addr = (x: Uint8Array) =>
    x.length === 4
      ? [...x].join('.')
      : x.length === 16
        ? Array.from({ length: 8 }, (_, i) => ((x[2 * i]! << 8) | x[2 * i + 1]!).toString(16)).join(':')
        : Buffer.from(x).toString('hex');
  if (b.length === 8 || b.length === 32) return `${addr(b.subarray(0, b.length / 2))}/${addr(b.subarray(b.length / 2))}`;
  return addr(b);
}

export interface Violation {
  name: GeneralName;
  /** 'excluded': inside an excluded subtree; 'not-permitted': outside every permitted one; 'malformed-name'/'malformed-constraint'; 'unsupported': a form the verifier cannot check. */
  why: 'excluded' | 'not-permitted' | 'malformed-name' | 'malformed-constraint' | 'unsupported';
  constraint?: GeneralName;
}

/**
 * Checks `names` against one CA's constraints: each name must lie in some permitted subtree of its
 * form (when the CA permits any of that form) and in no excluded one. Applying every CA's
 * constraints in turn gives the intersection RFC 5280 §6.1 asks for. `budget.left` counts
 * comparisons down; when it runs out the caller refuses the chain.
 */
export function checkNames(names: GeneralName[], nc: NameConstraints, budget: { left: number }): Violation | undefined {
  for (const name of names) {
    const permitted = nc.permitted.filter((c) => sameForm(c, name));
    const excluded = nc.excluded.filter((c) => sameForm(c, name));
    if (permitted.length === 0 && excluded.length === 0) continue;
    if (name.form === 'other') return { name, why: 'unsupported', constraint: (permitted[0] ?? excluded[0])! };
    if (!wellFormed(name)) return { name, why: 'malformed-name' };
    budget.left -= permitted.length + excluded.length;
    if (budget.left < 0) return undefined;
    for (const c of excluded) {
      const m = matches(name, c, 'any');
      if (m === 'malformed') return { name, why: 'malformed-constraint', constraint: c };
      if (m) return { name, why: 'excluded', constraint: c };
    }
    if (permitted.length > 0) {
      let ok = false;
      for (const c of permitted) {
        const m = matches(name, c, 'all');
        if (m === 'malformed') return { name, why: 'malformed-constraint', constraint: c };
        if (m) ok = true;
      }
      if (!ok) return { name, why: 'not-permitted', constraint: permitted[0]! };
    }
  }
  return undefined;
}

function sameForm(c: GeneralName, n: GeneralName): boolean {
  if (c.form !== n.form) return false;
  return c.form !== 'other' || (n.form === 'other' && c.kind === n.kind);
}

export function formWord(n: GeneralName): string {
  return n.form === 'other' ? n.kind : FORM_WORD[n.form];
}

function wellFormed(n: GeneralName): boolean {
  switch (n.form) {
    case 'dns':
      return dnsLabels(n.value.startsWith('*.') ? n.value.slice(2) : n.value) !== undefined;
    case 'ip':
      return n.bytes.length === 4 || n.bytes.length === 16;
    case 'email':
      return mailbox(n.value) !== undefined;
    case 'uri':
      return uriHost(n.value) !== undefined;
    default:
      return true;
  }
}

/** Lower-case labels of a host name, or undefined when a label is empty (leading, trailing or double dot). */
function dnsLabels(s: string): string[] | undefined {
  const labels = s.toLowerCase().split('.');
  return s.length > 0 && labels.every((l) => l.length > 0) ? labels : undefined;
}

function mailbox(s: string): { local: string; domain: string } | undefined {
  const at = s.split('@');
  if (at.length !== 2 || !at[0] || !dnsLabels(at[1]!)) return undefined;
  return { local: at[0], domain: at[1]!.toLowerCase() };
}

function uriHost(s: string): string | undefined {
  try {
    const h = new URL(s).hostname;
    return h && !isIP(h.replace(/^\[|\]$/g, '')) ? h.toLowerCase() : undefined;
  } catch {
    return undefined;
  }
}

/** Is `name` within the subtree of domain constraint `c` (OpenSSL/Go reading: a leading dot means subdomains only; empty matches all)? */
function inDomain(name: string, c: string): boolean {
  const con = c.toLowerCase();
  if (con === '') return true;
  if (con.startsWith('.')) return name.endsWith(con);
  return name === con || name.endsWith(`.${con}`);
}

/**
 * Does the name fall under constraint `c`? For a wildcard DNS SAN (`*.rest`, a set of names),
 * 'all' asks whether every name it covers is under `c` (permitted subtrees) and 'any' whether some
 * is (excluded subtrees): a wildcard that could stand for an excluded name is refused
 * (CVE-2025-61727). 'malformed' when the constraint itself cannot be applied.
 */
function matches(name: GeneralName, c: GeneralName, quantifier: 'all' | 'any'): boolean | 'malformed' {
  if (name.form === 'dns' && c.form === 'dns') {
    const n = name.value.toLowerCase();
    if (!n.startsWith('*.')) return inDomain(n, c.value);
    const rest = n.slice(2);
    // Every x.rest is under c exactly when rest itself is (or is c); some x.rest is when, besides, c is one label below rest.
    const all = c.value === '' || inDomain(rest, c.value.replace(/^\./, ''));
    if (quantifier === 'all') return all;
    const con = c.value.toLowerCase();
    return all || (!con.startsWith('.') && con.endsWith(`.${rest}`) && !con.slice(0, -rest.length - 1).includes('.'));
  }
  if (name.form === 'ip' && c.form === 'ip') {
    const half = c.bytes.length / 2;
    if ((c.bytes.length !== 8 && c.bytes.length !== 32) || !contiguous(c.bytes.subarray(half))) return 'malformed';
    if (name.bytes.length !== half) return false;
    for (let i = 0; i < half; i++) if ((name.bytes[i]! & c.bytes[half + i]!) !== (c.bytes[i]! & c.bytes[half + i]!)) return false;
    return true;
  }
  if (name.form === 'email' && c.form === 'email') {
    const m = mailbox(name.value)!;
    if (c.value.includes('@')) {
      const want = mailbox(c.value);
      if (!want) return 'malformed';
      return m.local === want.local && m.domain === want.domain;
    }
    const con = c.value.toLowerCase();
    return con.startsWith('.') ? m.domain.endsWith(con) : m.domain === con;
  }
  if (name.form === 'uri' && c.form === 'uri') {
    const host = uriHost(name.value)!;
    const con = c.value.toLowerCase();
    return con.startsWith('.') ? host.endsWith(con) : host === con;
  }
  if (name.form === 'dn' && c.form === 'dn') {
    if (c.rdns.length > name.rdns.length) return false;
    return c.rdns.every((rdn, i) => sameRdn(rdn, name.rdns[i]!));
  }
  return false;
}

function sameRdn(a: Rdn, b: Rdn): boolean {
  if (a.size !== b.size) return false;
  for (const [type, values] of a) {
    const other = b.get(type);
    if (!other || other.length !== values.length || other.some((v, i) => v !== values[i])) return false;
  }
  return true;
}

/** Is the mask a run of ones followed by zeros? */
function contiguous(mask: Uint8Array): boolean {
  let zero = false;
  for (const byte of mask) {
    for (let bit = 7; bit >= 0; bit--) {
      const one = (byte >> bit) & 1;
      if (one && zero) return false;
      if (!one) zero = true;
    }
  }
  return true;
}
