/**
 * `mtls-harness serve`: the flags of `run` plus --listen, --interval and --jitter; everything is
 * validated (a first plan of the run) before the server listens, then the library's monitor
 * (src/app/serve) runs until SIGTERM or Ctrl-C.
 */
import { parseEndpoint, type Endpoint } from '../../core/endpoint.js';
import { HarnessError } from '../../core/errors.js';
import { safeText } from '../../core/text.js';
import { parseDuration } from '../../config/values.js';
import { reportsToStdout } from '../../report/reporters/index.js';
import { planRun } from '../../app/run.js';
import { startServe } from '../../app/serve/monitor.js';
import { parseCommandArgs, reportOptions } from '../args.js';
import type { CliIO } from '../io.js';
import { listChecks } from '../list-checks.js';
import { serveHelp } from '../help/serve.js';
import { RUN_SHARED_OPTIONS, RUN_TARGET_OPTIONS } from './run.js';

export const DEFAULT_LISTEN = '127.0.0.1:9464';
const DEFAULT_INTERVAL = '5m';

/** `--listen HOST:PORT` (port 0: any free port, said in the log). */
export function parseListen(text: string): Endpoint {
  const any = /:0$/.test(text.trim());
  try {
    const e = parseEndpoint(any ? `${text.trim().slice(0, -2)}:1` : text);
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text.trim())) throw new Error('a URL');
    return any ? { host: e.host, port: 0 } : e;
  } catch {
    throw new HarnessError('usage.invalid-value', `serve: --listen "${safeText(text, 80)}" is not HOST:PORT (e.g. 127.0.0.1:9464, 0.0.0.0:9464, [::]:9464)`);
  }
}

export async function serveCommand(argv: string[], io: CliIO): Promise<number> {
  const { values: v, positionals } = parseCommandArgs('serve', argv, {
    ...RUN_TARGET_OPTIONS,
    ...RUN_SHARED_OPTIONS,
    ...reportOptions(),
    listen: { type: 'string' },
    interval: { type: 'string' },
    jitter: { type: 'string' },
  });
  if (v.help) {
    io.stdout.write(serveHelp());
    return 0;
  }
  if (v['list-checks']) return listChecks(io);
  if (positionals.length > 0)
    throw new HarnessError('usage.invalid-value', `serve: unexpected argument "${safeText(positionals[0]!, 80)}" (targets go in --target HOST:PORT)`);
  const intervalMs = parseDuration('--interval', (v.interval as string | undefined) ?? DEFAULT_INTERVAL);
  if (intervalMs < 1000) throw new HarnessError('usage.invalid-value', 'serve: --interval must be at least 1s');
  const jitterMs = v.jitter !== undefined ? parseDuration('--jitter', v.jitter as string) : 0;
  const listen = parseListen((v.listen as string | undefined) ?? DEFAULT_LISTEN);
  // Everything the runs will read is checked now: a bad flag or config is exit 2, nothing served.
  const plan = await planRun(v, { env: io.env, command: 'serve' });
  if (reportsToStdout(plan.settings.reports))
    throw new HarnessError('usage.invalid-value', 'serve: reports go to files (stdout is not a report destination for serve; it logs on stderr)');

  const log = (line: string) => void io.stderr.write(`mtls-harness ${line}\n`);
  let serving: Awaited<ReturnType<typeof startServe>>;
  try {
    serving = await startServe({ values: v, env: io.env, argv: ['serve', ...argv], listen, intervalMs, jitterMs, log, quiet: !!v.quiet, streams: io });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new HarnessError(
      'usage.invalid-value',
      `serve: cannot listen on ${safeText(v.listen ? String(v.listen) : DEFAULT_LISTEN, 80)}: ${safeText(String(code), 80)}`,
    );
  }
  log(`serve: listening on ${serving.http.url} (/metrics, /healthz, /report); a run every ${(intervalMs / 1000).toString()} s`);
  await new Promise<void>((resolve) => {
    const unregister = io.onInterrupt?.(async () => {
      await serving.stop();
      unregister?.();
      resolve();
    });
  });
  return 130;
}
