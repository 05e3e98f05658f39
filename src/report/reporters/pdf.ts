import { findChromium, printHtmlToPdfStreamed } from '../pdf.js';
import { requireInstalled } from '../../io/optional.js';
import type { Reporter } from './types.js';

/**
 * The HTML report printed to PDF by Chromium: the HTML is streamed into a private temporary
 * folder, Chromium loads that file, and the PDF is streamed back into the report file. The browser
 * driver (playwright-core) and the renderer are loaded only when this report is asked for.
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
    await printHtmlToPdfStreamed(streamHtmlReport(page), chromium as string, out);
  },
};
