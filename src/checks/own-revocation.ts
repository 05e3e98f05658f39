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
import { fetchCrl, type CrlFetch } from '../probe/crl-fetch.js';

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

async function read(target: TargetConfig): Promise<OwnRevocation | undefined> {
  const c = target.client;
  if (!c || (!target.clientCrls?.length && !target.fetchCrl)) return undefined;
  const leaf = c.chain[0]!;
  const crls = [...(target.clientCrls ?? [])];
  const fetched: { url: string; error?: string }[] = [];
  for (const { url, result } of target.fetchCrl ? await fetchOnce(leaf) : []) {
    if ('der' in result) crls.push({ source: url, der: result.der });
    fetched.push({ url, ...('error' in result ? { error: result.error } : {}) });
  }
  const trusted = [target.clientCaPem, target.trustPem].flatMap((p) => (p ? parseCertificates(p, 'the trust bundle') : []));
  const all = readCrlsFor(leaf, issuerOf(leaf, [...c.chain.slice(1), ...trusted]), crls);
  const listed = all.find((r): r is OwnRevocation['listed'] & CrlReading => !r.ignored && r.signatureOk !== false && !!r.listed);
  return { fetched, readings: all, ...(listed ? { listed } : {}) };
}

/** "listed as revoked in SOURCE since DATE (reason)", for messages; the signature's state said when unverified. */
export function listedInWords(l: NonNullable<OwnRevocation['listed']>): string {
  const unverified = l.signatureOk === true ? '' : ', a CRL whose signature the harness could not verify';
  return `listed as revoked in ${safeText(l.source, 200)}${unverified} since ${l.listed.revokedAt}${l.listed.reason ? ` (${l.listed.reason})` : ''}`;
}
