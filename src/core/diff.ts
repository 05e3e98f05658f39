/**
 * What changed between two runs (`mtls-harness diff`, `run --baseline`): data only, the shape of
 * `diff --json`'s `diff` and of the run report's optional `diff` field (docs/diff.md). The
 * comparison itself is src/report/diff.ts.
 */
import type { Status } from './status.js';

/** One run of the two: when it ran, and (from a file) which file and its SHA-256. */
export interface DiffSide {
  startedAt: string;
  finishedAt: string;
  /** The report file as given on the command line (absent for the run being made). */
  file?: string;
  /** SHA-256 (hex) of the report file's bytes (absent for the run being made). */
  sha256?: string;
  targets: number;
  results: number;
}

/** A target named by its id in its own report, and its endpoint. */
export interface DiffTargetRef {
  id: string;
  endpoint: string;
}

/** Two targets paired otherwise than by equal ids (said, never silent). */
export interface DiffPairing {
  /** `endpoint`: the same endpoint; `only-target`: each report has exactly one target. */
  by: 'endpoint' | 'only-target';
  baseline: DiffTargetRef;
  current: DiffTargetRef;
}

/** One (target, check) whose status differs; `null`: the check is not in that report. */
export interface DiffResultChange {
  /** The target's id in the current report (in the baseline for a check that only the baseline has). */
  targetId: string;
  /** The target's id in the baseline when it differs (a target paired by endpoint). */
  baselineTargetId?: string;
  check: string;
  before: Status | null;
  after: Status | null;
  /** The current result's message (the baseline's when the check is gone). */
  message: string;
}

/** What changed about a certificate chain of a target. */
export type CertChangeKind = 'leaf' | 'issuer' | 'expiry' | 'added' | 'removed';

/** One change of a target's peer chain (the server's) or client chain (the credential presented). */
export interface DiffCertChange {
  targetId: string;
  chain: 'peer' | 'client';
  /**
   * `leaf`: another leaf (SHA-256 fingerprint); `issuer`: the leaf's issuer name, or the issuing
   * certificate sent after it, differs; `expiry`: the leaf's notAfter moved; `added`/`removed`: the
   * chain is in one report only.
   */
  change: CertChangeKind;
  /** The baseline's value (fingerprint, issuer, notAfter); absent for `added`. */
  before?: string;
  /** The current value; absent for `removed`. */
  after?: string;
}

export interface DiffSummary {
  new: number;
  fixed: number;
  changed: number;
  targetsAdded: number;
  targetsRemoved: number;
  certificates: number;
}

/** The comparison of a current run with a baseline run (docs/diff.md "The diff's shape"). */
export interface RunDiff {
  baseline: DiffSide;
  current: DiffSide;
  /** Targets paired otherwise than by id. */
  pairings: DiffPairing[];
  /** Targets of the current run only, and of the baseline only. */
  targetsAdded: DiffTargetRef[];
  targetsRemoved: DiffTargetRef[];
  /** A warn, fail or error now that was pass, skip or absent (a target added included). */
  new: DiffResultChange[];
  /** A warn, fail or error in the baseline that passes now. */
  fixed: DiffResultChange[];
  /** Every other status change of a paired target (warn→fail, fail→skip, a check gone…). */
  changed: DiffResultChange[];
  certificates: DiffCertChange[];
  summary: DiffSummary;
}
