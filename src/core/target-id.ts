/**
 * Target ids (issue 17): every target of a report has an id that is unique within the report and
 * the same on every run of the same configuration. A target's label (`name`: the config's `name`,
 * else `host:port`; a client's name; a file set; a Kubernetes object) is its id when no earlier
 * target of the report has it; a later target with the same label gets `#2`, `#3`… by its place:
 * `--target 127.0.0.1:8443 --target 127.0.0.1:8443` are `127.0.0.1:8443` and `127.0.0.1:8443#2`.
 * Readable, derived from the configuration's order only (no clock, no random), and equal to the
 * label in the common case, so a report of distinct targets reads as before.
 */

/** Hands out ids in report order; `taken` are ids the report already holds (targets added to a report). */
export class TargetIds {
  private readonly used: Set<string>;
  private readonly seen = new Map<string, number>();

  constructor(taken: Iterable<string> = []) {
    this.used = new Set(taken);
  }

  /** The id of the next target labelled `label`: the label, or the label with `#n` (n = its occurrence, skipping ids in use). */
  next(label: string): string {
    let n = this.seen.get(label) ?? (this.used.has(label) ? 1 : 0);
    let id = n === 0 ? label : `${label}#${n + 1}`;
    while (this.used.has(id)) id = `${label}#${++n + 1}`;
    this.seen.set(label, n + 1);
    this.used.add(id);
    return id;
  }
}

/** The ids of targets labelled `labels`, in order (see TargetIds). */
export function targetIds(labels: Iterable<string>, taken: Iterable<string> = []): string[] {
  const ids = new TargetIds(taken);
  return Array.from(labels, (label) => ids.next(label));
}
