import { reportEnvNames } from '../../report/reporters/index.js';
import { CHECK_LINES, examples, FAIL_ON_LINE } from './format.js';
import { reportsSection } from './reports.js';

/**
 * The options `run` shares with `k8s scan`: credentials, selection, policy, rotation, budgets, the
 * config file (k8s scan --help points here).
 */
export function runSharedOptionsHelp(): string {
  return `Credentials and connection:
  --ca FILE                 trust anchors for the server chain (and the client
                            CA's name)
  --cert FILE --key FILE    valid client credentials
  --key-passphrase-env VAR  environment variable holding the key's passphrase
  --p12 FILE                the client certificate, its chain and key as
                            PKCS#12 (.p12/.pfx), instead of --cert/--key; its
                            CA certificates are not trust anchors (--ca)
  --p12-passphrase-env VAR  environment variable holding its passphrase
                            (none: the empty passphrase is tried)
  --ca-key FILE             the client CA's private key: lets the harness mint
                            crafted client certificates (wrong EKU, CA as leaf,
                            expired, ...); never written anywhere
  --revoked-cert FILE, --revoked-key FILE
                            a client certificate your CA has revoked:
                            chain.rejects-revoked-client, and
                            chain.rejects-ocsp-revoked-client when it names
                            its OCSP responder (docs/CONFORMANCE.md)
  --crl FILE                your CA's CRL (PEM or DER; repeat): is the valid
                            client listed? (chain.client-cert-not-revoked)
  --fetch-crl               also fetch the client certificate's CRL
                            distribution points (http; off by default)
  --servername NAME         SNI and the name the server certificate must cover
  --expected-name NAME      another name the certificate must cover (repeat)
  --protocol P              https (default): one request after the handshake;
                            tls: only read; grpc: ALPN h2 and a Health/Check;
                            postgres, mysql (STARTTLS, a login), redis
                            (PING), mqtt (CONNECT), amqp (the protocol
                            header), ldap (StartTLS, WhoAmI), smtp, imap,
                            pop3 (STARTTLS; 465/993/995: tls):
                            docs/protocols.md
  --path PATH               HTTP path (default /); repeat: a target per path
  --app-user NAME           the user a postgres, mysql, imap or pop3 probe
                            logs in as (default the --cert's CN)
  --tls-min V, --tls-max V  TLS versions offered (1.2, 1.3; --max-tls is an
                            alias); the policy minimum is --min-tls
Selection and policy:
  --suite a,b               only these suites (ids: see --list-checks)
${CHECK_LINES}
  --min-tls V               policy minimum TLS version (default 1.2)
  --warn-days N             warn when a certificate expires within N days
                            (default 30)
  --fail-days N             fail when it expires within N days (default 7)
  --require-tls-rejection   a refusal only at the HTTP layer counts as fail
${FAIL_ON_LINE}
  --baseline FILE           a JSON report of an earlier run: the reports and
                            the table add what changed since (docs/diff.md)
  --fail-on new             with --baseline: exit 1 on new findings only
Rotation (suite rotation-continuity; docs/rotation.md):
  --rotation-command CMD    a command (run by /bin/sh) that rotates the live
                            target(s), e.g. "kubectl rollout restart deploy/x"
  --rotation-watch DURATION only observe for this window (e.g. 10m)
  --rotation-timeout D      the command's time limit (default 10m)
  --rate N                  handshakes per second while rotating (default 20)
  --in-flight N             handshakes open at once at most (default 4)
  --rotation-handshake-only no HTTP request per handshake
  --rotation-overlap-cert FILE, --rotation-overlap-key FILE
                            a client from the other CA: rotation.ca-overlap
Budgets and config:
  --timeout DURATION        per connection (default 5s)
  --concurrency N           targets scanned at once (default 16)
  --connections-per-target N
                            connections open at once to one target (default 8)
  --target-timeout DURATION time one target may take (default: max(30s, 6 x
                            --timeout)); a peer that stalls costs at most this
  --config FILE             YAML or JSON config (docs/config.md); flags win
  --waivers FILE            accepted findings (docs/waivers.md): waived ones
                            keep their status but do not fail the run
${reportsSection()}`;
}

/** `mtls-harness run --help`. */
export function runHelp(): string {
  return `Usage: mtls-harness run --target HOST:PORT ... [options]
       mtls-harness run --reference node --profile NAME [options]
       mtls-harness run --config mtls.yaml

Runs the conformance suites (docs/CONFORMANCE.md) against live targets or a
reference server, prints a table and writes the reports asked for.

Targets:
  --target HOST:PORT        a live target (repeatable)
  --targets-file FILE       one host:port[,servername] per line (# comments)
  --reference IMPL          start a reference server instead (node, openssl,
                            nginx, ...: docs/reference-servers.md)
  --profile NAME            ... in this profile (strict, no-client-auth, ...)
  --provider P              process (default) or container (testcontainers)
${runSharedOptionsHelp()}

Environment (flags win over it, it wins over the config file): MTLS_CONFIG,
MTLS_TARGETS (comma-separated), MTLS_CA, MTLS_CERT, MTLS_KEY, MTLS_CA_KEY,
MTLS_KEY_PASSPHRASE (the passphrase itself), MTLS_SERVERNAME, MTLS_TIMEOUT,
MTLS_CONCURRENCY, MTLS_FAIL_ON, MTLS_WARN_DAYS, MTLS_FAIL_DAYS, MTLS_MIN_TLS,
${wrapList([...reportEnvNames(), 'MTLS_CHROMIUM'])}.

Exit status: 0 no fail and no error (and no warn with --fail-on warn; with
--fail-on new, no new finding since --baseline); 1 otherwise; 2 usage or
configuration error (nothing was run); 130 interrupted.

${examples(
  'mtls-harness run --reference node --profile strict --html report.html',
  'mtls-harness run --target api:443 --ca ca.pem --cert c.pem --key k.pem --quiet',
  'mtls-harness run --config mtls.yaml --junit junit.xml --json -',
)}`;
}

/** A comma-separated list wrapped to 80 columns. */
function wrapList(items: string[]): string {
  const lines = [''];
  for (const item of items) {
    const last = lines[lines.length - 1]!;
    const piece = last ? `, ${item}` : item;
    if (last && last.length + piece.length > 79) {
      lines[lines.length - 1] = `${last},`;
      lines.push(item);
    } else lines[lines.length - 1] = last + piece;
  }
  return lines.join('\n');
}
