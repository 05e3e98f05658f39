import { writePieces, type Reporter } from './types.js';

/**
 * The self-contained HTML evidence report: written one target section at a time, the JSON
 * report's bytes embedded (base64) and their SHA-256 shown. The renderer (preact) is loaded only
 * when this report is asked for.
 */
export const htmlReporter: Reporter = {
  name: 'html',
  what: 'HTML',
  flag: '--html',
  env: 'MTLS_HTML',
  configKey: 'html',
  stdout: true,
  documents: ['run', 'probe'],
  help: "self-contained HTML evidence report (- for stdout); carries the SHA-256\nof the JSON report's bytes and embeds them",
  async load(doc) {
    await Promise.all([doc.htmlPage(), import('../html/render.js')]);
  },
  async write(doc, out) {
    const [page, { streamHtmlReport }] = await Promise.all([doc.htmlPage(), import('../html/render.js')]);
    await writePieces(out, streamHtmlReport(page));
  },
};
