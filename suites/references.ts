import { CRAFTED_PROFILES } from '../src/pki/crafted-profiles.js';

/** A normative source a check rests on: shown with each check in the HTML report. */
export interface Reference {
  /** Short citation, e.g. "RFC 8446 §4.4.2". */
  cite: string;
  /** What that section is about. */
  about: string;
  url: string;
}

const rfc = (n: number, section: string | undefined, about: string): Reference => ({
  cite: `RFC ${n}${section ? ` §${section}` : ''}`,
  about,
  url: `https://www.rfc-editor.org/rfc/rfc${n}${section ? `#section-${/^[A-Z]/.test(section) ? `appendix-${section}` : section}` : ''}`,
});

const TLS13_CERT = rfc(8446, '4.4.2', 'TLS 1.3 Certificate message: the sender’s certificate first, each following one certifying the one before');
const TLS13_RECV_CERT = rfc(8446, '4.4.2.4', 'Receiving a Certificate message: an empty client certificate may be refused with certificate_required');
const TLS13_CERT_REQ = rfc(8446, '4.3.2', 'CertificateRequest and its certificate_authorities extension');
const TLS12_CERT_REQ = rfc(5246, '7.4.4', 'TLS 1.2 CertificateRequest');
const TLS12_CLIENT_CERT = rfc(5246, '7.4.6', 'TLS 1.2 client Certificate: a server may abort when client authentication is required');
const TLS12_SERVER_CERT = rfc(5246, '7.4.2', 'TLS 1.2 server Certificate: the chain, sender first');
const ALERTS = rfc(8446, '6.2', 'Error alerts (certificate_required 116, unknown_ca 48, certificate_expired 45, …)');
const PATH_VALIDATION = rfc(5280, '6.1', 'Certification path validation');
const BASIC_CONSTRAINTS = rfc(5280, '4.2.1.9', 'Basic constraints: cA for certificates that issue others');
const EKU = rfc(5280, '4.2.1.12', 'Extended key usage: id-kp-serverAuth / id-kp-clientAuth');
const SAN = rfc(5280, '4.2.1.6', 'Subject alternative name');
const VALIDITY = rfc(5280, '4.1.2.5', 'Validity: notBefore and notAfter');
const SERVICE_IDENTITY = rfc(9525, '6', 'Verifying service identity: DNS-ID / IP-ID in the SAN; never the CN');
const WILDCARDS = rfc(9525, '6.3', 'Wildcards only as the complete left-most label');
const KEY_PROTECTION: Reference = {
  cite: 'NIST SP 800-57 Pt. 1 §6.2.2',
  about: 'Private keys need confidentiality protection: access limited to their owner',
  url: 'https://csrc.nist.gov/pubs/sp/800/57/pt1/r5/final',
};
const HTTPS_IDENTITY = rfc(9110, '4.3.4', 'https certificate verification');
const k8s = (about: string, url: string): Reference => ({ cite: 'Kubernetes docs', about, url });
const K8S_TLS_SECRET = k8s('TLS Secrets (kubernetes.io/tls: tls.crt, tls.key)', 'https://kubernetes.io/docs/concepts/configuration/secret/#tls-secrets');

/**
 * The normative basis of every check of the catalogue, by stable check id. A check without an RFC
 * behind it (rotation behaviour is operational practice) says so with an empty list.
 */
const ISTIO_PEER_AUTHN: Reference = {
  cite: 'Istio PeerAuthentication',
  about: 'mtls.mode STRICT, PERMISSIVE, DISABLE, UNSET; mesh, namespace and workload policies; portLevelMtls',
  url: 'https://istio.io/latest/docs/reference/config/security/peer_authentication/',
};
const LINKERD_POLICY: Reference = {
  cite: 'Linkerd authorization policy',
  about: 'config.linkerd.io/default-inbound-policy (all-authenticated, all-unauthenticated, deny …), skip-inbound-ports',
  url: 'https://linkerd.io/2-edge/reference/authorization-policy/',
};

export const CHECK_REFERENCES: Readonly<Record<string, readonly Reference[]>> = {
  'handshake.accepts-valid-client-cert': [TLS13_CERT, TLS12_CLIENT_CERT, PATH_VALIDATION],
  'handshake.protocol-version': [
    rfc(8446, '4.2.1', 'supported_versions'),
    rfc(8996, undefined, 'Deprecating TLS 1.0 and TLS 1.1'),
    rfc(9325, '3.1.1', 'BCP 195: TLS 1.2 or higher'),
  ],
  'handshake.client-auth-mode': [TLS13_CERT_REQ, TLS12_CERT_REQ, TLS13_RECV_CERT],
  'handshake.advertised-cas-cover-client': [
    TLS13_CERT_REQ,
    TLS12_CERT_REQ,
    rfc(8446, '4.2.4', 'Certificate authorities: the distinguished names of acceptable CAs, DER-encoded'),
  ],
  'handshake.client-key-types': [
    rfc(8446, '4.2.3', 'Signature algorithms (and signature_algorithms_cert) in the CertificateRequest'),
    rfc(8446, '9.1', 'Mandatory-to-implement signature schemes: rsa_pkcs1_sha256, rsa_pss_rsae_sha256, ecdsa_secp256r1_sha256'),
    rfc(5246, '7.4.4', 'TLS 1.2 CertificateRequest: certificate_types and supported_signature_algorithms'),
    rfc(8410, '3', 'Ed25519 keys and signatures in X.509'),
  ],
  'reject.no-client-cert': [TLS13_RECV_CERT, TLS12_CLIENT_CERT, ALERTS],
  'reject.plaintext': [
    rfc(9110, '4.2.2', 'The https URI scheme'),
    rfc(9113, '3.3', 'HTTP/2 with prior knowledge (h2c)'),
    rfc(7540, '3.2', 'HTTP/2 upgrade from http/1.1 (h2c)'),
  ],
  'mesh.strict-refuses-plaintext': [ISTIO_PEER_AUTHN, LINKERD_POLICY],
  'mesh.declared-matches-observed': [ISTIO_PEER_AUTHN, LINKERD_POLICY],
  'chain.server-trusted': [PATH_VALIDATION, HTTPS_IDENTITY],
  'chain.server-complete': [TLS13_CERT, TLS12_SERVER_CERT, rfc(5280, '4.2.2.1', 'Authority information access (which clients must not be made to rely on)')],
  'chain.server-order': [TLS13_CERT, TLS12_SERVER_CERT],
  'chain.server-leaf-profile': [
    BASIC_CONSTRAINTS,
    EKU,
    rfc(9155, undefined, 'Deprecating MD5 and SHA-1 signature hashes in TLS 1.2'),
    rfc(8446, '4.4.2.2', 'Server certificate selection'),
  ],
  'chain.rejects-untrusted-ca-client': [PATH_VALIDATION, rfc(5280, '6.1.3', 'Basic certificate processing: the signature verifies with the issuer’s key')],
  'chain.rejects-self-signed-client': [PATH_VALIDATION, TLS13_RECV_CERT],
  'chain.rejects-wrong-eku-client': [EKU, rfc(8446, '4.4.2.3', 'Client certificate selection')],
  'chain.rejects-ca-as-client': [BASIC_CONSTRAINTS, rfc(5280, '4.2.1.3', 'Key usage: keyCertSign for CA certificates')],
  'chain.accepts-intermediate-client': [TLS13_CERT, PATH_VALIDATION],
  'chain.rejects-revoked-client': [
    rfc(5280, '6.3', 'CRL validation: a certificate listed in its issuer’s CRL is revoked'),
    rfc(5280, '5.3.1', 'CRL entry reason code (keyCompromise)'),
    ALERTS,
  ],
  'chain.client-cert-not-revoked': [
    rfc(5280, '6.3', 'CRL validation: a certificate listed in its issuer’s CRL is revoked'),
    rfc(5280, '4.2.1.13', 'CRL distribution points: where the issuer publishes its CRL'),
  ],
  'chain.rejects-ocsp-revoked-client': [
    rfc(6960, '2.2', 'OCSP response: the revoked state'),
    rfc(6960, '4.2.2.2', 'Authorized responders: the CA that issued the certificate signs'),
    rfc(5280, '4.2.2.1', 'Authority information access: id-ad-ocsp names the responder'),
    ALERTS,
  ],
  'san.server-has-san': [SAN, SERVICE_IDENTITY],
  'san.server-matches-name': [SERVICE_IDENTITY, WILDCARDS, rfc(2818, '3.1', 'HTTP over TLS: server identity')],
  'san.server-identity': [
    SAN,
    {
      cite: 'SPIFFE X509-SVID §2',
      about: 'The SPIFFE ID in the URI SAN',
      url: 'https://github.com/spiffe/spiffe/blob/main/standards/X509-SVID.md#2-spiffe-id',
    },
    {
      cite: 'SPIFFE X509-SVID §4',
      about: 'A leaf SVID: cA FALSE, a critical keyUsage with digitalSignature and no keyCertSign or cRLSign, serverAuth and clientAuth',
      url: 'https://github.com/spiffe/spiffe/blob/main/standards/X509-SVID.md#4-constraints-and-usage',
    },
  ],
  'san.rejects-wrong-identity-client': [SAN, rfc(6125, '6.2', 'Identity checking: the presented identifier must be one the relying party expects')],
  'expiry.server-cert': [VALIDITY],
  'expiry.server-chain': [VALIDITY, PATH_VALIDATION],
  'expiry.client-cert': [VALIDITY],
  'expiry.rejects-expired-client': [
    VALIDITY,
    rfc(5280, '6.1.3', 'Basic certificate processing: the certificate validity period includes the current time'),
    ALERTS,
  ],
  'expiry.rejects-not-yet-valid-client': [
    VALIDITY,
    rfc(5280, '6.1.3', 'Basic certificate processing: the certificate validity period includes the current time'),
  ],
  'client.presents-cert': [rfc(8446, '4.4.2.3', 'Client certificate selection'), TLS12_CLIENT_CERT],
  'client.rejects-untrusted-server': [PATH_VALIDATION, HTTPS_IDENTITY],
  'client.rejects-wrong-san-server': [SERVICE_IDENTITY, HTTPS_IDENTITY],
  'client.rejects-expired-server': [VALIDITY, PATH_VALIDATION],
  'client.rejects-self-signed-server': [PATH_VALIDATION],
  'client.rejects-incomplete-chain-server': [TLS13_CERT, PATH_VALIDATION],
  'rotation.continuity': [],
  'rotation.new-cert-served': [PATH_VALIDATION, VALIDITY],
  'rotation.ca-overlap': [PATH_VALIDATION],
  // Offline audit (mtls-harness audit): files, not endpoints.
  'audit.parse': [rfc(7468, '2', 'Textual encoding of PKIX structures (PEM): BEGIN/END labels, base64 body'), rfc(5280, '4.1', 'Basic certificate fields')],
  'audit.key-permissions': [KEY_PROTECTION],
  'audit.no-key-in-ca-bundle': [rfc(5280, '6.1.1', 'Trust anchor information: public, distributed to every relying party'), KEY_PROTECTION],
  'audit.ca-key-present': [KEY_PROTECTION, BASIC_CONSTRAINTS],
  'audit.key-matches-cert': [rfc(5280, '4.1.2.7', 'Subject public key info'), rfc(8446, '4.4.3', 'CertificateVerify: proof of possession of the private key')],
  'audit.chain-verifies': [PATH_VALIDATION],
  'audit.ca-cert-is-ca': [BASIC_CONSTRAINTS, rfc(5280, '4.2.1.3', 'Key usage: keyCertSign for CA certificates')],
  'audit.leaf-not-ca': [BASIC_CONSTRAINTS],
  'audit.san-present': [SAN, SERVICE_IDENTITY],
  'audit.san-covers-expected': [SERVICE_IDENTITY, WILDCARDS],
  'audit.eku-fits-role': [EKU, rfc(8446, '4.4.2.2', 'Server certificate selection'), rfc(8446, '4.4.2.3', 'Client certificate selection')],
  'audit.expiry': [VALIDITY],
  'audit.crypto-strength': [
    rfc(9325, '4.1', 'BCP 195: key sizes (RSA ≥ 2048, EC ≥ 224 bits; this audit asks P-256)'),
    rfc(9155, undefined, 'Deprecating MD5 and SHA-1 signature hashes in TLS 1.2'),
  ],
  // k8s-audit (k8s scan): Kubernetes' own documentation is the normative source for object semantics.
  'k8s.secret-cert-expiry': [VALIDITY],
  'k8s.secret-key-matches': [rfc(5280, '4.1.2.7', 'Subject public key info: the certificate binds this public key'), K8S_TLS_SECRET],
  'k8s.secret-chain': [PATH_VALIDATION, K8S_TLS_SECRET],
  'k8s.secret-san-covers-service': [
    SERVICE_IDENTITY,
    WILDCARDS,
    k8s('DNS for Services and Pods', 'https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/'),
  ],
  'k8s.configmap-private-key': [
    k8s('ConfigMaps are not for confidential data', 'https://kubernetes.io/docs/concepts/configuration/configmap/'),
    k8s('Good practices for Kubernetes Secrets', 'https://kubernetes.io/docs/concepts/security/secrets-good-practices/'),
  ],
  'k8s.pod-secret-mount-readonly': [
    k8s('Using Secrets as files from a Pod (readOnly: true)', 'https://kubernetes.io/docs/concepts/configuration/secret/#using-secrets-as-files-from-a-pod'),
  ],
  'k8s.pod-secret-default-mode': [
    k8s('Secret files permissions (defaultMode, default 0644)', 'https://kubernetes.io/docs/concepts/configuration/secret/#secret-files-permissions'),
  ],
  'k8s.pod-missing-secret': [
    k8s(
      'Optional Secrets: a Pod referencing a missing Secret does not start',
      'https://kubernetes.io/docs/concepts/configuration/secret/#restriction-secret-must-exist',
    ),
  ],
  'k8s.certificate-ready': [
    { cite: 'cert-manager Certificate', about: 'The Ready condition and how to read it', url: 'https://cert-manager.io/docs/usage/certificate/' },
  ],
  'k8s.certificate-renew-before': [
    {
      cite: 'cert-manager renewBefore',
      about: 'When a Certificate is renewed (default: 2/3 through its duration)',
      url: 'https://cert-manager.io/docs/usage/certificate/#reissuance-triggered-by-expiry-renewal',
    },
    VALIDITY,
  ],
  'k8s.rbac': [k8s('Using RBAC Authorization', 'https://kubernetes.io/docs/reference/access-authn-authz/rbac/')],
  // The crafted profiles: each row's clauses (src/pki/crafted-profiles.ts).
  ...Object.fromEntries(CRAFTED_PROFILES.map((p) => [`crafted.${p.id}`, p.clauses])),
};

/** The references of a check id (empty when none, or the id is unknown). */
export function referencesOf(checkId: string): readonly Reference[] {
  return CHECK_REFERENCES[checkId] ?? [];
}
