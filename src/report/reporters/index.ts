/**
 * The report formats, in one map (issue 17; vitest's reporter map is the model). Every command's
 * report flags, the MTLS_* variables, the config file's `reports:` keys, the help lines and the
 * checks made before anything runs are derived from it: a new format is one file in this folder
 * and one entry in REPORTERS. The heavy writers (the HTML renderer, the browser driver) are loaded
 * by each reporter's `write`, only when its report is asked for.
 */
import * as path from 'node:path';
import { HarnessError } from '../../core/errors.js';
import { safeText } from '../../core/text.js';
import { htmlReporter } from './html.js';
import { jsonReporter } from './json.js';
import { junitReporter } from './junit.js';
import { pdfReporter } from './pdf.js';
import { sarifReporter } from './sarif.js';
import type { DocumentKind, Reporter, ReporterSetting } from './types.js';

export type { DocumentKind, ReportDocument, Reporter, ReporterSetting } from './types.js';

/** The reporters by name, in the order a run writes their reports (JSON first: the HTML reuses its digest). */
export const REPORTERS: Record<string, Reporter> = {
  json: jsonReporter,
  junit: junitReporter,
  html: htmlReporter,
  pdf: pdfReporter,
  sarif: sarifReporter,
};

/**
 * Adds a reporter to REPORTERS at run time (embedding, tests): from then on its flag, variable and
 * config key work like the others'. Its name, flag, variable and config key must be new.
 */
export function registerReporter(r: Reporter): void {
  if (!/^[a-z][a-z0-9-]*$/.test(r.name)) throw new Error(`reporter name "${r.name}": lower-case letters, digits and hyphens`);
  if (!/^--[a-z][a-z0-9-]*$/.test(r.flag)) throw new Error(`reporter ${r.name}: flag "${r.flag}" is not a long option`);
  for (const other of Object.values(REPORTERS)) {
    if (other.name === r.name || other.flag === r.flag || (r.env && other.env === r.env) || (r.configKey && other.configKey === r.configKey)) {
      throw new Error(`reporter ${r.name}: its name, flag, environment variable or config key is already ${other.name}'s`);
    }
  }
  REPORTERS[r.name] = r;
}

/** The reporters that can write a `kind` document, in REPORTERS order. */
export function reportersFor(kind: DocumentKind = 'run'): Reporter[] {
  return Object.values(REPORTERS).filter((r) => r.documents.includes(kind));
}

/** The option name parseArgs knows a reporter's flag by (`--json` → `json`). */
export const optionName = (r: Reporter) => r.flag.slice(2);

/** parseArgs options for the reporters' flags (each takes a file name) and their settings' flags. */
export function reporterOptions(list: readonly Reporter[] = reportersFor('run')): Record<string, { type: 'string' }> {
  const names = list.flatMap((r) => [optionName(r), ...(r.settings ?? []).map((s) => s.flag.slice(2))]);
  return Object.fromEntries(names.map((n) => [n, { type: 'string' as const }]));
}

/** The config file's `reports:` keys (the reporters' files and settings). */
export function reportConfigKeys(): string[] {
  return Object.values(REPORTERS).flatMap((r) => [r.configKey, ...(r.settings ?? []).map((s) => s.configKey)].filter((k): k is string => !!k));
}

/** The environment variables naming report files and their settings (run, k8s scan). */
export function reportEnvNames(list: readonly Reporter[] = reportersFor('run')): string[] {
  return list.flatMap((r) => [r.env, ...(r.settings ?? []).map((s) => s.env)].filter((e): e is string => !!e));
}

/**
 * The help lines of the reporters' flags, in the commands' two-column layout (descriptions from
 * column 28), each reporter's text word-wrapped so that no line is longer than `width` (80).
 */
export function reportHelp(list: readonly Reporter[] = reportersFor('run'), width = 80): string {
  const col = 28;
  const entries = list.flatMap((r) => [
    { head: `  ${r.flag} FILE`, help: r.help },
    ...(r.settings ?? []).map((s) => ({ head: `  ${s.flag} ${s.values.join('|')}`, help: s.help })),
  ]);
  return entries
    .map((r) => {
      const head = r.head;
      const lines: string[] = [];
      let line = head.length < col ? head.padEnd(col) : `${head}  `;
      let empty = true;
      for (const word of r.help.split(/\s+/).filter(Boolean)) {
        if (!empty && line.length + 1 + word.length > width) {
          lines.push(line);
          line = ' '.repeat(col);
          empty = true;
        }
        line += (empty ? '' : ' ') + word;
        empty = false;
      }
      return [...lines, line].join('\n');
    })
    .join('\n');
}

/** A report to write: the reporter, where (`-`: stdout), and what its `prepare` returned. */
export interface SelectedReport {
  reporter: Reporter;
  file: string;
  prepared: unknown;
}

/** Where each report's file name may come from, for one command. */
export interface ReportSources {
  /** The parsed flags (by option name). */
  values: Record<string, unknown>;
  /** The environment: each reporter's `prepare` reads it (the PDF's $MTLS_CHROMIUM). */
  env: NodeJS.ProcessEnv;
  /** Honour each reporter's environment variable (run, k8s scan): a flag wins over it. */
  fromEnv?: boolean;
  /** The config file's `reports:` (paths relative to its folder): flag and environment win over it. */
  config?: { reports?: Record<string, string | undefined> | undefined; baseDir: string };
  /** The document the command writes (default `run`): which reporters it offers. */
  kind?: DocumentKind;
  /** When this command keeps stdout for itself (probe): why, and no report may go there. */
  stdoutTaken?: string;
}

/**
 * The reports a command was asked for (flag > environment > config file), checked before anything
 * runs: `-` only for a reporter that may go to stdout (and when the command leaves stdout to
 * reports), at most one report on stdout (two documents there cannot be told apart), and each
 * reporter's `prepare` (the PDF's Chromium). Usage errors (exit 2) name the flags. In REPORTERS order.
 */
export function resolveReports(command: string, src: ReportSources): SelectedReport[] {
  const picked: { reporter: Reporter; file: string }[] = [];
  for (const r of reportersFor(src.kind ?? 'run')) {
    const flag = src.values[optionName(r)];
    const fromEnv = r.env !== undefined && src.fromEnv ? src.env[r.env] : undefined;
    const fromConfig = r.configKey !== undefined ? src.config?.reports?.[r.configKey] : undefined;
    const file =
      typeof flag === 'string'
        ? flag
        : fromEnv !== undefined && fromEnv !== ''
          ? fromEnv
          : fromConfig
            ? path.resolve(src.config!.baseDir, fromConfig)
            : undefined;
    if (file !== undefined && file !== '') picked.push({ reporter: r, file });
  }
  for (const { reporter: r, file } of picked) {
    if (file !== '-') continue;
    if (r.stdout !== true) throw new HarnessError('usage.invalid-value', `${command}: ${r.flag} needs a file name (${r.stdout})`);
    if (src.stdoutTaken) throw new HarnessError('usage.invalid-value', `${command}: ${r.flag} needs a file name (${src.stdoutTaken})`);
  }
  const toStdout = picked.filter((p) => p.file === '-');
  if (toStdout.length > 1)
    throw new HarnessError(
      'usage.invalid-value',
      `${command}: only one report can go to stdout (${toStdout.map((p) => `${p.reporter.flag} -`).join(', ')}): two documents there could not be told apart; write the others to files`,
    );
  for (const r of reportersFor(src.kind ?? 'run'))
    for (const s of r.settings ?? [])
      if (typeof src.values[s.flag.slice(2)] === 'string' && !picked.some((p) => p.reporter === r))
        throw new HarnessError('usage.invalid-value', `${command}: ${s.flag} applies to the ${r.what} report: give ${r.flag} FILE too`);
  return picked.map(({ reporter, file }) => ({ reporter, file, prepared: reporter.prepare?.(src.env, settingValues(command, reporter, src)) }));
}

/** A reporter's settings (flag > environment > config file > default), each checked against its values (exit 2). */
function settingValues(command: string, r: Reporter, src: ReportSources): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of r.settings ?? []) {
    const flag = src.values[s.flag.slice(2)];
    const fromEnv = s.env !== undefined && src.fromEnv ? src.env[s.env] : undefined;
    const fromConfig = s.configKey !== undefined ? src.config?.reports?.[s.configKey] : undefined;
    const [where, value] = pickSetting(s, typeof flag === 'string' ? flag : undefined, fromEnv || undefined, fromConfig || undefined);
    if (!s.values.includes(value))
      throw new HarnessError('usage.invalid-value', `${command}: ${where} must be ${s.values.join(' or ')}, not "${safeText(value, 40)}"`);
    out[s.flag.slice(2)] = value;
  }
  return out;
}

function pickSetting(s: ReporterSetting, flag?: string, env?: string, config?: string): [where: string, value: string] {
  if (flag !== undefined) return [s.flag, flag];
  if (env !== undefined) return [`$${s.env}`, env];
  if (config !== undefined) return [`reports.${s.configKey}`, config];
  return [s.flag, s.default];
}

/** True when a report goes to stdout (the command then prints no table there). */
export function reportsToStdout(list: readonly SelectedReport[]): boolean {
  return list.some((s) => s.file === '-');
}

/** `[flag, file]` pairs for assertReportPaths. */
export function reportPaths(list: readonly SelectedReport[]): [flag: string, file: string][] {
  return list.map((s) => [s.reporter.flag, s.file]);
}
