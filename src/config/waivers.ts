/**
 * Waivers (docs/waivers.md): accepted findings, read from a waivers file (`--waivers FILE`,
 * MTLS_WAIVERS, or `waivers: FILE` in the config file) or from the config file's `waivers:` list,
 * and checked before anything starts. Every mistake is exit 2 naming the file, the line, the
 * entry's index and the field. Applying them to a report is src/rules/waivers.ts.
 */
import { HarnessError } from '../core/errors.js';
import { MAX_CONFIG_BYTES, readInputFile, STDIN } from '../io/files.js';
import type { FileWaiver } from './load.js';
import { parseYamlAs } from './load.js';
import { WAIVER } from './schema.js';

/** One checked waiver entry. */
export interface Waiver {
  /** A glob (`*`, `?`) matched against a target's id, name and endpoint. */
  target: string;
  /** A check id or glob. */
  check: string;
  reason: string;
  owner: string;
  /** The last day it holds (UTC, inclusive): YYYY-MM-DD. */
  expires: string;
  /** 0-based position in the file's `waivers:` list, and its line. */
  index: number;
  line?: number;
}

/** The waivers of a run and the file they come from. */
export interface WaiverSet {
  file: string;
  entries: Waiver[];
}

/**
 * What `mtls-harness baseline` writes as a reason: loading refuses it (and an empty reason) until a
 * human says why the finding is accepted.
 */
export const REASON_PLACEHOLDER = 'TODO';

const FIELDS = ['target', 'check', 'reason', 'owner', 'expires'] as const;

/** A date YYYY-MM-DD that exists in the calendar. */
export function isCalendarDate(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

/** Checks the entries as written (the walk checked each key's type and refused unknown keys). */
export function checkWaivers(list: readonly FileWaiver[], file: string): WaiverSet {
  const entries = list.map((w, index): Waiver => {
    const at = `${file}:${w.line ?? 1}: waivers[${index}]`;
    for (const f of FIELDS) {
      const value = w[f];
      if (value === undefined) throw new HarnessError('config.invalid', `${at}.${f} is required (every waiver has target, check, reason, owner and expires)`);
      if (value.trim() === '') throw new HarnessError('config.invalid', `${at}.${f} is empty${f === 'reason' ? ': write why this finding is accepted' : ''}`);
    }
    if (w.reason!.trim().toUpperCase().startsWith(REASON_PLACEHOLDER))
      throw new HarnessError('config.invalid', `${at}.reason is still the placeholder "${REASON_PLACEHOLDER}": write why this finding is accepted`);
    if (!isCalendarDate(w.expires!.trim()))
      throw new HarnessError('config.invalid', `${at}.expires must be a date YYYY-MM-DD (the last day the waiver holds, UTC), not "${w.expires}"`);
    return {
      target: w.target!.trim(),
      check: w.check!.trim(),
      reason: w.reason!.trim(),
      owner: w.owner!.trim(),
      expires: w.expires!.trim(),
      index,
      ...(w.line ? { line: w.line } : {}),
    };
  });
  return { file, entries };
}

/** The shape of a waivers file: `waivers:` and nothing else. */
const WAIVERS_FILE = { t: 'map' as const, shape: { waivers: { t: 'list' as const, of: WAIVER } } };

/** Reads and checks a waivers file (YAML or JSON, `-` for stdin): `waivers:` with a list of entries. */
export function loadWaiversFile(file: string): WaiverSet {
  const name = file === STDIN ? '(stdin)' : file;
  const text = readInputFile(file, 'waivers file', MAX_CONFIG_BYTES).toString('utf8');
  const doc = parseYamlAs(text, name, WAIVERS_FILE) as { waivers?: FileWaiver[] } | undefined;
  if (!doc?.waivers) throw new HarnessError('config.invalid', `${name}: no waivers: list (write "waivers: []" for none; docs/waivers.md)`);
  return checkWaivers(doc.waivers, name);
}
