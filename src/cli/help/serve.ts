import { examples } from './format.js';
import { runSharedOptionsHelp } from './run.js';

/** `mtls-harness serve --help`. */
export function serveHelp(): string {
  return `Usage: mtls-harness serve --config mtls.yaml [--interval 5m] [options]
       mtls-harness serve --target HOST:PORT ... [options]

Runs the targets of \`run\` on an interval, never two runs at once, and serves
Prometheus metrics, a health check and the last HTML report over HTTP
(docs/serve.md). Config and credentials are read again before each run.

Serve:
  --listen HOST:PORT        where to serve (default 127.0.0.1:9464; in a pod:
                            0.0.0.0:9464); GET /metrics, /healthz, /report
  --interval DURATION       from the start of one run to the next (default 5m,
                            at least 1s); a longer run delays the next
  --jitter DURATION         at most this much added at random to each wait
                            (default 0)
Targets (as run):
  --target HOST:PORT        a live target (repeatable)
  --targets-file FILE       one host:port[,servername] per line (# comments)
  --reference IMPL          a reference server, started for each run
  --profile NAME            ... in this profile (strict, no-client-auth, ...)
  --provider P              process (default) or container (testcontainers)
${runSharedOptionsHelp()}
Report files asked for are rewritten after each run (never stdout: serve logs
one line per run on stderr; with --quiet only the runs that failed).

Exit status: 2 usage or configuration error (nothing was served); 130 stopped
(SIGTERM or Ctrl-C: the run in progress is abandoned, the server closed).

${examples('mtls-harness serve --config mtls.yaml --interval 5m --jitter 30s', 'mtls-harness serve --reference node --profile strict --interval 1m')}`;
}
