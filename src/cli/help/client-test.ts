import { CHECK_LINES, examples, FAIL_ON_LINE } from './format.js';
import { reportsSection } from './reports.js';

/** `mtls-harness client-test --help`. */
export function clientTestHelp(): string {
  return `Usage: mtls-harness client-test [options] -- COMMAND ARGS...
       mtls-harness client-test --config mtls.yaml        (its clients: list)
       mtls-harness client-test --corpus limbo [options] -- COMMAND ARGS...

Tests an mTLS *client*: starts reference servers on 127.0.0.1 and runs COMMAND
once per check, with these placeholders substituted in its arguments and
environment (also set as MTLS_HOST, MTLS_PORT, MTLS_URL, MTLS_CA, MTLS_CERT,
MTLS_KEY, MTLS_SERVERNAME, MTLS_RESOLVE):
  {host} {port}   where the reference server listens (127.0.0.1, a free port)
  {url}           https://{servername}:{port}/
  {servername}    the name to verify and send as SNI (localhost; the case's
                  name with --corpus)
  {ca}            the CA certificate to trust (PEM file)
  {cert} {key}    the client's certificate and key (PEM files; the key 0600,
                  deleted afterwards)
  {resolve}       {servername}:{port}:{host}, for curl --resolve

Checks (suite client-conformance; --list-checks lists them): the server sees
whether a certificate chaining to the CA was presented and whether a request
arrived; the command's exit status is evidence.

Options:
  --name NAME               the client's name in reports (default: the
                            program's name)
  --reference IMPL          the observing server: node (default, in-process)
                            or nginx (read from its logs)
${CHECK_LINES}
  --corpus limbo            run the x509-limbo corpus instead: per case, a
                            server presents the case's chain; the client must
                            route {servername} to {host}:{port} (curl:
                            --connect-to ::{host}:{port}) and connect or
                            refuse as expected
  --case GLOB,GLOB          limbo cases whose id matches ('webpki::san::*')
  --concurrency N           limbo cases at once (default 4)
  --timeout DURATION        one run of the command (default 10s)
${FAIL_ON_LINE}
  --config FILE             YAML/JSON with clients: [{name, command, env,
                            timeout}] (docs/config.md)
${reportsSection()}

Exit status: 0 no fail and no error; 1 otherwise (with --corpus: a
disagreement is a fail); 2 usage or configuration error (nothing was run);
130 interrupted (the reports are still written, marked incomplete).

${examples(
  'mtls-harness client-test -- curl --cacert {ca} --cert {cert} --key {key} {url}',
  'mtls-harness client-test --config mtls.yaml --junit client.xml',
  "mtls-harness client-test --corpus limbo --case 'webpki::san::*' -- ./client",
)}`;
}
