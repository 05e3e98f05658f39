import { JUNIT_WARN_AS, junitChunks, type JunitWarnAs } from '../junit.js';
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
  settings: [
    {
      flag: '--junit-warn-as',
      env: 'MTLS_JUNIT_WARN_AS',
      configKey: 'junitWarnAs',
      values: JUNIT_WARN_AS,
      default: 'output',
      help: 'A warned check in JUnit: output (default: the testcase\'s own system-out and a status=warn property), failure (<failure type="warn">: CI shows it as failing; the exit code is unchanged), suite (the testsuite\'s system-out only: the strict Ant schema)',
    },
  ],
  prepare: (_env, settings) => ({ warnAs: (settings['junit-warn-as'] ?? 'output') as JunitWarnAs }),
  async write(doc, out, prepared) {
    if (!doc.run) throw new Error('a JUnit report needs a run');
    await writePieces(out, junitChunks(doc.run, (prepared as { warnAs: JunitWarnAs } | undefined) ?? {}));
  },
};
