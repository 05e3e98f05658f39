import { X509Certificate } from 'node:crypto';
import type { ProfileName } from '../targets/profiles.js';
import type { StartedReference, TargetUnderTest } from '../targets/target.js';
import { referenceServer } from '../targets/reference/index.js';
import { ROTATION_DEFAULTS, type Policy, type RotationConfig } from '../core/target.js';

/** Reference targets rotate on their own: a second of probing before the trigger and after it. */
export const REFERENCE_ROTATION_WINDOW_MS = 1000;

export interface ReferenceTargetOptions {
  name?: string;
  policy: Policy;
  container?: boolean;
  /** Rotation overrides (flags): rate, in-flight bound, no HTTP request per handshake. */
  rate?: number | undefined;
  inFlight?: number | undefined;
  handshakeOnly?: boolean;
}

/**
 * The target a started reference server is tested as: the fixture PKI's root as trust anchor, its
 * client as the valid credential, `localhost` + `127.0.0.1` as the names to cover, and for the
 * rotation profiles the reference's own rotation as the trigger. The server itself goes with the
 * target (`started`): its fixture PKI issues the crafted certificates, and rotations go through it.
 */
export function referenceTarget(ref: StartedReference, implementation: string, profile: ProfileName, o: ReferenceTargetOptions): TargetUnderTest {
  const pki = ref.pki;
  const server = referenceServer(implementation);
  const rotation: RotationConfig | undefined =
    profile === 'rotation-graceful' || profile === 'rotation-restart'
      ? {
          trigger: { kind: 'reference', mode: profile === 'rotation-graceful' ? 'graceful' : 'restart' },
          rate: o.rate ?? ROTATION_DEFAULTS.referenceRate,
          maxInFlight: o.inFlight ?? ROTATION_DEFAULTS.referenceInFlight,
          beforeMs: REFERENCE_ROTATION_WINDOW_MS,
          afterMs: REFERENCE_ROTATION_WINDOW_MS,
          // Where a request per attempt would measure the responder rather than TLS (stunnel's inetd-style script), the handshake decides.
          request: !o.handshakeOnly && !server?.rotationHandshakeOnly,
        }
      : undefined;
  return {
    name: o.name ?? `${implementation}${o.container ? '/container' : ''}:${profile}`,
    host: ref.endpoint.host,
    port: ref.endpoint.port,
    servername: 'localhost',
    expectedNames: ['127.0.0.1'],
    // As the reference declares (the gRPC one: ALPN h2, Health/Check; the others HTTP/1.1), if the probe speaks it.
    protocol: server?.protocol ?? 'https',
    ...(server?.appUser ? { appUser: server.appUser } : {}),
    trustPem: pki.root.certPem,
    client: { certPem: pki.client.chainPem, keyPem: pki.client.keyPem, chain: [new X509Certificate(pki.client.certPem)] },
    expect: {},
    policy: o.policy,
    plaintextPorts: [],
    reference: { implementation: o.container ? `${implementation} (container)` : implementation, profile },
    ...(rotation ? { rotation } : {}),
    started: ref,
  };
}
