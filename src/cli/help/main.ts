import { examples } from './format.js';

/** `mtls-harness --help`. The implementations listed are test/help.test.ts's to keep in step. */
export function mainHelp(): string {
  return `Usage: mtls-harness <command> [options]

Proves (or disproves) that a service really enforces mutual TLS.

Commands:
  probe HOST:PORT...  diagnose endpoints: client-auth mode, where a client
                      without a certificate is refused, whether yours is
                      accepted, server chain and SANs
  run                 run the conformance suites against targets or a
                      reference server; JSON/JUnit/HTML/PDF reports
  serve               run the targets on an interval; Prometheus /metrics
  client-test -- CMD  test an mTLS client: does it present its certificate,
                      does it refuse bad servers (--corpus limbo: x509-limbo)
  audit PATH...       audit certificate and key files offline: parse, key
                      match, chain, SANs, EKU, expiry, key permissions
  diff OLD NEW        what changed between two JSON reports: new findings,
                      fixed ones, changed certificates (--fail-on new)
  k8s scan            probe a namespace's Services through port-forward and
                      audit its Secrets, ConfigMaps, Pods and Certificates
  github REPORT.json  GitHub Actions annotations and step summary of a report
  certs init          generate an mTLS PKI with your stack's file names
  reference start     start a reference server until Ctrl-C: node, node-grpc,
                      openssl, nginx, haproxy, stunnel, caddy, gnutls,
                      apache, apache-location, postgres, mariadb,
                      mosquitto, redis
  report merge        merge JSON run reports (one per cluster) into one fleet
                      report, each source's SHA-256 kept
  demo                probe and test the node reference; reports/demo.html
  baseline REPORT     a waivers file from a JSON report (docs/waivers.md)
  help CMD, --version

"mtls-harness CMD --help" lists a command's options; an option means the same
in every command (docs/options.md). Documentation: README.md and docs/ (one
page per command: docs/README.md; the checks: docs/CONFORMANCE.md).

Exit status: 0 pass, 1 fail or error, 2 usage error, 130 interrupted (reports
still written).

${examples(
  'mtls-harness probe api.example.com:443 --cert client.pem --key client-key.pem',
  'mtls-harness run --reference node --profile strict --html report.html',
  'mtls-harness certs init --out pki --layout kong',
)}`;
}
