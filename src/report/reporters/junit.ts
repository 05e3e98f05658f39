import { junitChunks } from '../junit.js';
import { writePieces, type Reporter } from './types.js';

/** JUnit XML (the Apache Ant schema): one testsuite per (target, suite), written one at a time. */
export const junitReporter: Reporter = {
  name: 'junit',
  what: 'JUnit',
  flag: '--junit',
  env: 'MTLS_JUNIT',
  configKey: 'junit',
  stdout: true,
  documents: ['run'],
  help: 'JUnit XML report (- for stdout)',
  async write(doc, out) {
    if (!doc.run) throw new Error('a JUnit report needs a run');
    await writePieces(out, junitChunks(doc.run));
  },
};
