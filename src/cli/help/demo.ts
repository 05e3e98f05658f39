import { examples } from './format.js';

/** `mtls-harness demo --help`. */
export function demoHelp(): string {
  return `Usage: mtls-harness demo [--html FILE] [--json FILE]

Starts the node reference server on 127.0.0.1 (fresh fixture PKI, no Docker, no
external server):
1. probes profile "strict" and then "optional-client-cert" with and without the
   fixture client certificate and prints the diagnosis of each;
2. runs the whole catalogue against strict, optional-client-cert and
   rotation-graceful (a node process that rotates its certificate while it is
   probed) and writes the HTML evidence report (default reports/demo.html) and
   its JSON (default reports/demo.json).

Options:
  --html FILE               the HTML report (default reports/demo.html)
  --json FILE               the JSON report (default reports/demo.json)

Exit status 0 when every verdict comes out as expected (strict: enforced;
optional-client-cert: not enforced; rotation-graceful: no failed handshake).

${examples('mtls-harness demo', 'mtls-harness demo --html /tmp/demo.html --json /tmp/demo.json')}`;
}
