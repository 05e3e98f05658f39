// The lines of probe's diagnosis (diagnose.ts): one plain sentence per aspect, and a fix for every
// problem, advice stack-neutral first and then the line for the stack recognised.
import { X509Certificate } from 'node:crypto';
import { safeText } from '../core/text.js';
import { likelyMissingRoot } from '../rules/chain-order.js';
import { refusalStanding } from '../rules/refusal.js';
import { type ClientAuthDetection } from './client-auth.js';
import { advise, type Stack } from './advice.js';
import { ownCertificateFault } from './alerts.js';
import { answeredClientHello, describeRefusal, refusalLayer } from './controls.js';
import { answeringModule } from './protocols/index.js';
import type { ProbeOutcome } from './tls-probe.js';
import type { ChainVerification } from '../pki/verify.js';

export type FindingStatus = 'ok' | 'warn' | 'problem' | 'info';

/** One line of a diagnosis: what was looked at, what was found, and how to fix it. */
export interface Finding {
  id:
    | 'connection'
    | 'protocol'
    | 'client-auth-mode'
    | 'without-cert'
    | 'with-cert'
    | 'client-revocation'
    | 'self-signed'
    | 'server-chain'
    | 'server-expiry'
    | 'san-coverage';
  aspect: string;
  status: FindingStatus;
  finding: string;
  fix?: string;
}

/** The server chain as probe verified it, and against what. */
export type ServerChainVerification = ChainVerification & { trust: 'given-ca' | 'system-store' };

export function fixForUnreachable(o: ProbeOutcome): string {
  switch (o.failure?.kind) {
    case 'refused':
      return 'check the host and port, and that the service is running and listening there';
    case 'dns':
      return 'check the host name (typo? a cluster-internal name outside the cluster? use port-forward)';
    case 'timeout':
      return 'check firewalls/NetworkPolicies and that the port speaks TLS; raise --timeout for slow links';
    case 'plaintext-http':
      return 'this port serves plain HTTP: probe the TLS port, or enable TLS (and mTLS) on this one';
    case 'not-tls':
      return 'this port does not speak TLS: probe the TLS port of the service';
    case 'reset':
    case 'closed':
      return 'the peer drops TLS clients: check it terminates TLS on this port and that a proxy in front does not filter by SNI';
    case 'starttls':
      return 'TLS did not start in the protocol given (--protocol): enable TLS on the server (the reason says what it answered), or check the port and the protocol';
    case 'unavailable':
      return 'the server cannot take a connection now (the reason says why): test again when it can';
    default:
      return 'check the endpoint and the TLS options (--tls-min/--tls-max)';
  }
}

export function clientAuthFinding(d: ClientAuthDetection, selfSignedAccepted: ProbeOutcome | undefined, stack: Stack | undefined): Finding {
  const how =
    d.method === 'tls1.3-keylog'
      ? ' (seen in the decrypted TLS 1.3 handshake)'
      : d.method === 'tls1.2-plaintext'
        ? ' (seen in the TLS 1.2 handshake)'
        : d.method === 'renegotiation'
          ? ' (asked for on a TLS 1.2 renegotiation: per-path client auth)'
          : d.method === 'post-handshake-auth'
            ? ' (asked for after the TLS 1.3 handshake, answered by openssl s_client -enable_pha: per-path client auth)'
            : d.method === 'inferred-from-rejection'
              ? ' (inferred: the request itself was not observable)'
              : '';
  const cas =
    d.acceptableCaNames.length > 0
      ? `; acceptable CAs advertised: ${safeText(d.acceptableCaNames.join(' | '), 240)}`
      : d.mode === 'required' || d.mode === 'optional'
        ? '; no acceptable CA names advertised'
        : '';
  const aspect = 'Client-auth mode';
  switch (d.mode) {
    case 'required':
      if (selfSignedAccepted)
        return {
          id: 'client-auth-mode',
          aspect,
          status: 'problem',
          finding: `required but not verified: a self-signed certificate was accepted (${safeText(selfSignedAccepted.reason, 160)}): the server asks for a certificate and takes any${how}`,
          fix: advise('verify-client-cert', stack),
        };
      return { id: 'client-auth-mode', aspect, status: 'ok', finding: `required${how}${cas}` };
    case 'optional':
      return {
        id: 'client-auth-mode',
        aspect,
        status: 'problem',
        finding: `optional: the server asks for a certificate but serves clients without one${how}${cas}`,
        fix: advise('require-client-cert', stack),
      };
    case 'not-requested':
      return {
        id: 'client-auth-mode',
        aspect,
        status: 'problem',
        finding: `not requested: the server never asks for a client certificate${how}${d.caveat ? `; ${d.caveat}` : ''}`,
        fix: advise('require-client-cert', stack),
      };
    default:
      if (d.inconclusive)
        return {
          id: 'client-auth-mode',
          aspect,
          status: 'warn',
          finding: `inconclusive: ${safeText(d.inconclusive.reason, 300)}`,
          ...(d.inconclusive.hint ? { fix: d.inconclusive.hint } : {}),
        };
      return { id: 'client-auth-mode', aspect, status: 'warn', finding: `unknown: ${d.evidence}${d.caveat ? ` (${d.caveat})` : ''}` };
  }
}

export function withoutCertFinding(o: ProbeOutcome, d: ClientAuthDetection, requireTlsRejection: boolean, stack: Stack | undefined): Finding {
  const aspect = 'Without a client cert';
  switch (o.rejectedAt) {
    case 'handshake':
    case 'post-handshake':
    case 'application': {
      const where = describeRefusal(o);
      if (d.mode !== 'required')
        return {
          id: 'without-cert',
          aspect,
          status: 'warn',
          finding: `refused ${where}, but that is not enforcement: ${safeText(d.inconclusive?.reason ?? d.caveat ?? d.evidence, 240)}`,
        };
      // The same rule as run's reject.no-client-cert (rules/refusal.ts).
      switch (refusalStanding(o.rejectedAt, { requireTlsRejection })) {
        case 'tls':
          return { id: 'without-cert', aspect, status: 'ok', finding: `refused ${where}` };
        case 'application-only':
          return {
            id: 'without-cert',
            aspect,
            status: 'problem',
            finding: `refused only ${where}; the TLS connection itself was accepted, and --require-tls-rejection demands refusal in TLS`,
            fix: advise('refuse-in-tls', stack),
          };
        case 'application':
          return {
            id: 'without-cert',
            aspect,
            status: 'ok',
            finding: `refused ${where}: nothing was served (enforcement at the ${refusalLayer(o)} layer; --require-tls-rejection to demand refusal in TLS)`,
          };
      }
    }
    case 'accepted':
      return {
        id: 'without-cert',
        aspect,
        status: 'problem',
        finding: `served without a certificate: ${safeText(o.reason)}`,
        fix: advise('require-client-cert', stack),
      };
    default:
      return { id: 'without-cert', aspect, status: 'warn', finding: `could not be evaluated: ${o.reason}` };
  }
}

export function selfSignedFinding(o: ProbeOutcome, d: ClientAuthDetection, stack: Stack | undefined): Finding {
  const aspect = 'With a self-signed cert';
  if (o.rejectedAt === 'accepted') {
    const neverAsked = o.certificateRequested === false && !o.postHandshakeAuth;
    return neverAsked
      ? {
          id: 'self-signed',
          aspect,
          status: d.mode === 'required' ? 'problem' : 'info',
          finding: 'served; the server never asked for a certificate, so none was sent',
        }
      : { id: 'self-signed', aspect, status: 'problem', finding: `accepted: ${safeText(o.reason, 200)}`, fix: advise('verify-client-cert', stack) };
  }
  if (o.rejectedAt === 'unreachable') return { id: 'self-signed', aspect, status: 'info', finding: `could not be evaluated: ${safeText(o.reason, 200)}` };
  return { id: 'self-signed', aspect, status: d.mode === 'required' ? 'ok' : 'info', finding: `refused ${describeRefusal(o)}` };
}

export function withCertFinding(o: ProbeOutcome | undefined, d: ClientAuthDetection, stack: Stack | undefined): Finding {
  const aspect = 'With your client cert';
  if (!o)
    return {
      id: 'with-cert',
      aspect,
      status: 'info',
      finding:
        'not tested: pass --cert and --key to check that a valid client certificate is accepted (without it, no refusal can be told from a server that refuses everyone)',
    };
  if (o.rejectedAt === 'accepted') {
    const neverAsked = o.certificateRequested === false && !o.postHandshakeAuth;
    // A database or broker: what it did, in the reason's plain words ("the PostgreSQL server logged the client in as …").
    const answer = o.application ? o.reason : o.httpStatusLine;
    return {
      id: 'with-cert',
      aspect,
      status: 'ok',
      finding: neverAsked
        ? `served; the server never asked for a certificate, so none was sent${answer ? ` (${safeText(answer)})` : ''}`
        : `accepted${answer ? `: ${safeText(answer)}` : ''}`,
    };
  }
  if (o.rejectedAt === 'unreachable') return { id: 'with-cert', aspect, status: 'warn', finding: `could not be evaluated: ${o.reason}` };
  if (answeredClientHello(o))
    return {
      id: 'with-cert',
      aspect,
      status: 'problem',
      finding: `refused ${describeRefusal(o)}: before any certificate was asked for`,
      fix: 'check --servername (the name the server serves) and the TLS versions it allows (offer them with --tls-min/--tls-max)',
    };
  if (o.certificateRequested === false && !o.postHandshakeAuth) {
    // No certificate was asked for, so none was sent: the refusal is not about yours.
    return {
      id: 'with-cert',
      aspect,
      status: 'problem',
      finding: `refused ${describeRefusal(o)}; the server never asked for a certificate, so none was sent: the refusal is not about your certificate`,
      fix: d.inconclusive?.hint ?? 'check what the server expects on this port and path (--protocol, --path, --tls-max)',
    };
  }
  // Refused by the database or broker after TLS: its module knows what admits a client there (a role, an account, a user name).
  const byProtocol = o.rejectedAt === 'application' ? answeringModule(o).controlRefusedHint?.(o) : undefined;
  if (byProtocol) return { id: 'with-cert', aspect, status: 'problem', finding: `refused ${describeRefusal(o)}`, fix: byProtocol };
  const own = ownCertificateFault(o.alert);
  if (own)
    return {
      id: 'with-cert',
      aspect,
      status: 'problem',
      finding: `refused ${describeRefusal(o)}: your client certificate itself ${own.state}${own.serverClock ? ' (as the server sees it)' : ''}`,
      fix: advise(own.topic, stack),
    };
  const hint = d.acceptableCaNames.length > 0 ? ` The server accepts client certificates from: ${safeText(d.acceptableCaNames.join(' | '), 200)}.` : '';
  return {
    id: 'with-cert',
    aspect,
    status: 'problem',
    finding: `refused ${describeRefusal(o)}`,
    fix: `${advise('client-cert-refused', stack)}${hint}`,
  };
}

export function chainFinding(chain: ServerChainVerification, presented: readonly X509Certificate[], stack: Stack | undefined): Finding {
  const count = presented.length;
  const trustWord = chain.trust === 'given-ca' ? 'the given --ca' : 'the system trust store (pass --ca to use yours)';
  if (chain.ok)
    return {
      id: 'server-chain',
      aspect: 'Server chain',
      status: 'ok',
      finding: `${count} certificate(s) sent; verifies to ${safeText(chain.anchor ?? '')} via ${trustWord}`,
    };
  const p = chain.problems[0]!;
  if (p.code === 'issuer-missing' && chain.trust === 'system-store') {
    const fix = likelyMissingRoot(presented)
      ? `the server sends its intermediate(s); "${safeText(chain.missingIssuer ?? '?', 120)}" is probably your private root CA: ${advise('trust-anchor-missing', stack)}`
      : `if "${safeText(chain.missingIssuer ?? '?', 120)}" is your private root CA, pass it with --ca; if it is an intermediate: ${advise('send-full-chain', stack)}`;
    return { id: 'server-chain', aspect: 'Server chain', status: 'problem', finding: safeText(chain.problems.map((x) => x.message).join('; '), 400), fix };
  }
  const fixes: Record<string, string> = {
    'issuer-missing': advise('send-full-chain', stack),
    untrusted: `the server certificate is not issued by a CA in ${trustWord}: pass the right --ca, or reissue the server certificate from your CA`,
    'signature-mismatch': 'the issuing CA was regenerated (same name, new key): reissue the server certificate from the current CA, or update --ca',
    expired: 'renew the expired certificate and reload the server',
    'not-yet-valid': 'check the clocks, or wait until the certificate becomes valid',
    'intermediate-not-ca': 'the chain contains a non-CA certificate as issuer: reissue from a proper intermediate CA',
    'name-constraints':
      "the issuing CA's name constraints do not allow the certificate's names: reissue it with names the CA may certify, or from a CA without that constraint",
    'key-usage':
      'reissue the certificate the finding names with the key usage its role needs (a CA: keyCertSign; a TLS server: digitalSignature, or keyEncipherment for RSA key exchange)',
    'extended-key-usage': 'reissue the server certificate with the serverAuth extended key usage (and an issuing CA whose EKU, if any, allows it)',
    'critical-extension': 'reissue the certificate without the critical extension clients do not understand',
  };
  return {
    id: 'server-chain',
    aspect: 'Server chain',
    status: 'problem',
    finding: safeText(chain.problems.map((x) => x.message).join('; '), 400),
    fix: fixes[p.code] ?? 'fix the server certificate chain',
  };
}
