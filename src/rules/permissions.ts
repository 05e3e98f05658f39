/**
 * Private key file permissions (NIST SP 800-57 Pt. 1 §6.2.2: access limited to the key's owner):
 * a key file, or a key mounted from a Kubernetes Secret, is readable by its owner only. Pure: a
 * result, never a throw; each catalogue words it its own way.
 */

export interface KeyFileMode {
  /** No permission bit for the group or others (0400, 0600). */
  ownerOnly: boolean;
  /** The group may read, write or run it. */
  group: boolean;
  /** Every other user may read, write or run it. */
  others: boolean;
  /** The group or others may replace it. */
  writable: boolean;
}

/** A POSIX mode (the permission bits of `stat.mode`, or a Kubernetes `defaultMode`) against the rule. */
export function keyFileMode(mode: number): KeyFileMode {
  return { ownerOnly: (mode & 0o077) === 0, group: (mode & 0o070) !== 0, others: (mode & 0o007) !== 0, writable: (mode & 0o022) !== 0 };
}
