import { createHash } from 'node:crypto';
import type { Reporter } from './types.js';

/**
 * The JSON report (DESIGN.md "Reports", the machine contract): written piece by piece, its SHA-256
 * taken on the way (the HTML report carries it).
 */
export const jsonReporter: Reporter = {
  name: 'json',
  what: 'JSON',
  flag: '--json',
  env: 'MTLS_JSON',
  configKey: 'json',
  stdout: true,
  // probe's --json is its own (a switch: the diagnosis on stdout instead of the table).
  documents: ['run'],
  help: 'JSON report (- for stdout instead of the table)',
  async write(doc, out) {
    const hash = createHash('sha256');
    for (const piece of doc.json()) {
      hash.update(piece, 'utf8');
      await out.write(piece);
    }
    doc.recordJsonSha256(hash.digest('hex'));
  },
};
