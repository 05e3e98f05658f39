import { reportersFor, reportHelp } from '../../report/reporters/index.js';
import { examples, REPORT_MODE_LINE } from './format.js';

/** `mtls-harness probe --help`. */
export function probeHelp(): string {
  return `Usage: mtls-harness probe HOST:PORT [HOST:PORT ...] [options]
       mtls-harness probe --targets-file FILE [options]

Diagnoses TLS endpoints: does each enforce client certificates, where does it
refuse a client without one (handshake, post-handshake, HTTP layer), is your
client certificate accepted, is the server chain complete and trusted, do its
SANs cover the name? Three connections per target: without a certificate,
with yours (the control: a refusal counts only when your valid client is
accepted), and with a self-signed one (a server that verifies refuses it).

Options:
  --ca FILE                 trust anchors for the server chain (default: the
                            system store)
  --cert FILE --key FILE    a client certificate (chain, leaf first) and key
  --key-passphrase-env VAR  environment variable holding the key's passphrase
  --p12 FILE                the client certificate, its chain and key as
                            PKCS#12 (.p12/.pfx), instead of --cert/--key; its
                            CA certificates are not trust anchors (--ca)
  --p12-passphrase-env VAR  environment variable holding its passphrase
                            (none: the empty passphrase is tried)
  --crl FILE                your CA's CRL (PEM or DER; repeat): is your client
                            certificate listed as revoked?
  --fetch-crl               also fetch its CRL distribution points (http; off
                            by default)
  --servername NAME         SNI and the name the server certificate must cover
                            (default: HOST)
  --tls-min V, --tls-max V  TLS versions to offer (1.2, 1.3); --max-tls is an
                            alias of --tls-max
  --protocol P              https (default): one HTTP request after the
                            handshake; tls: only read for --grace; grpc: ALPN
                            h2 and a grpc.health.v1 Health/Check call;
                            postgres, mysql (STARTTLS, a login), redis
                            (PING), mqtt (CONNECT), amqp (the protocol
                            header), ldap (StartTLS, WhoAmI), smtp, imap,
                            pop3 (STARTTLS; 465/993/995: tls):
                            docs/protocols.md
  --path PATH               HTTP path (default /); repeat: each path
  --app-user NAME           the user a postgres, mysql, imap or pop3 probe
                            logs in as (default the --cert's CN)
  --grace DURATION          tls: how long an accepted connection must stay
                            open (default 300ms)
  --timeout DURATION        per connection (default 5s)
  --warn-days N             warn when the server certificate expires within N
                            days (default 30)
  --fail-days N             fail when it expires within N days (default 7)
  --require-tls-rejection   a refusal only at the HTTP layer is not enforcement
  --targets-file FILE       one host:port[,servername] per line (# comments)
  --concurrency N           targets probed at once (default 16)
Output (several targets: one summary row per target):
  --json [FILE|-]           the diagnosis as JSON (several: {"diagnoses": []}):
                            to FILE beside the table, or alone / - to stdout
${reportHelp(reportersFor('probe'))}
${REPORT_MODE_LINE}
  --quiet                   no progress line; the table shows only WARN/FAIL
                            findings (several targets: the targets that do
                            not enforce); reports keep everything

Exit status: 0 client certificates are enforced (on every target); 1 they are
not, the evidence is inconclusive (e.g. no --cert/--key), or a server could not
be evaluated; 2 usage error (bad flag, missing or malformed file, key not
matching certificate); 130 interrupted (what finished is still reported).

${examples(
  'mtls-harness probe localhost:8443 --ca ca.pem --cert client.pem --key key.pem',
  'mtls-harness probe --targets-file hosts.txt --cert c.pem --key k.pem --json -',
  'mtls-harness probe api.internal:443 --protocol grpc --html probe.html',
)}`;
}
