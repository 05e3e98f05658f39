import { writePieces, type Reporter } from './types.js';

/**
 * `--sarif FILE`: the SARIF 2.1.0 log of a run for GitHub code scanning (src/report/sarif.ts,
 * docs/sarif.md). The builder (and the catalogue it names the rules from) is loaded only when this
 * report is asked for.
 */
export const sarifReporter: Reporter = {
  name: 'sarif',
  what: 'SARIF',
  flag: '--sarif',
  env: 'MTLS_SARIF',
  configKey: 'sarif',
  stdout: true,
  documents: ['run'],
  help: 'SARIF 2.1.0 report for code scanning (- for stdout)',
  async load() {
    await import('../sarif.js');
  },
  async write(doc, out) {
    if (!doc.run) throw new Error('a SARIF report needs a run');
    const { sarifChunks } = await import('../sarif.js');
    await writePieces(out, sarifChunks(doc.run));
  },
};
