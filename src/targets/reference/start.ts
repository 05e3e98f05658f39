import { HarnessError } from '../../core/errors.js';
import type { FixturePki } from '../../pki/generate.js';
import { checksClientOcsp, isProfileName, PROFILES, type ProfileName } from '../profiles.js';
import type { StartedReference } from '../target.js';
import { IMPLEMENTATIONS, referenceServer, type ReferenceServer } from './index.js';
import { responderFor, type OcspResponder } from './ocsp-responder.js';
import { OCSP_IN_CONTAINER } from './types.js';

export type Provider = 'process' | 'container';

export interface StartReferenceOptions {
  implementation: string;
  profile: string;
  pki: FixturePki;
  provider?: Provider;
}

/** A reference server's name (REFERENCES), built in or registered. */
export function isImplementation(s: string): boolean {
  return referenceServer(s) !== undefined;
}

/** Why an implementation cannot express a profile, or undefined when it can. */
export function unsupportedReason(implementation: string, profile: ProfileName): string | undefined {
  const server = referenceServer(implementation);
  if (!server) throw new HarnessError('internal', `no reference implementation "${implementation}"`);
  return server.unsupported(profile);
}

/** Validates an (implementation, profile) pair, for a provider, up front: usage errors exit 2 before anything starts. */
export function checkReference(implementation: string, profile: string, provider: Provider = 'process'): { implementation: string; profile: ProfileName } {
  if (!isImplementation(implementation))
    throw new HarnessError('usage.invalid-value', `unknown reference implementation "${implementation}"; implementations: ${IMPLEMENTATIONS.join(', ')}`);
  if (!isProfileName(profile)) throw new HarnessError('usage.invalid-value', `unknown profile "${profile}"; profiles: ${PROFILES.join(', ')}`);
  const why = unsupportedReason(implementation, profile) ?? (provider === 'container' && checksClientOcsp(profile) ? OCSP_IN_CONTAINER : undefined);
  if (why) throw new HarnessError('target.unsupported-profile', `${implementation} cannot express profile "${profile}" (unsupported): ${why}`);
  return { implementation, profile };
}

/**
 * Starts a reference server of any implementation with the given provider; on the OCSP profiles
 * (runsOcspResponder) the harness's loopback OCSP responder first, handed to the server
 * (revocation-ocsp), published as `ocsp` and stopped with it.
 */
export async function startReference(o: StartReferenceOptions): Promise<StartedReference> {
  const { implementation, profile } = checkReference(o.implementation, o.profile, o.provider);
  const responder = await responderFor(profile, o.pki);
  try {
    const ref = await startServer(referenceServer(implementation)!, implementation, profile, o, responder?.url);
    return responder ? withResponder(ref, responder) : ref;
  } catch (e) {
    await responder?.stop();
    throw e;
  }
}

/** The reference with its responder: `ocsp` set, and its stop stopping the responder too. */
function withResponder(ref: StartedReference, responder: OcspResponder): StartedReference {
  const stopServer = ref.stop.bind(ref);
  return Object.assign(ref, {
    ocsp: { url: responder.url, answered: () => responder.answered() },
    stop: async () => {
      try {
        await stopServer();
      } finally {
        await responder.stop();
      }
    },
  });
}

async function startServer(
  server: ReferenceServer,
  implementation: string,
  profile: ProfileName,
  o: StartReferenceOptions,
  ocspUrl: string | undefined,
): Promise<StartedReference> {
  if ((o.provider ?? 'process') === 'process') return server.start({ profile, pki: o.pki, ocspUrl });
  if (!server.container || !server.process) {
    throw new HarnessError(
      'target.unsupported-profile',
      `${implementation} runs ${server.runs === 'in-process' ? 'in-process' : 'as a local process'} only (no container form); use --provider process for it`,
    );
  }
  // testcontainers is loaded only here, when a container is asked for.
  const { startContainerReference } = await import('./container.js');
  return startContainerReference(server.process, { profile, pki: o.pki });
}
