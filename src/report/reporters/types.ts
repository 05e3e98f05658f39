import type { RunReport } from '../../core/model.js';
import type { HtmlPage } from '../html/model.js';
import type { ReportSink } from '../sink.js';

/** What is reported: a run of checks (run, k8s scan, client-test, audit, demo) or probe diagnoses. */
export type DocumentKind = 'run' | 'probe';

/**
 * One run's (or probe's) reports are written from this, one after another. Nothing here holds a
 * rendered report: each reporter generates its bytes as it writes them.
 */
export interface ReportDocument {
  kind: DocumentKind;
  /** The run, for the reporters that read its results directly (JUnit; `run` documents only). */
  run?: RunReport;
  /** The JSON document's exact bytes (what `--json` writes), in pieces; generated anew on each call. */
  json(): Iterable<string>;
  /** SHA-256 (hex) of those bytes: recorded by the JSON reporter as it writes, else one pass over json(). */
  jsonSha256(): string;
  /** Records the digest of json()'s bytes (the JSON reporter, once it wrote them all). */
  recordJsonSha256(hex: string): void;
  /**
   * The HTML page of the document (its module loaded on the first call; the same page after).
   * Its digest is read when the page is rendered, so a JSON report written first gives it.
   */
  htmlPage(): Promise<HtmlPage>;
}

/**
 * A setting of one report format beyond its file (`--junit-warn-as failure`): a flag, an environment
 * variable and a key under the config file's `reports:`, resolved like the file (flag > environment >
 * config file) and handed to the reporter's `prepare`. Its value is one of `values` (else exit 2).
 */
export interface ReporterSetting {
  /** The command-line flag, e.g. `--junit-warn-as`. */
  flag: `--${string}`;
  env?: string;
  configKey?: string;
  values: readonly string[];
  /** The value when none is given. */
  default: string;
  /** Its text in the commands' help. */
  help: string;
}

/**
 * A report format. The CLI flag, the environment variable and the config file key of every
 * command that writes reports are derived from these fields (src/report/reporters/index.ts), and
 * so are the checks before anything runs (stdout, one report per path, what `prepare` checks).
 */
export interface Reporter {
  /** The key in REPORTERS, e.g. `json`. */
  name: string;
  /** In messages: "could not write the JSON report to …". */
  what: string;
  /** The command-line flag, e.g. `--json`: it takes a file name (`-` for stdout when `stdout` is true). */
  flag: `--${string}`;
  /** The environment variable naming its file (run, k8s scan), if any. */
  env?: string;
  /** The key under `reports:` in the config file (run, k8s scan, client-test), if any. */
  configKey?: string;
  /** True when `-` (stdout) is allowed, else why not (one clause, e.g. "a PDF is not written to stdout"). */
  stdout: true | string;
  /** The documents it can write. */
  documents: readonly DocumentKind[];
  /** Its text in the commands' help, word-wrapped there to 80 columns. */
  help: string;
  /** Its settings beyond the file (their values reach `prepare`, by flag name without `--`). */
  settings?: readonly ReporterSetting[];
  /**
   * Checks made when the flag is given, before anything runs (throw a usage error); the value
   * returned is handed to `write` (the PDF reporter: the Chromium it will use).
   */
  prepare?(env: NodeJS.ProcessEnv, settings: Readonly<Record<string, string>>): unknown;
  /**
   * Imports what `write` needs that is heavy (the HTML renderer): called for every report asked
   * for before the first one is written, and only then, so writing turns no event loop for it.
   */
  load?(doc: ReportDocument): Promise<void>;
  /** Writes the report of `doc` into `out`, piece by piece, each write done before the next (backpressure). */
  write(doc: ReportDocument, out: ReportSink, prepared: unknown): Promise<void>;
}

export { writePiecesTo as writePieces } from '../sink.js';
