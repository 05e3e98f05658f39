/**
 * Writing a command's reports: the document the reporters read, and the writer that runs each
 * reporter on it. It loads no document builder (the run report's JSON reads the catalogue for its
 * suite titles): `probe` writes its own document with these alone.
 */
import { createHash } from 'node:crypto';
import { safeText } from '../core/text.js';
import { DEFAULT_REPORT_MODE } from '../io/files.js';
import type { RunReport } from '../core/model.js';
import type { HtmlPage, JsonBytes } from './html/model.js';
import type { DocumentKind, ReportDocument, SelectedReport } from './reporters/index.js';
import { writeFileAtomicStreamed, writeStreamed, type TextOut } from './sink.js';

/**
 * A document for the reporters: `json` gives the JSON document's pieces (anew on each call),
 * `page` builds the HTML page from their digest. The digest is taken once: recorded by the JSON
 * reporter when it wrote them, else by one pass over them.
 */
export function makeDocument(kind: DocumentKind, json: () => Iterable<string>, page: (json: JsonBytes) => Promise<HtmlPage>, run?: RunReport): ReportDocument {
  let sha256: string | undefined;
  let html: Promise<HtmlPage> | undefined;
  const doc: ReportDocument = {
    kind,
    ...(run ? { run } : {}),
    json,
    jsonSha256() {
      if (sha256 === undefined) {
        const hash = createHash('sha256');
        for (const piece of json()) hash.update(piece, 'utf8');
        sha256 = hash.digest('hex');
      }
      return sha256;
    },
    recordJsonSha256(hex) {
      sha256 = hex;
    },
    // The digest is read when the page renders (a getter): after a JSON report written first recorded it.
    htmlPage: () =>
      (html ??= page({
        get sha256() {
          return doc.jsonSha256();
        },
        json,
      })),
  };
  return doc;
}

/**
 * Writes each report on its own, as it is generated (never a whole report in memory): one failing
 * (unwritable path, renderer error) never loses another's output, and the failure is one plain line
 * on stderr. A file is written atomically with `mode` (0600 by default: reports hold evidence) and
 * appears only complete; `-` is stdout. Returns false when any report failed.
 */
export async function writeReports(
  list: readonly SelectedReport[],
  doc: ReportDocument,
  io: { stdout: TextOut; stderr: { write(s: string): unknown } },
  mode: number = DEFAULT_REPORT_MODE,
): Promise<boolean> {
  let ok = true;
  // What the writers need is imported first: writing then turns no event loop (see sink.ts).
  const loaded = new Set<object>();
  const loadFailed = new Map<object, unknown>();
  for (const { reporter } of list) {
    try {
      await reporter.load?.(doc);
      loaded.add(reporter);
    } catch (e) {
      loadFailed.set(reporter, e);
    }
  }
  for (const { reporter, file, prepared } of list) {
    try {
      if (!loaded.has(reporter)) throw loadFailed.get(reporter);
      const produce = (out: Parameters<typeof reporter.write>[1]) => reporter.write(doc, out, prepared);
      if (file === '-') await writeStreamed(io.stdout, produce);
      else await writeFileAtomicStreamed(file, produce, mode); // temp file + rename: a symlink at `file` is replaced, never followed
    } catch (e) {
      ok = false;
      const err = e as NodeJS.ErrnoException;
      const reason = err.code && /^E[A-Z]+$/.test(err.code) ? err.code : (err.message ?? String(e)).split('\n')[0];
      io.stderr.write(`mtls-harness: error: could not write the ${reporter.what} report to ${safeText(file, 300)}: ${safeText(String(reason), 300)}\n`);
    }
  }
  return ok;
}
