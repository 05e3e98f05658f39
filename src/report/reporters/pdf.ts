import { findChromium, printHtmlToPdfStreamed } from '../pdf.js';
import { attachJson, ATTACHMENT_NAME } from '../pdf-attach.js';
import { requireInstalled } from '../../io/optional.js';
import type { Reporter } from './types.js';

/**
 * The HTML report printed to PDF by Chromium: the HTML is streamed into a private temporary
 * folder, Chromium loads that file, and the PDF is streamed back into the report file. The browser
 * driver (playwright-core) and the renderer are loaded only when this report is asked for. The
 * JSON report's exact bytes are attached to the PDF (report.json; its SHA-256 is printed in it).
 */
export const pdfReporter: Reporter = {
  name: 'pdf',
  what: 'PDF',
  flag: '--pdf',
  env: 'MTLS_PDF',
  configKey: 'pdf',
  stdout: 'a PDF is not written to stdout',
  documents: ['run', 'probe'],
  help: 'the HTML report printed to PDF by Chromium (/usr/bin/chromium or\n$MTLS_CHROMIUM)',
  // The browser driver and Chromium are looked up before anything starts: either missing is a usage
  // error (exit 2), not a lost report.
  prepare: (env) => {
    requireInstalled('playwright-core');
    return findChromium(env);
  },
  async load(doc) {
    await Promise.all([doc.htmlPage(), import('../html/render.js')]);
  },
  async write(doc, out, chromium) {
    const [page, { streamHtmlReport }] = await Promise.all([doc.htmlPage(), import('../html/render.js')]);
    // Chromium's PDF is held (pdf-lib rewrites it), the JSON's exact bytes attached (docs/evidence.md).
    const parts: Buffer[] = [];
    await printHtmlToPdfStreamed(streamHtmlReport(page), chromium as string, {
      write: async (b) => void parts.push(typeof b === 'string' ? Buffer.from(b) : b),
    });
    const json = Buffer.concat([...doc.json()].map((p) => Buffer.from(p, 'utf8')));
    const finished = doc.run ? new Date(doc.run.finishedAt) : undefined;
    const pdf = await attachJson(Buffer.concat(parts), {
      name: ATTACHMENT_NAME[doc.kind],
      bytes: json,
      sha256: doc.jsonSha256(),
      ...(finished ? { date: finished } : {}),
    });
    await out.write(Buffer.from(pdf.buffer, pdf.byteOffset, pdf.byteLength));
  },
};
