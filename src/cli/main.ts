#!/usr/bin/env node
import { runCli } from './run.js';

// Ctrl-C / SIGTERM: run the registered cleanups (stop reference servers and containers), then exit 130.
const cleanups = new Set<() => void | Promise<void>>();
let interrupted = false;
const onSignal = (sig: NodeJS.Signals) => {
  if (interrupted) process.exit(130);
  interrupted = true;
  process.stderr.write(`\nmtls-harness: ${sig}: stopping…\n`);
  const force = setTimeout(() => process.exit(130), 10_000);
  force.unref();
  void Promise.allSettled([...cleanups].map((fn) => fn())).then(() => process.exit(130));
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  onInterrupt(fn) {
    cleanups.add(fn);
    return () => cleanups.delete(fn);
  },
});
process.exitCode = code;
