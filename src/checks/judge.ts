import type { CertSummary } from '../core/model.js';
import type { ProbeOutcome } from '../probe/tls-probe.js';
import { safeText } from '../core/text.js';
import { X509Certificate } from 'node:crypto';
import { parseCertificates, summarizeCertificate } from '../pki/inspect.js';
import { certDer, type Credential } from '../pki/generate.js';
import { tlsRootCertificatesAsX509 } from '../pki/system-roots.js';
import { verifyChain, type ChainVerification } from '../pki/verify.js';
import type { Check, CheckContext, CraftedKind } from './types.js';
import type { CheckVerdict, Evidence } from '../core/model.js';
import type { Policy, TargetConfig } from '../core/target.js';
import { expiryOf } from '../rules/expiry.js';
import { refusalStanding } from '../rules/refusal.js';
import { advise, recognizeStack, type AdviceParams, type Topic } from '../probe/advice.js';
import { answeredClientHello, controlEvidence, describeRefusal, describeServed, isRefusal, readRefusal, type Control } from '../probe/controls.js';

/** The evidence of one probe: where it was refused, alert, version, status line. Never key material. */
export function probeEvidence(o: ProbeOutcome): Evidence {
  return {
    rejectedAt: o.rejectedAt,
    ...(o.alert ? { alert: { code: o.alert.code, name: o.alert.name } } : {}),
    ...(o.errorCode ? { errorCode: o.errorCode } : {}),
    ...(o.failure ? { failure: o.failure } : {}),
    ...(o.protocol ? { tlsVersion: o.protocol } : {}),
    ...(o.cipher ? { cipher: o.cipher } : {}),
    ...(o.alpn ? { alpn: o.alpn } : {}),
    ...(o.grpc
      ? {
          grpc: {
            code: o.grpc.code,
            codeName: o.grpc.codeName,
            ...(o.grpc.servingStatus ? { servingStatus: o.grpc.servingStatus } : {}),
            ...(o.grpc.details ? { details: safeText(o.grpc.details, 200) } : {}),
          },
        }
      : {}),
    ...(o.httpStatusLine ? { httpStatusLine: safeText(o.httpStatusLine, 200) } : {}),
    ...(o.application ? { application: o.application } : {}),
    ...(o.certificateRequested !== undefined ? { certificateRequested: o.certificateRequested } : {}),
    ...(o.serverHello === false ? { serverHello: false } : {}),
    ...(o.helloRetryRequest ? { helloRetryRequest: true } : {}),
    ...(o.postHandshakeAuth ? { postHandshakeAuth: o.postHandshakeAuth } : {}),
    ...(o.client ? { client: o.client } : {}),
    ...(o.phaUnavailable ? { phaUnavailable: safeText(o.phaUnavailable, 300) } : {}),
    ...(o.httpServer ? { httpServer: safeText(o.httpServer, 100) } : {}),
    clientCertificateOffered: o.clientCertificateOffered,
    reason: safeText(o.reason, 300),
    durationMs: Math.round(o.durationMs),
  };
}

/** Where a refusal happened, in words: "at post-handshake with alert 116 certificate_required". */
export const whereRefused = describeRefusal;

/** An `error` verdict for a probe that could not reach a verdict. */
export function unreachableVerdict(o: ProbeOutcome, what: string): CheckVerdict {
  return { status: 'error', message: `${what}: ${safeText(o.reason, 300)}`, evidence: probeEvidence(o) };
}

/**
 * Judges a connection that must be refused (a cert-less or crafted-certificate client) against its
 * control (docs/CONFORMANCE.md "Controls"). Served: `onAccepted` — acceptance needs no control.
 * Refused, with the control accepted by the same target: pass (at the HTTP layer too, unless the
 * policy demands TLS-layer refusal: fail). Refused without an accepted control, or in answer to the
 * ClientHello itself: `error`, "inconclusive", with what would decide it. The control is probed only
 * when the verdict needs it.
 */
export async function mustBeRefused(
  o: ProbeOutcome,
  control: () => Promise<Control | undefined>,
  target: TargetConfig,
  what: string,
  onAccepted: { status: 'fail' | 'warn'; remediation: string },
): Promise<CheckVerdict> {
  const evidence = probeEvidence(o);
  if (o.rejectedAt === 'accepted') return { status: onAccepted.status, message: describeServed(o, what), remediation: onAccepted.remediation, evidence };
  if (o.rejectedAt === 'unreachable') return unreachableVerdict(o, `could not test ${what}`);
  const c = isRefusal(o) && !answeredClientHello(o) ? await control() : undefined;
  const r = readRefusal(o, c, target.protocol);
  const withControl = c ? { ...evidence, control: controlEvidence(c) } : evidence;
  if (r.kind === 'inconclusive') {
    return {
      status: 'error',
      message: `inconclusive: ${what} was refused, but ${r.reason}${r.hint ? `; ${r.hint}` : ''}`,
      evidence: { ...withControl, inconclusive: r.reason },
    };
  }
  if (r.kind !== 'refused') return unreachableVerdict(o, `could not test ${what}`);
  const against = `, while ${r.control.what} was accepted`;
  switch (refusalStanding(o.rejectedAt, target.policy)) {
    case 'application-only':
      return {
        status: 'fail',
        message: `${what} completed the TLS handshake and was refused only ${whereRefused(o)}; the policy requires refusal in TLS (--require-tls-rejection)`,
        remediation: advise(
          'refuse-in-tls',
          recognizeStack({
            ...(target.reference ? { reference: target.reference.implementation } : {}),
            ...(o.httpServer ? { httpServer: o.httpServer } : {}),
            protocol: target.protocol,
          })?.stack,
        ),
        evidence: withControl,
      };
    case 'application':
      return { status: 'pass', message: `${what} was refused ${whereRefused(o)}; nothing was served${against}`, evidence: withControl };
  }
  return { status: 'pass', message: `${what} was refused ${whereRefused(o)}${against}`, evidence: withControl };
}

/** Days-left thresholds for one certificate (the rule: rules/expiry.ts), in the words of the server checks. */
export function expiryVerdict(s: CertSummary, policy: Policy, what: string): CheckVerdict {
  const evidence = { subject: s.subject, notBefore: s.notBefore, notAfter: s.notAfter, daysLeft: s.daysLeft, fingerprintSha256: s.fingerprintSha256 };
  const name = safeText(s.subject, 160);
  switch (expiryOf(s, policy).state) {
    case 'not-yet-valid':
      return {
        status: 'fail',
        message: `${what} (${name}) is not valid until ${s.notBefore}`,
        remediation: 'check the issuing clock and reissue the certificate with a notBefore in the past',
        evidence,
      };
    case 'expired':
      return {
        status: 'fail',
        message: `${what} (${name}) expired on ${s.notAfter.slice(0, 10)}`,
        remediation: 'renew the certificate and reload the service',
        evidence,
      };
    case 'under-fail':
      return {
        status: 'fail',
        message: `${what} (${name}) expires in ${s.daysLeft} day(s), on ${s.notAfter.slice(0, 10)} (fail under ${policy.failDays})`,
        remediation: 'renew now (cert-manager: check renewBefore and that the Certificate is Ready)',
        evidence,
      };
    case 'under-warn':
      return {
        status: 'warn',
        message: `${what} (${name}) expires in ${s.daysLeft} days, on ${s.notAfter.slice(0, 10)} (warn under ${policy.warnDays})`,
        remediation: `renew within ${s.daysLeft - policy.failDays} days`,
        evidence,
      };
    case 'valid':
      return { status: 'pass', message: `${what} (${name}) is valid for ${s.daysLeft} more days, until ${s.notAfter.slice(0, 10)}`, evidence };
  }
}

export const skip = (message: string): CheckVerdict => ({ status: 'skip', message });

/**
 * Adds the crafted client certificate a check presented to its evidence (subject, issuer, serial,
 * validity, EKU, fingerprint): an auditor can see exactly what was offered. Never the key.
 */
export async function withPresented(ctx: CheckContext, kind: CraftedKind, v: CheckVerdict): Promise<CheckVerdict> {
  const c = await ctx.crafted(kind);
  if ('skip' in c) return v;
  return withPresentedCertificate(v, certDer(c), c.chainPem, ctx.clock);
}

/** Adds a presented certificate (its DER, the chain PEM it was sent with) to a verdict's evidence (withPresented). */
export function withPresentedCertificate(v: CheckVerdict, der: Buffer, chainPem: string, clock: CheckContext['clock']): CheckVerdict {
  const presentedCertificate = certificateEvidence(der, chainPem, clock);
  return { ...v, evidence: { ...(v.evidence ?? {}), presentedCertificate } };
}

/** What the evidence shows of a presented certificate (subject, issuer, serial, validity, EKU, SANs, chain length, fingerprint). Never the key. */
export function certificateEvidence(der: Buffer, chainPem: string, clock: CheckContext['clock']): Record<string, unknown> {
  const s = summarizeCertificate(der, clock);
  return {
    subject: s.subject,
    issuer: s.issuer,
    serialNumber: s.serialNumber,
    notBefore: s.notBefore,
    notAfter: s.notAfter,
    extKeyUsage: s.extKeyUsage,
    ...(s.basicConstraints ? { basicConstraints: s.basicConstraints } : {}),
    sans: s.sans,
    chainLength: (chainPem.match(/-----BEGIN CERTIFICATE-----/g) ?? []).length,
    fingerprintSha256: s.fingerprintSha256,
  };
}

/**
 * Remediation for a topic, stack-neutral first, then the line for the stack recognised on this
 * target (or a short list of common stacks).
 */
export async function adviceFor(ctx: CheckContext, topic: Topic, params?: AdviceParams): Promise<string> {
  const advice = advise(topic, (await ctx.stack())?.stack, params);
  // A target of k8s scan: then the change to the Kubernetes object it came from.
  const o = ctx.target.origin;
  const fix = o?.fixes?.[topic];
  return fix ? `${advice} ${safeText(`${o.kind} ${o.namespace}/${o.name}${o.section ? ` (${o.section})` : ''}: ${fix}`, 400)}` : advice;
}

/** A check that presents a crafted client certificate which the target must refuse. */
export function refusesCrafted(id: string, title: string, kind: CraftedKind, what: string, onAccepted: { status: 'fail' | 'warn'; topic: Topic }): Check {
  return {
    id,
    title,
    async run(ctx) {
      const o = await ctx.withCrafted(kind);
      if ('skip' in o) return skip(o.skip);
      const remediation = o.rejectedAt === 'accepted' ? await adviceFor(ctx, onAccepted.topic) : '';
      return withPresented(ctx, kind, await mustBeRefused(o, () => ctx.control(kind), ctx.target, what, { status: onAccepted.status, remediation }));
    },
  };
}

/**
 * The chain the server presented to a cert-less client (leaf first), or the `error` verdict when it
 * presented none. Shared by the chain, SAN and expiry checks: one probe, one place that decides.
 */
export async function presentedOrVerdict(ctx: CheckContext): Promise<{ chain: X509Certificate[] } | { verdict: CheckVerdict }> {
  const o = await ctx.noCert();
  if (o.peerChainPem.length === 0) return { verdict: unreachableVerdict(o, 'the server presented no certificate') };
  let chain = PARSED.get(o);
  if (!chain) {
    chain = o.peerChainPem.map((p) => new X509Certificate(p));
    PARSED.set(o, chain);
  }
  return { chain };
}

/** A check of the chain the server presented (leaf first): `judge` sees it; none presented is the `error` verdict of presentedOrVerdict. */
export function onPresentedChain(
  judge: (chain: X509Certificate[], ctx: CheckContext) => CheckVerdict | Promise<CheckVerdict>,
): (ctx: CheckContext) => Promise<CheckVerdict> {
  return async (ctx) => {
    const p = await presentedOrVerdict(ctx);
    return 'verdict' in p ? p.verdict : judge(p.chain, ctx);
  };
}

/** The presented chain parsed once per probe outcome, not once per check. */
const PARSED = new WeakMap<ProbeOutcome, X509Certificate[]>();

/**
 * The chain the server presented and its verification against the trust anchors (verifyChain), or
 * the `error` verdict when it presented none: made once per probe, shared by the checks that judge
 * the path (chain.server-trusted, chain.server-complete).
 */
export async function verifiedOrVerdict(ctx: CheckContext): Promise<{ chain: X509Certificate[]; verification: ChainVerification } | { verdict: CheckVerdict }> {
  const p = await presentedOrVerdict(ctx);
  if ('verdict' in p) return p;
  let verification = VERIFIED.get(p.chain);
  if (!verification) {
    verification = verifyChain(p.chain, trustAnchors(ctx), ctx.clock);
    VERIFIED.set(p.chain, verification);
  }
  return { chain: p.chain, verification };
}

/** A check of the presented chain's verification against the trust anchors (verifiedOrVerdict). */
export function onVerifiedChain(
  judge: (c: { chain: X509Certificate[]; verification: ChainVerification }, ctx: CheckContext) => CheckVerdict | Promise<CheckVerdict>,
): (ctx: CheckContext) => Promise<CheckVerdict> {
  return async (ctx) => {
    const c = await verifiedOrVerdict(ctx);
    return 'verdict' in c ? c.verdict : judge(c, ctx);
  };
}

/** The verification of a presented chain, by the parsed chain (one per probe outcome). */
const VERIFIED = new WeakMap<X509Certificate[], ChainVerification>();

/** The trust anchors for the server chain: the configured bundle, or the system store. */
export function trustAnchors(ctx: CheckContext): X509Certificate[] {
  const pem = ctx.target.trustPem;
  if (!pem) return tlsRootCertificatesAsX509();
  let anchors = ANCHORS.get(pem);
  if (!anchors) {
    anchors = parseCertificates(pem, 'CA bundle');
    if (ANCHORS.size >= 64) ANCHORS.clear();
    ANCHORS.set(pem, anchors);
  }
  return anchors;
}

/** Parsed trust bundles by PEM text: the targets of a run share one bundle, and every chain check reads it. */
const ANCHORS = new Map<string, X509Certificate[]>();
