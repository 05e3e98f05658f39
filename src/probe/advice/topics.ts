/**
 * What advice is about (`Topic`), each topic's stack-neutral sentence and the setting of a stack
 * that follows it, and how the two are put together (`adviceParts`, `advise`). Pure, no I/O.
 */
import type { TlsVersion } from '../../core/target.js';
import { sanEntryFor } from '../../rules/san.js';
import { ownCertificateAlert } from '../alerts.js';
import { LIBRARY_PROFILES } from './libraries.js';
import type { StackProfile } from './profile.js';
import { SERVER_PROFILES } from './servers.js';
import { clip, STACK_LABELS, type Stack } from './stacks.js';

/**
 * Every topic, in a stable order. Server-configuration topics first, then the user's own client
 * certificate, the server certificate, protocol, and operations (rotation).
 */
export const TOPICS = [
  // Client authentication (the server's configuration)
  'require-client-cert',
  'verify-client-cert',
  'check-client-eku',
  'reject-ca-as-client',
  'check-client-dates',
  'check-client-revocation',
  'check-client-ocsp',
  'authorize-client-identity',
  'allow-intermediate-clients',
  'trust-client-ca',
  'refuse-in-tls',
  // The user's own client certificate was refused
  'client-cert-revoked',
  'client-cert-expired-own',
  'client-cert-refused',
  'client-cert-renew',
  // The server certificate
  'send-full-chain',
  'server-chain-order',
  'trust-anchor-missing',
  'server-cert-untrusted',
  'server-leaf-profile',
  'san-coverage',
  'server-cert-renew',
  'cert-not-yet-valid',
  // Protocol
  'min-tls-version',
  'alpn-h2',
  'grpc-health',
  'plaintext-port',
  // Operations: certificate and CA rotation
  'graceful-reload',
  'rollout-overlap',
  'ca-rotation-overlap',
  'reload-client-ca',
  'cert-files-delivered',
  'prober-rate',
] as const;

/** What a piece of advice is about. */
export type Topic = (typeof TOPICS)[number];

/** Optional details some topics use. Everything else about a finding belongs in its message. */
export interface AdviceParams {
  /** `min-tls-version`: the policy minimum (default TLSv1.2). */
  minTlsVersion?: TlsVersion;
  /** `san-coverage`: the names the certificate must cover (IPs become `IP:`, others `DNS:`, URIs `URI:`). */
  names?: string[];
}

/** Every stack's settings. */
const PROFILES: Readonly<Record<Stack, StackProfile>> = { ...SERVER_PROFILES, ...LIBRARY_PROFILES };

/** A setting of a profile that is a line of advice as it stands. */
type Setting = { [K in keyof StackProfile]-?: NonNullable<StackProfile[K]> extends string ? K : never }[keyof StackProfile];

interface TopicSpec {
  /** The stack-neutral sentence (ends with a full stop), or how it is made from the params. */
  neutral: string | ((p: AdviceParams) => string);
  /** The line for a stack: one of its settings, or how it is made; none or undefined: `generic` is used. */
  line?: Setting | ((s: StackProfile, p: AdviceParams) => string | undefined);
  /** A line for a stack without a specific one. */
  generic?: (label: string) => string;
  /** Stacks listed when none was recognised (at most four, the most common first). */
  fallback?: readonly Stack[];
  /** Advice to the harness user: no server change, so no list of stacks when none is recognised. */
  user?: boolean;
}

const DEFAULT_FALLBACK: readonly Stack[] = ['nginx', 'haproxy', 'envoy', 'go'];
const GRPC_FALLBACK: readonly Stack[] = ['grpc', 'envoy', 'nginx', 'go'];
/** Reissuing a certificate is the same everywhere: where it is loaded matters less, so fewer lines. */
const CERT_FALLBACK: readonly Stack[] = ['nginx', 'haproxy', 'envoy'];
/** Advice to the harness user: nothing to change on any server. */
const USER = { generic: () => 'nothing to change on the server', user: true } as const;
/** A new server certificate, put in place. */
const REISSUE = { line: 'installCert', fallback: CERT_FALLBACK } as const;

const withVersion = (p: AdviceParams): TlsVersion => p.minTlsVersion ?? 'TLSv1.2';

/** The subjectAltName entry that covers a name: `URI:` for a URI, else `IP:`/`DNS:` (rules/san.ts). */
function sanEntry(name: string): string {
  const n = clip(name, 100);
  return n.includes('://') ? `URI:${n}` : sanEntryFor(n);
}

const TOPIC_SPECS: Readonly<Record<Topic, TopicSpec>> = {
  'require-client-cert': { neutral: 'Require a client certificate on this listener and verify it against your CA.', line: 'require' },
  'verify-client-cert': {
    neutral: 'Verify client certificates against your CA, not just ask for one: a certificate from another issuer, or self-signed, must be refused.',
    line: 'verify',
  },
  'check-client-eku': { neutral: 'Refuse client certificates whose extended key usage lacks clientAuth.', line: 'eku' },
  'reject-ca-as-client': { neutral: 'Refuse CA certificates (CA:TRUE) presented as client certificates.', line: 'caLeaf' },
  'check-client-dates': {
    neutral: 'Refuse expired and not-yet-valid client certificates (never disable the time check) and keep the server clock in sync.',
    line: 'dates',
  },
  'check-client-revocation': {
    neutral: "Check client certificates against your CA's revocation list (a CRL the server loads and keeps current): a revoked certificate must be refused.",
    line: 'crl',
  },
  'check-client-ocsp': {
    neutral:
      "Check client certificates by OCSP against the responder your CA runs, or load your CA's CRL: a certificate its CA says is revoked must be refused.",
    line: 'ocsp',
    fallback: ['nginx', 'apache', 'stunnel', 'envoy'],
  },
  'authorize-client-identity': {
    neutral: 'After verifying the chain, authorize the client identity (SAN or SPIFFE ID) against an allow-list, not only its CA.',
    line: 'identity',
  },
  'allow-intermediate-clients': {
    neutral: 'Accept client certificates issued by an intermediate of your CA when the client sends that intermediate.',
    line: 'depth',
  },
  'trust-client-ca': { neutral: 'Make the server trust the CA that issued the client certificate.', line: (s) => `add that CA to ${s.caFile}` },
  'refuse-in-tls': { neutral: 'Refuse clients without a valid certificate in the TLS handshake, not only with an HTTP error.', line: 'tlsRefusal' },
  'client-cert-revoked': {
    neutral: `Your client certificate itself is revoked (${ownCertificateAlert('client-cert-revoked')}): reissue it with a new key, or, if it should not be revoked, check the revocation list the server loads.`,
    line: 'crl',
  },
  'client-cert-expired-own': {
    neutral: `The server finds your client certificate expired (${ownCertificateAlert('client-cert-expired-own')}): renew it, and if its dates are valid, check the server clock.`,
    line: 'clock',
    generic: (label) => `${label} judges the dates by the server host clock (check NTP there)`,
    fallback: [],
  },
  'client-cert-refused': {
    neutral:
      "Check that your client certificate is issued by a CA in the server's client-CA bundle, is within its validity dates and has the clientAuth EKU, and that --cert includes any intermediate.",
    line: (s) => `the server's client-CA bundle is ${s.caFile}`,
  },
  'client-cert-renew': {
    neutral: 'Renew your client certificate before it expires (cert-manager: check the Certificate is Ready and renewBefore is long enough).',
    ...USER,
  },
  'send-full-chain': { neutral: "Send the intermediate certificate(s) after the server's leaf.", line: 'chainFile' },
  'server-chain-order': { neutral: 'Serve the leaf first, then each issuer in turn, without unrelated certificates or the root.', line: 'chainFile' },
  'trust-anchor-missing': { neutral: "The server's chain is complete but ends at a CA the harness was not given: pass that CA bundle with --ca.", ...USER },
  'server-cert-untrusted': {
    neutral:
      'Serve a certificate issued by the CA your clients trust, with every certificate of its chain valid (or pass the right CA with --ca if the harness was given the wrong one).',
    line: (s) => `the served certificate is ${s.serverCert}`,
  },
  'server-leaf-profile': {
    neutral: 'Reissue the server certificate as a TLS server certificate: CA:FALSE, EKU serverAuth, RSA 2048+ or EC P-256+, signed with SHA-256 or better.',
    ...REISSUE,
  },
  'san-coverage': {
    neutral: (p) =>
      `Reissue the server certificate with subjectAltName entries for every name clients use${p.names?.length ? ` (${p.names.slice(0, 8).map(sanEntry).join(', ')})` : ''}.`,
    ...REISSUE,
  },
  'server-cert-renew': {
    neutral:
      "Renew the expiring certificate of the server's chain (leaf or intermediate) and load it before the old one expires (cert-manager: check the Certificate is Ready and renewBefore is long enough).",
    ...REISSUE,
  },
  'cert-not-yet-valid': { neutral: "Reissue the certificate with a notBefore in the past and check the issuing machine's clock.", ...REISSUE },
  'min-tls-version': {
    neutral: (p) => `Set the server's minimum TLS version to ${withVersion(p)} and disable older protocols.`,
    line: (s, p) => s.minVersion(withVersion(p)),
  },
  'alpn-h2': {
    neutral: 'Serve gRPC over HTTP/2: the TLS port must negotiate ALPN h2.',
    line: 'alpnH2',
    generic: (label) => `${label}: check that it negotiates ALPN h2 with clients, or terminate TLS in a gRPC-capable server or proxy`,
    fallback: GRPC_FALLBACK,
  },
  'grpc-health': {
    neutral: 'Check that this port serves gRPC (not another protocol), that the server is up, and that it answers grpc.health.v1 Health/Check.',
    line: 'grpcHealth',
    generic: (label) => `${label}: check that it passes gRPC to a live gRPC server over HTTP/2`,
    fallback: GRPC_FALLBACK,
  },
  'plaintext-port': {
    neutral: 'Close plaintext listeners (HTTP/1.1 and h2c): only the mTLS port should serve data.',
    line: 'plaintext',
    generic: (label) => `${label} serves only TLS, so find the other process listening on that port (ss -ltnp) and close it`,
  },
  'graceful-reload': { neutral: 'Rotate certificates with a reload in place, without dropping connections, instead of a restart.', line: 'reload' },
  'rollout-overlap': {
    neutral:
      'Roll out with overlap: keep old instances serving until new ones are ready (maxUnavailable: 0, readiness probes, a preStop delay), or reload certificates in place.',
    line: (s) => `to reload in place, ${s.reload}`,
  },
  'ca-rotation-overlap': {
    neutral:
      'During a CA rotation, trust the old and the new CA together (one bundle the server has reloaded) until every client has a certificate from the new CA, and keep the new CA afterwards.',
    line: (s) => `put both CAs in ${s.caFile}`,
  },
  'reload-client-ca': {
    neutral: 'Reload the server after changing its client-CA bundle: the old trust stays in memory until then.',
    line: (s) => s.reloadCa ?? s.reload,
  },
  'cert-files-delivered': {
    neutral:
      'Make sure the new certificate files reach the server (a Secret mounted as a volume, not with subPath, which never updates) and that it reloads them.',
    line: (s) => `once they are there, ${s.reload}`,
  },
  'prober-rate': { neutral: 'Lower --rate, raise --in-flight, or run the harness on a less loaded machine.', ...USER },
};

/** The line of a topic for one stack's settings, or undefined when the stack has none. */
function specLine(spec: TopicSpec, s: StackProfile, params: AdviceParams): string | undefined {
  return typeof spec.line === 'function' ? spec.line(s, params) : spec.line ? s[spec.line] : undefined;
}

/**
 * The parts of a piece of advice: the stack-neutral sentence and the stack line(s) that follow it
 * (one for a recognised stack; for none, up to four common stacks, or none for advice to the user).
 */
export function adviceParts(
  topic: Topic,
  stack?: Stack,
  params: AdviceParams = {},
): { neutral: string; lines: { stack: Stack; label: string; line: string }[] } {
  const spec = TOPIC_SPECS[topic];
  const neutral = typeof spec.neutral === 'function' ? spec.neutral(params) : spec.neutral;
  const lineFor = (s: Stack): string | undefined => specLine(spec, PROFILES[s], params) ?? spec.generic?.(STACK_LABELS[s]);
  if (stack) {
    const line = lineFor(stack) ?? `no ${STACK_LABELS[stack]} setting is known to the harness for this`;
    return { neutral, lines: [{ stack, label: STACK_LABELS[stack], line }] };
  }
  if (spec.user) return { neutral, lines: [] };
  const lines = (spec.fallback ?? DEFAULT_FALLBACK).slice(0, 4).flatMap((s) => {
    const line = specLine(spec, PROFILES[s], params);
    return line ? [{ stack: s, label: STACK_LABELS[s], line }] : [];
  });
  return { neutral, lines };
}

/**
 * One or two sentences of remediation: the stack-neutral instruction first, then the setting for
 * `stack` ("nginx: ssl_verify_client on + ssl_client_certificate ca.pem."), or, with no stack
 * recognised, the settings of up to four common stacks ("Common stacks: nginx: …; haproxy: …").
 * Advice to the harness user (`trust-anchor-missing`, `client-cert-renew`, `prober-rate`) lists no stacks, and with a
 * recognised stack says there is nothing to change on that server.
 */
export function advise(topic: Topic, stack?: Stack, params: AdviceParams = {}): string {
  const { neutral, lines } = adviceParts(topic, stack, params);
  if (lines.length === 0) return neutral;
  if (stack) {
    return `${neutral} ${labelled(lines[0]!)}.`;
  }
  return `${neutral} Common stacks: ${lines.map(labelled).join('; ')}.`;
}

/** "nginx: ssl_…", or the line itself when it already starts with the stack's name ("haproxy sets no depth limit, …"). */
function labelled(l: { label: string; line: string }): string {
  return l.line.startsWith(l.label) ? l.line : `${l.label}: ${l.line}`;
}
