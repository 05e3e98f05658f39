import { examples, FAIL_ON_LINE } from './format.js';
import { reportsSection } from './reports.js';

/** `mtls-harness audit --help`. */
export function auditHelp(): string {
  return `Usage: mtls-harness audit PATH... [options]

Audits certificate and key files offline, files or directories; the layouts of
"mtls-harness certs init" (default, gufo, kong, nova, per-service) are
recognised. Every certificate is parsed and summarised; keys are matched to
their certificates; chains verified against the CA found among the files (or
--ca); SANs, EKU for the role, expiry, key strength, private key file
permissions, and private keys stored where a CA bundle belongs are checked
(suite offline-audit: --list-checks lists its checks).

Options:
  --list-checks             print the catalogue and exit
  --expected-name NAME      a name server certificates must cover (repeatable;
                            RFC 6125 matching)
  --role FILE=ROLE          the role of a certificate file: server, client,
                            peer (both) or ca (repeatable; default: from the
                            file name or the layout)
  --ca FILE                 verify chains against these trust anchors instead
                            of the CA files found
  --warn-days N             warn when a certificate expires within N days
                            (default 30)
  --alert-days N            the same as --warn-days (check-cert-expiry.sh's)
  --fail-days N             fail when it expires within N days (default 7)
  --key-passphrase-env VAR  environment variable holding the passphrase of
                            encrypted keys (without it their match is skipped)
  --p12-passphrase-env VAR  environment variable holding the passphrase of
                            .p12/.pfx archives (without it the empty one is
                            tried; what stays closed is said)
${FAIL_ON_LINE}
${reportsSection()}

A file that does not parse is a finding (audit.parse fail), not a usage error.
No private key is ever printed or written to a report.

Exit status: 0 no fail and no error (and no warn with --fail-on warn); 1
otherwise; 2 usage error (a path that does not exist, a bad flag, an
unreadable --ca).

${examples(
  'mtls-harness audit certs/ --expected-name api.example.com',
  'mtls-harness audit pki/ --role pki/tls.crt=server --fail-on warn --json -',
  'mtls-harness audit /etc/ssl/app --alert-days 30 --quiet',
)}`;
}
