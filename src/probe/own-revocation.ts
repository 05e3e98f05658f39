// The valid client certificate given (--cert) read against the CRLs the harness can read: the files
// given (--crl) and, only with --fetch-crl, its http CRL distribution points, fetched once per
// certificate per command (targets sharing a credential share the fetch). One reading per target,
// used by chain.client-cert-not-revoked and by every verdict whose control is that certificate: a
// refusal of a listed certificate is the certificate's fault, never the server's trust (nginx, for
// one, answers a revoked client with HTTP 400, not alert 44).
import type { X509Certificate } from 'node:crypto';
import type { TargetConfig } from '../core/target.js';
import { safeText } from '../core/text.js';
import { crlDistributionPoints, readCrlsFor, type CrlReading } from '../pki/client-crl.js';
import { issuerDer, subjectDer } from '../pki/der.js';
import { parseCertificates } from '../pki/inspect.js';
import { fetchCrl, type CrlFetch } from './crl-fetch.js';

export interface OwnRevocation {
  /** The distribution points fetched (--fetch-crl), with what each gave. */
  fetched: readonly { url: string; error?: string }[];
  readings: CrlReading[];
  /** The first CRL of the certificate's issuer listing it, whose signature did not fail. */
  listed?: CrlReading & { listed: NonNullable<CrlReading['listed']> };
}

const fetches = new WeakMap<X509Certificate, Promise<{ url: string; result: CrlFetch }[]>>();

function fetchOnce(leaf: X509Certificate): Promise<{ url: string; result: CrlFetch }[]> {
  let p = fetches.get(leaf);
  if (!p) {
    p = Promise.all(crlDistributionPoints(leaf).map(async (url) => ({ url, result: await fetchCrl(url) })));
    fetches.set(leaf, p);
  }
  return p;
}

/** The issuer of the leaf among its chain and the trust bundles, by Name bytes. */
function issuerOf(leaf: X509Certificate, candidates: readonly X509Certificate[]): X509Certificate | undefined {
  const want = issuerDer(leaf.raw);
  return candidates.find((c) => Buffer.from(subjectDer(c.raw)).equals(want));
}

const readings = new WeakMap<TargetConfig, Promise<OwnRevocation | undefined>>();

/** The reading for a target's valid client; undefined when there is no client, or no CRL was given or asked for. */
export function ownRevocation(target: TargetConfig): Promise<OwnRevocation | undefined> {
  let p = readings.get(target);
  if (!p) {
    p = read(target);
    readings.set(target, p);
  }
  return p;
}

function read(target: TargetConfig): Promise<OwnRevocation | undefined> {
  const c = target.client;
  if (!c) return Promise.resolve(undefined);
  return readOwnRevocation({
    chain: c.chain,
    crls: target.clientCrls ?? [],
    fetchCrl: !!target.fetchCrl,
    trustPems: [target.clientCaPem, target.trustPem].filter((p): p is string => !!p),
  });
}

export interface OwnRevocationInput {
  /** The client certificate (leaf first) and the chain sent with it. */
  chain: readonly X509Certificate[];
  crls: readonly { source: string; der: Buffer }[];
  fetchCrl: boolean;
  /** PEM bundles where the issuer's certificate may be (--ca, the client CA). */
  trustPems: readonly string[];
}

/** Reads a client certificate against the CRLs given and, with fetchCrl, its distribution points; undefined when neither. */
export async function readOwnRevocation(i: OwnRevocationInput): Promise<OwnRevocation | undefined> {
  if (i.crls.length === 0 && !i.fetchCrl) return undefined;
  const leaf = i.chain[0]!;
  const crls = [...i.crls];
  const fetched: { url: string; error?: string }[] = [];
  for (const { url, result } of i.fetchCrl ? await fetchOnce(leaf) : []) {
    if ('der' in result) crls.push({ source: url, der: result.der });
    fetched.push({ url, ...('error' in result ? { error: result.error } : {}) });
  }
  const trusted = i.trustPems.flatMap((p) => parseCertificates(p, 'the trust bundle'));
  const all = readCrlsFor(leaf, issuerOf(leaf, [...i.chain.slice(1), ...trusted]), crls);
  const listed = all.find((r): r is OwnRevocation['listed'] & CrlReading => !r.ignored && r.signatureOk !== false && !!r.listed);
  return { fetched, readings: all, ...(listed ? { listed } : {}) };
}

/** "listed as revoked in SOURCE since DATE (reason)", for messages; the signature's state said when unverified. */
export function listedInWords(l: NonNullable<OwnRevocation['listed']>): string {
  const unverified = l.signatureOk === true ? '' : ', a CRL whose signature the harness could not verify';
  return `listed as revoked in ${safeText(l.source, 200)}${unverified} since ${l.listed.revokedAt}${l.listed.reason ? ` (${l.listed.reason})` : ''}`;
}

/** The reissue advice for a certificate a CRL lists (stack-neutral: the certificate is at fault, not the server). */
export const REISSUE_LISTED =
  "issue a new client certificate (a revoked one stays revoked) and deploy it; if it should not be revoked, correct the CRL the server loads. Nothing to change in the server's trust of your CA.";

/** probe's line about the client certificate in its CRLs: listed (problem), not listed (ok), or why nothing could be said (warn). */
export function ownRevocationLine(own: OwnRevocation): { status: 'ok' | 'warn' | 'problem'; finding: string; fix?: string } {
  if (own.listed) return { status: 'problem', finding: `your client certificate is ${listedInWords(own.listed)}`, fix: REISSUE_LISTED };
  const usable = own.readings.filter((r) => !r.ignored && r.signatureOk !== false);
  if (usable.length > 0)
    return {
      status: 'ok',
      finding: `not listed in ${usable.length} CRL(s) of its issuer (${usable.map((r) => `${safeText(r.source, 200)}: ${r.entries ?? 0} entries`).join(', ')})`,
    };
  const why = [
    ...own.fetched.filter((f) => f.error).map((f) => `${safeText(f.url, 200)}: ${safeText(f.error!, 200)}`),
    ...own.readings.map(
      (r) => `${safeText(r.source, 200)}: ${r.signatureOk === false ? "its signature does not verify with the issuer's key" : safeText(r.ignored ?? '', 200)}`,
    ),
  ];
  return {
    status: 'warn',
    finding: `no CRL of its issuer could be read${why.length ? ` (${why.join('; ')})` : own.fetched.length === 0 ? ' (the certificate names no CRL distribution point)' : ''}`,
    fix: "give your CA's current CRL with --crl FILE",
  };
}
