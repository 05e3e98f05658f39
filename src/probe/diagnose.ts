import { X509Certificate } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import { isIP } from 'node:net';
import { systemClock } from '../pki/clock.js';
import { verifyChain, sanCovers, type ChainVerification } from '../pki/verify.js';
import { safeText } from '../text.js';
import { detectClientAuthMode, type ClientAuthDetection } from './client-auth.js';
import { probeEndpoint, type ProbeOptions, type ProbeOutcome } from './tls-probe.js';

/** Options for an ad hoc diagnosis: the probe options plus expiry thresholds. */
export interface DiagnoseOptions extends ProbeOptions {
  /** Warn when the server leaf expires within this many days (default 30). */
  warnDays?: number;
  /** Problem when it expires within this many days (default 7). */
  failDays?: number;
}

export type FindingStatus = 'ok' | 'warn' | 'problem' | 'info';

/** One line of a diagnosis: what was looked at, what was found, and how to fix it. */
export interface Finding {
  id: 'connection' | 'client-auth-mode' | 'without-cert' | 'with-cert' | 'server-chain' | 'server-expiry' | 'san-coverage';
  aspect: string;
  status: FindingStatus;
  finding: string;
  fix?: string;
}

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
  chain: ChainVerification & { trust: 'given-ca' | 'system-store' };
  findings: Finding[];
  checkedAt: string;
}

/**
 * Probes a server twice, concurrently (without a client certificate and, when given, with one),
 * and turns what happened into findings with one plain sentence each and a fix for every problem.
 */
export async function diagnoseEndpoint(opts: DiagnoseOptions): Promise<Diagnosis> {
  const clock = opts.clock ?? systemClock;
  const { cert, key, warnDays = 30, failDays = 7, ...base } = opts;
  const [withoutCert, withCert] = await Promise.all([
    probeEndpoint(base),
    cert && key ? probeEndpoint({ ...base, cert, key }) : Promise.resolve(undefined),
  ]);
  const clientAuth = detectClientAuthMode(withoutCert, withCert);
  const ref = [withCert, withoutCert].find((o) => o && o.peerChainPem.length > 0) ?? withoutCert;
  const presented = ref.peerChainPem.map((p) => new X509Certificate(p));
  const anchorsPem = opts.ca ? [opts.ca.toString()] : rootCertificates;
  const anchors = anchorsPem.flatMap((p) => splitPem(p)).map((p) => new X509Certificate(p));
  const chain = { ...verifyChain(presented, anchors, clock), trust: opts.ca ? ('given-ca' as const) : ('system-store' as const) };
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
      finding: [o.protocol ?? 'handshake not completed', o.cipher, o.alpn ? `ALPN ${o.alpn}` : undefined].filter(Boolean).join(', '),
    });
    findings.push(clientAuthFinding(clientAuth));
    findings.push(withoutCertFinding(withoutCert));
    findings.push(withCertFinding(withCert, clientAuth));
  }
  if (presented.length > 0) {
    findings.push(chainFinding(chain, presented.length));
    const leafDays = ref.peerChain[0]!.daysLeft;
    const leafEnd = ref.peerChain[0]!.notAfter.slice(0, 10);
    if (leafDays < failDays) {
      findings.push({ id: 'server-expiry', aspect: 'Server certificate expiry', status: 'problem', finding: leafDays < 0 ? `expired on ${leafEnd}` : `expires in ${leafDays} day(s), on ${leafEnd}`, fix: 'renew the server certificate now and reload the server (cert-manager: check the Certificate is Ready and renewBefore is long enough)' });
    } else {
      findings.push({ id: 'server-expiry', aspect: 'Server certificate expiry', status: leafDays < warnDays ? 'warn' : 'ok', finding: `expires in ${leafDays} days, on ${leafEnd}`, ...(leafDays < warnDays ? { fix: `renew within the next ${leafDays - failDays} days` } : {}) });
    }
    const leaf = presented[0]!;
    const s = ref.peerChain[0]!.sans;
    const sanList = [...s.dns.map((d) => `DNS:${d}`), ...s.ip.map((i) => `IP:${i}`), ...s.uri.map((u) => `URI:${u}`)];
    if (sanList.length === 0) {
      findings.push({ id: 'san-coverage', aspect: 'SAN coverage', status: 'problem', finding: `the server certificate has no subjectAltName (CN only); clients ignore the CN (RFC 6125 §6.4.4)`, fix: `reissue it with subjectAltName ${isIP(name) ? 'IP' : 'DNS'}:${safeText(name)}` });
    } else if (sanCovers(leaf, name)) {
      findings.push({ id: 'san-coverage', aspect: 'SAN coverage', status: 'ok', finding: `"${safeText(name)}" is covered by ${safeText(sanList.join(', '), 200)}` });
    } else {
      findings.push({ id: 'san-coverage', aspect: 'SAN coverage', status: 'problem', finding: `"${safeText(name)}" is not covered by the SANs ${safeText(sanList.join(', '), 200)}`, fix: `reissue the server certificate with subjectAltName ${isIP(name) ? 'IP' : 'DNS'}:${safeText(name)}, or connect with --servername set to a covered name` });
    }
  }
  return {
    target: withoutCert.target,
    ...(withoutCert.servername ? { servername: withoutCert.servername } : {}),
    enforced: clientAuth.mode === 'required',
    unreachable,
    clientAuth,
    withoutCert,
    ...(withCert ? { withCert } : {}),
    chain,
    findings,
    checkedAt: clock().toISOString(),
  };
}

function splitPem(bundle: string): string[] {
  return bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
}

function fixForUnreachable(o: ProbeOutcome): string {
  switch (o.failure?.kind) {
    case 'refused': return 'check the host and port, and that the service is running and listening there';
    case 'dns': return 'check the host name (typo? a cluster-internal name outside the cluster? use port-forward)';
    case 'timeout': return 'check firewalls/NetworkPolicies and that the port speaks TLS; raise --timeout for slow links';
    case 'plaintext-http': return 'this port serves plain HTTP: probe the TLS port, or enable TLS (and mTLS) on this one';
    case 'not-tls': return 'this port does not speak TLS: probe the TLS port of the service';
    case 'reset':
    case 'closed': return 'the peer drops TLS clients: check it terminates TLS on this port and that a proxy in front does not filter by SNI';
    default: return 'check the endpoint and the TLS options (--tls-min/--tls-max)';
  }
}

function clientAuthFinding(d: ClientAuthDetection): Finding {
  const how = d.method === 'tls1.3-keylog' ? ' (seen in the decrypted TLS 1.3 handshake)' : d.method === 'tls1.2-plaintext' ? ' (seen in the TLS 1.2 handshake)' : d.method === 'inferred-from-rejection' ? ' (inferred: the request itself was not observable)' : '';
  const cas = d.acceptableCaNames.length > 0 ? `; acceptable CAs advertised: ${safeText(d.acceptableCaNames.join(' | '), 240)}` : d.mode === 'required' || d.mode === 'optional' ? '; no acceptable CA names advertised' : '';
  switch (d.mode) {
    case 'required':
      return { id: 'client-auth-mode', aspect: 'Client-auth mode', status: 'ok', finding: `required${how}${cas}` };
    case 'optional':
      return { id: 'client-auth-mode', aspect: 'Client-auth mode', status: 'problem', finding: `optional: the server asks for a certificate but serves clients without one${how}${cas}`, fix: 'make the client certificate mandatory (nginx: ssl_verify_client on; haproxy: verify required; Envoy: require_client_certificate: true; node: requestCert + rejectUnauthorized)' };
    case 'not-requested':
      return { id: 'client-auth-mode', aspect: 'Client-auth mode', status: 'problem', finding: `not requested: the server never asks for a client certificate${how}${d.caveat ? `; ${d.caveat}` : ''}`, fix: 'enable client-certificate verification against your CA (nginx: ssl_client_certificate ca.pem + ssl_verify_client on; haproxy: ca-file ca.pem verify required)' };
    default:
      return { id: 'client-auth-mode', aspect: 'Client-auth mode', status: 'warn', finding: `unknown: ${d.evidence}${d.caveat ? ` (${d.caveat})` : ''}` };
  }
}

function withoutCertFinding(o: ProbeOutcome): Finding {
  const aspect = 'Without a client cert';
  switch (o.rejectedAt) {
    case 'handshake':
    case 'post-handshake':
      return { id: 'without-cert', aspect, status: 'ok', finding: `refused at ${o.rejectedAt}${o.alert ? ` with alert ${o.alert.code} ${o.alert.name}` : ' (connection closed, no alert)'}` };
    case 'application':
      return { id: 'without-cert', aspect, status: 'warn', finding: `refused only at the HTTP layer: ${safeText(o.httpStatusLine ?? String(o.httpStatus))}; the TLS connection itself was accepted`, fix: 'acceptable (nothing is served), but refusing in the handshake is stronger: e.g. terminate mTLS where the certificate is verified (nginx answers 400 by design with ssl_verify_client on)' };
    case 'accepted':
      return { id: 'without-cert', aspect, status: 'problem', finding: `served without a certificate: ${safeText(o.reason)}`, fix: 'require a client certificate on this listener' };
    default:
      return { id: 'without-cert', aspect, status: 'warn', finding: `could not be evaluated: ${o.reason}` };
  }
}

function withCertFinding(o: ProbeOutcome | undefined, d: ClientAuthDetection): Finding {
  const aspect = 'With your client cert';
  if (!o) return { id: 'with-cert', aspect, status: 'info', finding: 'not tested: pass --cert and --key to check that a valid client certificate is accepted' };
  if (o.rejectedAt === 'accepted') {
    return { id: 'with-cert', aspect, status: 'ok', finding: `accepted${o.httpStatusLine ? `: ${safeText(o.httpStatusLine)}` : ''}` };
  }
  if (o.rejectedAt === 'unreachable') return { id: 'with-cert', aspect, status: 'warn', finding: `could not be evaluated: ${o.reason}` };
  const hint = d.acceptableCaNames.length > 0 ? ` The server accepts client certificates from: ${safeText(d.acceptableCaNames.join(' | '), 200)}.` : '';
  const alert = o.alert ? ` with alert ${o.alert.code} ${o.alert.name}` : '';
  return {
    id: 'with-cert',
    aspect,
    status: 'problem',
    finding: `refused at ${o.rejectedAt}${alert}${o.httpStatusLine ? ` (${safeText(o.httpStatusLine)})` : ''}`,
    fix: `check that the client certificate is issued by a CA in the server's client-CA bundle, is within its validity dates, has the clientAuth EKU, and that --cert includes any intermediate.${hint}`,
  };
}

function chainFinding(chain: Diagnosis['chain'], count: number): Finding {
  const trustWord = chain.trust === 'given-ca' ? 'the given --ca' : 'the system trust store (pass --ca to use yours)';
  if (chain.ok) return { id: 'server-chain', aspect: 'Server chain', status: 'ok', finding: `${count} certificate(s) sent; verifies to ${safeText(chain.anchor ?? '')} via ${trustWord}` };
  const p = chain.problems[0]!;
  const fixes: Record<string, string> = {
    'issuer-missing': 'configure the server to send the intermediate certificate(s) after its leaf (nginx: ssl_certificate with the full chain; haproxy: crt bundle with intermediates)',
    untrusted: `the server certificate is not issued by a CA in ${trustWord}: pass the right --ca, or reissue the server certificate from your CA`,
    'signature-mismatch': 'the issuing CA was regenerated (same name, new key): reissue the server certificate from the current CA, or update --ca',
    expired: 'renew the expired certificate and reload the server',
    'not-yet-valid': 'check the clocks, or wait until the certificate becomes valid',
    'intermediate-not-ca': 'the chain contains a non-CA certificate as issuer: reissue from a proper intermediate CA',
  };
  return { id: 'server-chain', aspect: 'Server chain', status: 'problem', finding: safeText(chain.problems.map((x) => x.message).join('; '), 400), fix: fixes[p.code] ?? 'fix the server certificate chain' };
}
