import { HarnessError } from '../../core/errors.js';
import { isProbedProtocol, type ProbedProtocol } from '../../core/target.js';
import type { FixturePki } from '../../pki/generate.js';
import { isProfileName, PROFILES, type ProfileName } from '../profiles.js';
import type { StartedReference } from '../target.js';
import { IMPLEMENTATIONS, referenceServer, type ReferenceServer } from './index.js';

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

/**
 * The protocol a reference is tested with. Until the protocol registry (issue 18) teaches the probe
 * postgres, mysql, redis and mqtt, a reference speaking one of them is refused (exit 2) rather
 * than judged as if it spoke HTTPS.
 */
export function probedProtocol(server: ReferenceServer): ProbedProtocol {
  if (!isProbedProtocol(server.protocol)) throw new HarnessError('usage.invalid-value', `the probe does not speak ${server.protocol} yet (issue 18): reference ${server.name} cannot be run or started from the command line`);
  return server.protocol;
}

/** Validates an (implementation, profile) pair up front: usage errors exit 2 before anything starts. */
export function checkReference(implementation: string, profile: string): { implementation: string; profile: ProfileName } {
  if (!isImplementation(implementation)) throw new HarnessError('usage.invalid-value', `unknown reference implementation "${implementation}"; implementations: ${IMPLEMENTATIONS.join(', ')}`);
  if (!isProfileName(profile)) throw new HarnessError('usage.invalid-value', `unknown profile "${profile}"; profiles: ${PROFILES.join(', ')}`);
  const why = unsupportedReason(implementation, profile);
  if (why) throw new HarnessError('target.unsupported-profile', `${implementation} cannot express profile "${profile}" (unsupported): ${why}`);
  probedProtocol(referenceServer(implementation)!);
  return { implementation, profile };
}

/** Starts a reference server of any implementation with the given provider. */
export async function startReference(o: StartReferenceOptions): Promise<StartedReference> {
  const { implementation, profile } = checkReference(o.implementation, o.profile);
  const server = referenceServer(implementation)!;
  if ((o.provider ?? 'process') === 'process') return server.start({ profile, pki: o.pki });
  if (!server.container || !server.process) {
    throw new HarnessError('target.unsupported-profile', `${implementation} runs ${server.runs === 'in-process' ? 'in-process' : 'as a local process'} only (no container form); use --provider process for it`);
  }
  // testcontainers is loaded only here, when a container is asked for.
  const { startContainerReference } = await import('./container.js');
  return startContainerReference(server.process, { profile, pki: o.pki });
}
