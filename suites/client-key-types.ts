/**
 * handshake.client-key-types: valid clients with each common key type, minted from the CA, each
 * judged against the control (the client of the user's key type, else RSA-2048) accepted by the
 * same target in the same run; and whether the CertificateRequest's signature schemes cover the
 * user's own key (docs/CONFORMANCE.md).
 */
import { probeEvidence, skip, whereRefused } from '../src/checks/judge.js';
import type { Check } from '../src/checks/types.js';
import type { CheckVerdict } from '../src/core/model.js';
import { safeText } from '../src/core/text.js';
import type { LeafKeyType } from '../src/pki/keys.js';
import { controlEvidence, readRefusal, type Control } from '../src/probe/controls.js';
import type { ProbeOutcome } from '../src/probe/tls-probe.js';
import { certificateSignatureSchemes, clientKeyKind, leafKeyKind, schemeName, usableSchemes, type ClientKeyKind } from '../src/rules/client-auth-request.js';
import { certificateRequestOf } from './client-auth-request.js';

/** The key types probed, in report order. */
export const CLIENT_KEY_TYPES: readonly LeafKeyType[] = ['rsa-2048', 'rsa-3072', 'rsa-4096', 'ec-p256', 'ec-p384', 'ed25519'];

/**
 * A refused type is `fail` for RSA of any size and ECDSA P-256/P-384 (RFC 8446 §9.1's mandatory
 * schemes, and P-384 which every mainstream stack implements and CNSA requires), `warn` for
 * Ed25519: not mandatory, and refused by design in several stacks (a policy choice).
 */
const SEVERITY: Readonly<Record<LeafKeyType, 'fail' | 'warn'>> = {
  'rsa-2048': 'fail',
  'rsa-3072': 'fail',
  'rsa-4096': 'fail',
  'ec-p256': 'fail',
  'ec-p384': 'fail',
  ed25519: 'warn',
};

const sameKind = (a: ClientKeyKind, b: ClientKeyKind) => a.type === b.type && a.curve === b.curve && a.bits === b.bits;

type Reading = { type: LeafKeyType; label: string; result: 'accepted' | 'refused' | 'inconclusive'; detail: string; coveredBySignatureAlgorithms?: boolean };

export const clientKeyTypes: Check = {
  id: 'handshake.client-key-types',
  title: 'Clients with RSA-2048/3072/4096, ECDSA P-256/P-384 and Ed25519 keys are accepted',
  async run(ctx): Promise<CheckVerdict> {
    const r = await certificateRequestOf(ctx);
    if ('verdict' in r) return r.verdict;
    const tls13 = r.o.protocol === 'TLSv1.3';
    const offered = r.cr.signatureAlgorithms;
    const covers = (k: ClientKeyKind) => (offered ? usableSchemes(k, offered, tls13).length > 0 : undefined);
    const user = ctx.target.client ? clientKeyKind(ctx.target.client.chain[0]!.publicKey) : undefined;
    const userCovered = user ? covers(user) : undefined;
    // The signatures in the client's chain against signature_algorithms_cert (else signature_algorithms,
    // RFC 8446 §4.2.3): reported, not judged (clients differ in whether they check them).
    const forCerts = r.cr.signatureAlgorithmsCert ?? offered;
    const chainSignatures =
      forCerts && ctx.target.client
        ? ctx.target.client.chain.map((c) => {
            const s = certificateSignatureSchemes(Buffer.from(c.raw));
            return {
              subject: safeText(c.subject.replace(/\n/g, ', '), 200),
              ...(s ? { schemes: s.map(schemeName), covered: s.some((x) => forCerts.includes(x)) } : {}),
            };
          })
        : undefined;
    const schemes = {
      ...(chainSignatures ? { clientChainSignatures: chainSignatures } : {}),
      ...(offered ? { signatureAlgorithms: offered.map(schemeName) } : {}),
      ...(r.cr.signatureAlgorithmsCert ? { signatureAlgorithmsCert: r.cr.signatureAlgorithmsCert.map(schemeName) } : {}),
      ...(user ? { clientKeyType: user.label, clientKeyCovered: userCovered ?? null } : {}),
    };
    const userGap =
      user && userCovered === false
        ? `the CertificateRequest's signature_algorithms (${offered!.map(schemeName).join(', ')}) offer no scheme for the client's ${user.label} key: it cannot sign the CertificateVerify, so clients send no certificate`
        : undefined;
    const userRemediation =
      'allow a signature scheme for the client key type on the server (OpenSSL: -client_sigalgs / SSL_CTX_set1_client_sigalgs_list), or issue the clients another key type';

    const outcomes = await Promise.all(CLIENT_KEY_TYPES.map((t) => ctx.withKeyType(t)));
    const first = outcomes[0]!;
    if ('skip' in first) {
      if (userGap) return { status: 'fail', message: userGap, remediation: userRemediation, evidence: schemes };
      return skip(`${first.skip}: one client per key type is minted from it`);
    }
    const probed = outcomes as ProbeOutcome[];
    // The control: the client of the user's key type when accepted, else the first accepted type
    // (RSA-2048 first). Any of them differs from the others in the key type alone.
    const userType = user && CLIENT_KEY_TYPES.find((t) => sameKind(leafKeyKind(t), user));
    const preferred = userType ?? 'rsa-2048';
    const controlType = [preferred, ...CLIENT_KEY_TYPES].find((t) => probed[CLIENT_KEY_TYPES.indexOf(t)]!.rejectedAt === 'accepted') ?? preferred;
    const ci = CLIENT_KEY_TYPES.indexOf(controlType);
    const control: Control = { what: `the ${leafKeyKind(controlType).label} client minted from the same CA`, source: 'minted', outcome: probed[ci]! };
    const readings: Reading[] = CLIENT_KEY_TYPES.map((type, i) => {
      const o = probed[i]!;
      const label = leafKeyKind(type).label;
      const covered = covers(leafKeyKind(type));
      const base = { type, label, ...(covered !== undefined ? { coveredBySignatureAlgorithms: covered } : {}) };
      if (o.rejectedAt === 'accepted') return { ...base, result: 'accepted', detail: 'accepted' };
      if (i === ci) return { ...base, result: 'inconclusive', detail: `refused ${whereRefused(o)}` };
      const rr = readRefusal(o, control, ctx.target.protocol);
      if (rr.kind === 'refused') return { ...base, result: 'refused', detail: `refused ${whereRefused(o)}` };
      return {
        ...base,
        result: 'inconclusive',
        detail: rr.kind === 'inconclusive' ? rr.reason : rr.kind === 'unreachable' ? safeText(rr.reason, 200) : 'served',
      };
    });
    const evidence = {
      ...schemes,
      control: controlEvidence(control),
      keyTypes: readings,
      probes: Object.fromEntries(CLIENT_KEY_TYPES.map((t, i) => [t, probeEvidence(probed[i]!)])),
    };
    const c = probed[ci]!;
    if (c.rejectedAt !== 'accepted') {
      return {
        status: 'error',
        message: `could not judge the key types: no client minted from the CA was accepted, whatever its key (${control.what}: ${c.rejectedAt === 'unreachable' ? `not evaluated, ${safeText(c.reason, 200)}` : `refused ${whereRefused(c)}`}), so a refusal proves nothing about key types; make sure a valid client from this CA is accepted (handshake.accepts-valid-client-cert), then test again${userGap ? `; also, ${userGap}` : ''}`,
        evidence,
      };
    }
    const refused = readings.filter((x) => x.result === 'refused');
    const says = (x: Reading) =>
      `${x.label} ${x.detail}${x.coveredBySignatureAlgorithms === false ? ' (the CertificateRequest offers no signature scheme for it)' : ''}`;
    const failing = refused.filter((x) => SEVERITY[x.type] === 'fail');
    const inconclusive = readings.filter((x) => x.result === 'inconclusive');
    const accepted = readings.filter((x) => x.result === 'accepted').map((x) => x.label);
    const against = `, while ${control.what} was accepted`;
    if (failing.length > 0 || userGap)
      return {
        status: 'fail',
        message: [
          ...(failing.length
            ? [`${refused.map(says).join('; ')}${against}: clients with ${refused.length > 1 ? 'these keys' : 'this key'} cannot connect`]
            : []),
          ...(userGap ? [userGap] : []),
        ].join('; and '),
        remediation: userRemediation,
        evidence,
      };
    if (inconclusive.length > 0)
      return {
        status: 'error',
        message: `could not judge ${inconclusive.map((x) => `${x.label} (${x.detail})`).join('; ')}`,
        evidence,
      };
    if (refused.length > 0)
      return {
        status: 'warn',
        message: `${refused.map(says).join('; ')}${against}; accepted: ${accepted.join(', ')} (refusing Ed25519 clients is a policy choice, but a client that has one cannot connect)`,
        remediation:
          'accept Ed25519 client keys if clients may have them (OpenSSL 1.1.1+, Go, GnuTLS and rustls verify them), or document that they are not accepted',
        evidence,
      };
    return {
      status: 'pass',
      message: `every key type was accepted: ${accepted.join(', ')}${user ? `; the CertificateRequest covers the client's ${user.label} key` : ''}`,
      evidence,
    };
  },
};
