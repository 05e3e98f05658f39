import { examples } from './format.js';

/** `mtls-harness certs init --help` (and `certs --help`). The layouts are test/help.test.ts's to keep in step. */
export function certsHelp(): string {
  return `Usage: mtls-harness certs init --out DIR [options]
Also: mtls-harness certs revoke   a revoked client and its CRL
                                 (mtls-harness certs revoke -h)

Generates an mTLS PKI (CA, server and client certificates) with the file names
your stack expects (docs/certs.md).

Options:
  --out DIR               output directory (created 0700 if new)
  --layout NAME           the file names (default: default):
                            default      ca.pem ca-key.pem server.pem
                                         server-key.pem client.pem
                                         client-key.pem
                            gufo         ca.pem server.pem server-key.pem
                                         client.pem client-key.pem
                            kong         ca.crt ca.key server.crt server.key
                                         kong-client.crt kong-client.key
                                         kong-client.pem (cert+key)
                                         k8s-mtls-secrets.yaml
                            nova         ca.crt tls.crt tls.key client.crt
                                         client.key
                            per-service  ca.pem ca-key.pem <svc>/cert.pem
                                         <svc>/key.pem
  --services a,b,c        services for --layout per-service
  --cn NAME               server common name (also a DNS SAN unless --san)
  --san LIST              server SANs: DNS names and IP addresses, a,b,c
  --days N                leaf validity in days (default 365; the CA: 3650)
  --key-type T            ec (P-256, default), ec-p384, rsa (2048), rsa-3072,
                          rsa-4096
  --k8s-secrets FILE      also write Kubernetes Secret manifests (kong always
                          writes k8s-mtls-secrets.yaml)
  --namespace NS          namespace of the manifests and the in-cluster SANs
  --force                 replace existing files (never done without it)

Private keys are written with mode 0600, certificates 0644.

${examples(
  'mtls-harness certs init --out pki --cn api.example.com --san api,10.0.0.5',
  'mtls-harness certs init --out certs --layout kong --k8s-secrets secrets.yaml',
  'mtls-harness certs init --out svc --layout per-service --services api,web',
)}`;
}

/** `mtls-harness certs revoke --help`. */
export function certsRevokeHelp(): string {
  return `Usage: mtls-harness certs revoke --ca-cert FILE --ca-key FILE --out DIR

Mints a client certificate of your CA and a CRL of that CA listing it as
revoked, for you to deploy on the server. Then give the certificate and its key
to run as the revoked client, and chain.rejects-revoked-client is judged on a
live target (docs/CONFORMANCE.md "Revocation").

Options:
  --ca-cert FILE          the client CA's certificate (PEM)
  --ca-key FILE           its private key (never written, never logged)
  --out DIR               output directory: revoked-client.pem,
                          revoked-client-key.pem (0600), crl.pem
  --days N                validity of the certificate and of the CRL's
                          nextUpdate (default 30, at most 365)
  --force                 replace existing files (never done without it)
  --crl FILE              the CA's current CRL (PEM or DER): the new CRL
                          carries every entry it lists (never un-revoking)
                          and takes the next cRLNumber

${examples(
  'mtls-harness certs revoke --ca-cert ca.pem --ca-key ca-key.pem --out revoked',
  'mtls-harness certs revoke --ca-cert ca.pem --ca-key ca.key --out r --crl c.crl',
  'mtls-harness certs revoke --ca-cert ca.pem --ca-key ca.key --out r --days 7',
)}`;
}
