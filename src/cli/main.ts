#!/usr/bin/env node
import { internalFailure } from '../core/errors.js';
import { runCli } from './run.js';

// Ctrl-C / SIGTERM: run the registered cleanups (stop reference servers and containers), then exit 130.
const cleanups = new Set<(reason?: Error) => void | Promise<void>>();
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

// Last line of defence: an exception that escapes anyway (a throw in a socket handler) ends the run
// the way Ctrl-C does — the registered handlers write the reports with what finished (the rest
// "not finished: internal error …") and stop what was started — then one line and exit 1.
let crashed = false;
const onEscaped = (e: unknown) => {
  if (crashed || interrupted) return;
  crashed = true;
  const reason = internalFailure(e);
  process.stderr.write(
    `mtls-harness: ${reason.message} (please report this with the command you ran; set MTLS_HARNESS_DEBUG=1 for details); the reports hold what finished\n`,
  );
  if (process.env.MTLS_HARNESS_DEBUG && e instanceof Error) process.stderr.write(`${e.stack ?? ''}\n`);
  const force = setTimeout(() => process.exit(1), 10_000);
  force.unref();
  void Promise.allSettled([...cleanups].map((fn) => fn(reason))).then(() => process.exit(1));
};
process.on('uncaughtException', onEscaped);
process.on('unhandledRejection', onEscaped);

const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  onInterrupt(fn) {
    cleanups.add(fn);
    return () => cleanups.delete(fn);
  },
});
process.exitCode = crashed ? 1 : code;
