/**
 * The one catalogue: every suite of every kind, each in its own file here, and where its checks,
 * ids and titles are looked up. The engines that evaluate them stay beside their data: the runner
 * (server suites against endpoints), src/audit (files and cluster objects), src/client-test (a
 * client under test).
 */
import type { AnySuite, Suite, SuiteKind } from '../src/checks/types.js';
import { chainValidation } from './chain-validation.js';
import { clientConformance } from './client-conformance.js';
import { craftedProfiles } from './crafted-profiles.js';
import { expiry } from './expiry.js';
import { handshakeWithCert } from './handshake-with-cert.js';
import { k8sAudit } from './k8s-audit.js';
import { mesh } from './mesh.js';
import { offlineAudit } from './offline-audit.js';
import { rejectionWithoutCert } from './rejection-without-cert.js';
import { rotationContinuity } from './rotation-continuity.js';
import { sanValidation } from './san-validation.js';

/** The server-under-test catalogue of CONFORMANCE.md, in report order (rotation last: it changes the target). */
export const SUITES: readonly Suite[] = [
  handshakeWithCert,
  rejectionWithoutCert,
  chainValidation,
  sanValidation,
  expiry,
  craftedProfiles,
  mesh,
  rotationContinuity,
];

/** The kinds of checks, in listing order: what each judges and the commands that run it. */
export const KINDS: readonly { kind: SuiteKind; judges: string; commands: readonly string[] }[] = [
  { kind: 'server', judges: 'an endpoint under test', commands: ['mtls-harness run', 'mtls-harness k8s scan'] },
  { kind: 'cluster', judges: "a cluster's objects", commands: ['mtls-harness k8s scan'] },
  { kind: 'files', judges: 'certificate and key files', commands: ['mtls-harness audit'] },
  { kind: 'client', judges: 'a client under test', commands: ['mtls-harness client-test'] },
];

/** Every suite of every kind, grouped by kind in the order of KINDS, each in report order. */
export const CATALOGUE: readonly AnySuite[] = [...SUITES, k8sAudit, offlineAudit, clientConformance];

/** The suites of one kind, in report order. */
export function suitesOfKind(kind: SuiteKind): AnySuite[] {
  return CATALOGUE.filter((s) => s.kind === kind);
}

const BY_ID = new Map(CATALOGUE.flatMap((suite) => suite.checks.map((check) => [check.id, { suite, check }] as const)));

/** A check of any kind and its suite, by the check's id. */
export function findCheck(id: string): { suite: AnySuite; check: AnySuite['checks'][number] } | undefined {
  return BY_ID.get(id);
}

/** The title of a check of any kind, by its id. */
export function checkTitle(id: string): string | undefined {
  return BY_ID.get(id)?.check.title;
}

/** A suite as the reports name it. */
export interface SuiteInfo {
  id: string;
  title: string;
  kind: SuiteKind;
}

/**
 * Suites whose checks are the cases of a corpus (data: one check per case) rather than a file here:
 * the x509-limbo corpus that `client-test --corpus limbo` runs (src/client-test/limbo.ts).
 */
export const CORPUS_SUITES: readonly SuiteInfo[] = [
  { id: 'x509-limbo', title: "x509-limbo corpus: agreement with each case's expected result", kind: 'client' },
];

/** A suite of any kind (or a corpus) by its id: its id, title and kind. */
export function suiteInfo(id: string): SuiteInfo | undefined {
  const s = CATALOGUE.find((x) => x.id === id) ?? CORPUS_SUITES.find((x) => x.id === id);
  return s ? { id: s.id, title: s.title, kind: s.kind } : undefined;
}

/** The title of a suite of any kind (or a corpus), by its id. */
export function suiteTitle(id: string): string | undefined {
  return suiteInfo(id)?.title;
}
