import { X509Certificate } from 'node:crypto';
import * as tls from 'node:tls';
import { tlsRootCertificatesAsX509 } from '../pki/system-roots.js';
import { systemClock } from '../core/clock.js';
import { verifyChain } from '../pki/verify.js';
import { safeText } from '../core/text.js';
import { expiryOf } from '../rules/expiry.js';
import { refusalEnforces } from '../rules/refusal.js';
import { hasSubjectAltName, sanCoverage, sanKindFor, sanList } from '../rules/san.js';
import { detectClientAuthMode, type ClientAuthDetection } from './client-auth.js';
import { detectProtocol } from './detect.js';
import { recognizeStack } from './advice.js';
import { ownCertificateFault } from './alerts.js';
import { isRefusal, type Control } from './controls.js';
import { addDays, type Clock } from '../core/clock.js';
import { craftedOptions, mintCertificate, type Credential } from '../pki/generate.js';
import { appUserOf, tlsContextOptions } from './options.js';
import { protocolModule } from './protocols/index.js';
import { probeWithPha } from './pha-client.js';
import type { ProbeOptions, ProbeOutcome } from './tls-probe.js';
import { listedInWords, ownRevocationLine, readOwnRevocation, REISSUE_LISTED, type OwnRevocation } from './own-revocation.js';
import { parseCertificates } from '../pki/inspect.js';
import {
  type Finding,
  type ServerChainVerification,
  chainFinding,
  clientAuthFinding,
  fixForUnreachable,
  selfSignedFinding,
  withCertFinding,
  withoutCertFinding,
} from './diagnose-findings.js';

/** Options for an ad hoc diagnosis: the probe options plus expiry thresholds. */
export interface DiagnoseOptions extends ProbeOptions {
  /** Warn when the server leaf expires within this many days (default 30). */
  warnDays?: number;
  /** Problem when it expires within this many days (default 7). */
  failDays?: number;
  /** A refusal only at the application layer (HTTP, gRPC, PostgreSQL, …) is not enforcement (as `run --require-tls-rejection`). */
  requireTlsRejection?: boolean;
  /** No protocol was given: decide it first from what the server does (`detect.ts`); a finding says how. */
  detectProtocol?: boolean;
  /** CRLs to read the client certificate against (--crl), and whether to fetch its distribution points (--fetch-crl). */
  clientCrls?: readonly { source: string; der: Buffer }[];
  fetchCrl?: boolean;
}

export type { Finding, FindingStatus } from './diagnose-findings.js';

export interface Diagnosis {
  target: string;
  servername?: string;
  /** True when the server refuses clients without a certificate (client-auth mode `required`). */
  enforced: boolean;
  /** True when the harness could not evaluate the server at all. */
  unreachable: boolean;
  clientAuth: ClientAuthDetection;
  withoutCert: ProbeOutcome;
  withCert?: ProbeOutcome;
  /** A self-signed client certificate the harness minted: a server that verifies certificates refuses it. */
  selfSigned: ProbeOutcome;
  /** Required, but a self-signed certificate was accepted: the certificate is asked for, not verified. */
  trustsAnyCertificate?: boolean;
  chain: ServerChainVerification;
  /** Your client certificate read against its CRLs (--crl, --fetch-crl): what each CRL said. */
  clientRevocation?: OwnRevocation;
  findings: Finding[];
  checkedAt: string;
}

/**
 * Probes a server twice, concurrently (without a client certificate and, when given, with one),
 * and turns what happened into findings with one plain sentence each and a fix for every problem.
 */
export async function diagnoseEndpoint(asked: DiagnoseOptions): Promise<Diagnosis> {
  const detection = asked.detectProtocol ? await detectProtocol(asked) : undefined;
  const { detectProtocol: _, ...opts } = detection ? { ...asked, protocol: detection.protocol ?? 'https' } : asked;
  const clock = opts.clock ?? systemClock;
  const { cert, key, warnDays = 30, failDays = 7, requireTlsRejection = false, clientCrls, fetchCrl, ...given } = opts;
  // One application user for the three (postgres, mysql): a refused client differs from its control in the certificate alone.
  const base = { ...given, appUser: appUserOf(opts) };
  // Three connections at once: none, the user's client (the control of every refusal), and a
  // self-signed client (no CA key needed) that a server verifying certificates must refuse.
  const [withoutCert, withCert, selfSigned] = await Promise.all([
    probeWithPha(prepared(base)),
    cert && key ? probeWithPha(prepared({ ...base, cert, key })) : Promise.resolve(undefined),
    selfSignedClient(clock).then((c) => probeWithPha(prepared({ ...base, cert: c.certPem, key: c.keyPem }))),
  ]);
  // Your certificate in its CA's CRLs (--crl, --fetch-crl): a refusal that says nothing of why
  // (nginx: HTTP 400) is then told apart from a trust problem, here and in every control hint.
  const own =
    cert && (clientCrls?.length || fetchCrl)
      ? await readOwnRevocation({
          chain: parseCertificates(cert.toString(), 'the client certificate'),
          crls: clientCrls ?? [],
          fetchCrl: !!fetchCrl,
          trustPems: opts.ca ? [opts.ca.toString()] : [],
        })
      : undefined;
  const listedRevoked = own?.listed && withCert && withCert.rejectedAt !== 'accepted' ? listedInWords(own.listed) : undefined;
  const control: Control | undefined = withCert
    ? { what: 'your client certificate', source: 'given', outcome: withCert, ...(listedRevoked ? { listedRevoked } : {}) }
    : undefined;
  const clientAuth = detectClientAuthMode(withoutCert, control, opts.protocol);
  // Required, but is the certificate verified? A self-signed one accepted says no.
  const trustsAnyCertificate = clientAuth.mode === 'required' && selfSigned.rejectedAt === 'accepted';
  // Advice names the stack the server gave away (its Server header), else a short list of common ones.
  const httpServer = [withCert, withoutCert, selfSigned].find((o) => o?.httpServer)?.httpServer;
  const recognized = recognizeStack({ ...(httpServer ? { httpServer } : {}), ...(opts.protocol ? { protocol: opts.protocol } : {}) });
  const stack = recognized?.stack;
  const ref = [withCert, withoutCert].find((o) => o && o.peerChainPem.length > 0) ?? withoutCert;
  const presented = ref.peerChainPem.map((p) => new X509Certificate(p));
  const anchors = opts.ca ? parsedAnchors(opts.ca.toString()) : tlsRootCertificatesAsX509();
  // As a server chain: the EKU and keyUsage must allow serverAuth (no other finding looks at them).
  const chain = { ...verifyChain(presented, anchors, clock, { purpose: 'serverAuth' }), trust: opts.ca ? ('given-ca' as const) : ('system-store' as const) };
  const unreachable = withoutCert.rejectedAt === 'unreachable' && (!withCert || withCert.rejectedAt === 'unreachable');
  const findings: Finding[] = [];
  const name = withoutCert.servername ?? opts.host;

  if (unreachable) {
    findings.push({ id: 'connection', aspect: 'Connection', status: 'problem', finding: withoutCert.reason, fix: fixForUnreachable(withoutCert) });
  } else {
    const o = withCert?.protocol ? withCert : withoutCert;
    findings.push({
      id: 'connection',
      aspect: 'TLS',
      status: 'info',
      finding: [
        o.application ? `${protocolModule(o.application.protocol).title}${o.application.startTls ? ` (${safeText(o.application.startTls)})` : ''}` : undefined,
        o.protocol ?? 'handshake not completed',
        o.cipher,
        o.alpn ? `ALPN ${o.alpn}` : undefined,
      ]
        .filter(Boolean)
        .join(', '),
    });
    if (detection)
      findings.push({
        id: 'protocol',
        aspect: 'Protocol',
        status: detection.protocol ? 'info' : 'warn',
        finding: detection.protocol
          ? `${detection.protocol}, detected: ${safeText(detection.how, 200)}`
          : `not decided (${safeText(detection.how, 200)}): probed as HTTPS; give --protocol`,
      });
    findings.push(clientAuthFinding(clientAuth, trustsAnyCertificate ? selfSigned : undefined, stack));
    findings.push(withoutCertFinding(withoutCert, clientAuth, requireTlsRejection, stack));
    findings.push(withCertFinding(withCert, clientAuth, stack));
    if (own) {
      const line = ownRevocationLine(own);
      const w = findings.find((f) => f.id === 'with-cert')!;
      if (own.listed && w.status === 'problem' && !ownCertificateFault(withCert?.alert)) {
        w.finding = `${w.finding}; it is ${listedInWords(own.listed)}`;
        w.fix = REISSUE_LISTED;
        delete line.fix; // said once, on the refusal
      } else if (own.listed && w.status === 'ok') w.finding = `${w.finding}, though it is ${listedInWords(own.listed)}: this server does not check that list`;
      findings.push({ id: 'client-revocation', aspect: 'Your cert in its CRLs', ...line });
    }
    findings.push(selfSignedFinding(selfSigned, clientAuth, stack));
  }
  if (presented.length > 0) {
    findings.push(chainFinding(chain, presented, stack));
    const leafSummary = ref.peerChain[0]!;
    const leafDays = leafSummary.daysLeft;
    const leafEnd = leafSummary.notAfter.slice(0, 10);
    const expiry = expiryOf(leafSummary, { warnDays, failDays });
    if (expiry.state === 'not-yet-valid') {
      findings.push({
        id: 'server-expiry',
        aspect: 'Server certificate expiry',
        status: 'problem',
        finding: `not valid until ${leafSummary.notBefore}`,
        fix: 'check the clock of the machine that issued it and reissue the server certificate with a notBefore in the past',
      });
    } else if (expiry.status === 'fail') {
      findings.push({
        id: 'server-expiry',
        aspect: 'Server certificate expiry',
        status: 'problem',
        finding: expiry.state === 'expired' ? `expired on ${leafEnd}` : `expires in ${leafDays} day(s), on ${leafEnd}`,
        fix: 'renew the server certificate now and reload the server (cert-manager: check the Certificate is Ready and renewBefore is long enough)',
      });
    } else {
      const warn = expiry.status === 'warn';
      findings.push({
        id: 'server-expiry',
        aspect: 'Server certificate expiry',
        status: warn ? 'warn' : 'ok',
        finding: `expires in ${leafDays} days, on ${leafEnd}`,
        ...(warn ? { fix: `renew within the next ${leafDays - failDays} days` } : {}),
      });
    }
    const leaf = presented[0]!;
    const s = ref.peerChain[0]!.sans;
    const sans = sanList(s);
    if (!hasSubjectAltName(s)) {
      findings.push({
        id: 'san-coverage',
        aspect: 'SAN coverage',
        status: 'problem',
        finding: `the server certificate has no subjectAltName (CN only); clients ignore the CN (RFC 6125 §6.4.4)`,
        fix: `reissue it with subjectAltName ${sanKindFor(name)}:${safeText(name)}`,
      });
    } else if (sanCoverage(leaf, [name]).ok) {
      findings.push({
        id: 'san-coverage',
        aspect: 'SAN coverage',
        status: 'ok',
        finding: `"${safeText(name)}" is covered by ${safeText(sans.join(', '), 200)}`,
      });
    } else {
      findings.push({
        id: 'san-coverage',
        aspect: 'SAN coverage',
        status: 'problem',
        finding: `"${safeText(name)}" is not covered by the SANs ${safeText(sans.join(', '), 200)}`,
        fix: `reissue the server certificate with subjectAltName ${sanKindFor(name)}:${safeText(name)}, or connect with --servername set to a covered name`,
      });
    }
  }
  return {
    target: withoutCert.target,
    ...(withoutCert.servername ? { servername: withoutCert.servername } : {}),
    enforced:
      clientAuth.mode === 'required' && !trustsAnyCertificate && (!isRefusal(withoutCert) || refusalEnforces(withoutCert.rejectedAt, { requireTlsRejection })),
    ...(trustsAnyCertificate ? { trustsAnyCertificate } : {}),
    unreachable,
    clientAuth,
    ...(own ? { clientRevocation: own } : {}),
    withoutCert,
    ...(withCert ? { withCert } : {}),
    selfSigned,
    chain,
    findings,
    checkedAt: clock().toISOString(),
  };
}

/**
 * TLS contexts by (trust anchors, client credential, versions, ciphers): the diagnoses of one
 * `probe --targets-file` share them, so OpenSSL loads a --ca bundle once per run instead of once per
 * connection (three per target; 1.35 s each for a 10,001-certificate bundle). The same anchors, so
 * node's `authorized` is what it was with the options given per connection.
 */
const CONTEXTS = new Map<string, tls.SecureContext>();

function prepared(o: ProbeOptions): ProbeOptions {
  if (o.secureContext) return o;
  const { ca, cert, key, ...rest } = o;
  const k = [ca, cert, key, o.minVersion, o.maxVersion, o.ciphers].map((x) => (x === undefined ? '' : x.toString())).join('\u0000');
  let context = CONTEXTS.get(k);
  if (!context) {
    try {
      context = tls.createSecureContext(tlsContextOptions(o));
    } catch {
      return o; // the probe reports what is wrong with them, as before
    }
    if (CONTEXTS.size >= 64) CONTEXTS.clear();
    CONTEXTS.set(k, context);
  }
  return {
    ...rest,
    secureContext: { context, withClientCert: !!(cert && key), ...(cert && key ? { pem: { cert: cert.toString(), key: key.toString() } } : {}) },
  };
}

/** One self-signed client certificate per process and day: minting costs a few ms, probes are many. */
let SELF_SIGNED: { day: string; cred: Promise<Credential> } | undefined;

/**
 * Parsed trust bundles by PEM text: the targets of one `probe --targets-file` share one bundle (a
 * 10,000-certificate bundle took 1.35 s to parse), so it is parsed once per run, not per target.
 */
const ANCHORS = new Map<string, X509Certificate[]>();

function parsedAnchors(pem: string): X509Certificate[] {
  let anchors = ANCHORS.get(pem);
  if (!anchors) {
    anchors = splitPem(pem).map((p) => new X509Certificate(p));
    if (ANCHORS.size >= 64) ANCHORS.clear();
    ANCHORS.set(pem, anchors);
  }
  return anchors;
}

function splitPem(bundle: string): string[] {
  return bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
}

function selfSignedClient(clock: Clock): Promise<Credential> {
  const now = clock();
  const day = now.toISOString().slice(0, 10);
  if (!SELF_SIGNED || SELF_SIGNED.day !== day) {
    const valid = {
      subject: 'CN=mtls-harness self-signed probe client, O=mtls-harness',
      notBefore: addDays(now, -1),
      notAfter: addDays(now, 30),
      eku: ['clientAuth' as const],
    };
    SELF_SIGNED = { day, cred: mintCertificate(craftedOptions('selfSigned', valid, now)) };
  }
  return SELF_SIGNED.cred;
}
