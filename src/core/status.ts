/** The statuses a check ends in (CONFORMANCE.md), and the one place they are ordered and counted. */

/** Every check ends in exactly one status (CONFORMANCE.md). */
export type Status = 'pass' | 'warn' | 'fail' | 'skip' | 'error';
export const STATUSES: readonly Status[] = ['pass', 'warn', 'fail', 'skip', 'error'];

export type Summary = Record<Status, number>;

