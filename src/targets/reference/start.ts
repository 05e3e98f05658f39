import { HarnessError } from '../../core/errors.js';
import type { FixturePki } from '../../pki/generate.js';
import { isProfileName, PROFILES, type ProfileName } from '../profiles.js';
import type { StartedReference } from '../target.js';
import { IMPLEMENTATIONS, PROCESS_IMPLEMENTATIONS, type ImplementationName } from './index.js';
import { NODE_PROFILES, NodeReference } from './node.js';
import { nodeProcess } from './node-process.js';
import { startProcessReference } from './process.js';
import { grpcUnsupported, startGrpcReference } from './grpc.js';

export type Provider = 'process' | 'container';

export interface StartReferenceOptions {
  implementation: string;
  profile: string;
  pki: FixturePki;
  provider?: Provider;
}

export function isImplementation(s: string): s is ImplementationName {
  return (IMPLEMENTATIONS as readonly string[]).includes(s);
}

/** Why an implementation cannot express a profile, or undefined when it can. */
export function unsupportedReason(implementation: ImplementationName, profile: ProfileName): string | undefined {
  if (implementation === 'node') return NODE_PROFILES.includes(profile) ? undefined : nodeProcess.unsupported(profile);
  if (implementation === 'node-grpc') return grpcUnsupported(profile);
  return PROCESS_IMPLEMENTATIONS[implementation].unsupported(profile);
}

/** Validates an (implementation, profile) pair up front: usage errors exit 2 before anything starts. */
export function checkReference(implementation: string, profile: string): { implementation: ImplementationName; profile: ProfileName } {
  if (!isImplementation(implementation)) throw new HarnessError('usage.invalid-value', `unknown reference implementation "${implementation}"; implementations: ${IMPLEMENTATIONS.join(', ')}`);
  if (!isProfileName(profile)) throw new HarnessError('usage.invalid-value', `unknown profile "${profile}"; profiles: ${PROFILES.join(', ')}`);
  const why = unsupportedReason(implementation, profile);
  if (why) throw new HarnessError('target.unsupported-profile', `${implementation} cannot express profile "${profile}" (unsupported): ${why}`);
  return { implementation, profile };
}

/** Starts a reference server of any implementation with the given provider. */
export async function startReference(o: StartReferenceOptions): Promise<StartedReference> {
  const { implementation, profile } = checkReference(o.implementation, o.profile);
  const provider = o.provider ?? 'process';
  if (implementation === 'node-grpc') {
    if (provider === 'container') throw new HarnessError('target.unsupported-profile', 'node-grpc runs in-process only (no container form)');
    return startGrpcReference({ profile, pki: o.pki });
  }
  if (provider === 'container') {
    const { startContainerReference } = await import('./container.js');
    return startContainerReference({ implementation, profile, pki: o.pki });
  }
  if (implementation === 'node') {
    // Rotation profiles need a process to reload or restart; the static ones run in-process.
    return NODE_PROFILES.includes(profile) ? new NodeReference({ profile, pki: o.pki }).start() : startProcessReference(nodeProcess, { profile, pki: o.pki });
  }
  return startProcessReference(PROCESS_IMPLEMENTATIONS[implementation], { profile, pki: o.pki });
}
