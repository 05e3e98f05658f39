/**
 * Where a reference server's TLS library differs from OpenSSL (the table's library, suites/
 * profile-verdicts.ts OPENSSL_ACCEPTS) on the crafted profiles (src/pki/crafted-profiles.ts), on
 * every profile where it verifies its clients: measured against the real servers, each with why
 * (docs/CONFORMANCE.md "Which stacks accept which profiles").
 */
import { CRAFTED_PROFILES } from '../../pki/crafted-profiles.js';
import { checksClientOcsp, clientPolicyFor, loadsClientCrl, type ProfileName } from '../profiles.js';
import type { Deviation } from './types.js';

/**
 * The crafted checks whose control is a leaf under an intermediate the harness mints in the run
 * (chain, constrained): no CRL exists for that intermediate. A server checking the CRL of every CA
 * in the chain (OpenSSL's CRL_CHECK_ALL: nginx, haproxy, stunnel, Apache, s_server, PostgreSQL,
 * MariaDB, mosquitto) refuses the control too ("unable to get certificate CRL"), so on the
 * revocation profiles these checks are `error` there: no accepted control, no evidence.
 */
export const UNDER_MINTED_INTERMEDIATE: readonly string[] = CRAFTED_PROFILES.filter((p) => p.control === 'chain' || p.control === 'constrained').map(
  (p) => `crafted.${p.id}`,
);

/**
 * Measured: nginx (`ssl_ocsp`) and stunnel (`OCSP`) refuse a client leaf carrying the CA's own key
 * on the OCSP profile only (they accept it on `strict`; Apache accepts it on both). The likely
 * cause: OpenSSL's OCSP_basic_verify finds the response's signer by key identifier among the
 * certificates it is given, the client's own included, and the leaf matches the CA's key.
 */
export function ocspSignerByKey(stack: string): (profile: ProfileName) => Deviation | undefined {
  return (profile) =>
    checksClientOcsp(profile)
      ? {
          checks: { 'crafted.leaf-with-ca-key': 'pass' },
          reason: `${stack} refuses a client leaf carrying the CA's own key when it checks clients by OCSP (measured; it accepts it on strict): OpenSSL's OCSP_basic_verify finds the response's signer by key identifier, which that leaf shares with the CA`,
        }
      : undefined;
}

/** A server that checks a CRL only for an issuer it holds one for: the crafted chain rows keep their verdicts when it loads CRLs. */
export function crlOnlyWhereHeld(stack: string): (profile: ProfileName) => Deviation | undefined {
  return (profile) =>
    loadsClientCrl(profile)
      ? {
          checks: Object.fromEntries(UNDER_MINTED_INTERMEDIATE.map((id) => [id, 'pass'])),
          reason: `${stack} checks a client chain against a CRL only where it holds one for the issuer: a client under an intermediate without a CRL is still verified, so the crafted chain profiles keep their controls`,
        }
      : undefined;
}

/** One library's verdicts on crafted profiles that differ from OpenSSL's, and why. */
export interface CraftedDifference {
  checks: Record<string, 'pass' | 'warn' | 'fail'>;
  reason: string;
}

/** Node's bundled OpenSSL runs at security level 1 (Debian's at 2): an RSA-1024 client key passes. */
export const NODE_OPENSSL: CraftedDifference = {
  checks: { 'crafted.rsa-1024-key': 'warn' },
  reason: "Node's bundled OpenSSL verifies at security level 1, which allows an RSA-1024 client key (Debian's OpenSSL: level 2)",
};

/** Go's crypto/x509 (Caddy). */
export const GO_X509: CraftedDifference = {
  checks: {
    'crafted.ku-no-digital-signature': 'fail',
    'crafted.ku-empty': 'warn',
    'crafted.eku-any': 'warn',
    'crafted.rsa-1024-key': 'warn',
    'crafted.aki-mismatch': 'warn',
  },
  reason:
    "Go's crypto/x509 does not check a leaf's keyUsage (a client key without digitalSignature is accepted), takes anyExtendedKeyUsage for clientAuth, allows RSA-1024 keys, and finds the issuer by name when the authorityKeyIdentifier does not match",
};

/** GnuTLS (gnutls-serv). */
export const GNUTLS: CraftedDifference = {
  checks: {
    'crafted.ku-empty': 'warn',
    'crafted.eku-any': 'warn',
    'crafted.rsa-1024-key': 'warn',
    'crafted.v1-with-extensions': 'pass',
    'crafted.v2-with-extensions': 'pass',
  },
  reason:
    'GnuTLS accepts a keyUsage with no bit set, anyExtendedKeyUsage and an RSA-1024 key (its default priority allows 1024-bit keys), and refuses a version 1 or 2 certificate that carries extensions',
};

/**
 * A server's crafted-profile differences as its deviation: `verified` on the profiles where it
 * verifies clients, `unverified` where it asks for any certificate without verifying it
 * (trust-any-client: a library that still parses or checks part of the certificate refuses some).
 */
export function craftedDeviations(d: {
  verified?: CraftedDifference;
  unverified?: CraftedDifference;
  ignoringDates?: CraftedDifference;
}): (profile: ProfileName) => Deviation | undefined {
  return (profile) => {
    const policy = clientPolicyFor(profile);
    const found =
      policy === 'none'
        ? undefined
        : policy === 'require-any'
          ? d.unverified
          : policy === 'require-ignore-dates'
            ? (d.ignoringDates ?? d.verified)
            : d.verified;
    return found && { checks: found.checks, reason: found.reason };
  };
}

/** Go's x509.ParseCertificate, which runs even when Caddy verifies nothing (mode `require`). */
export const GO_PARSER: CraftedDifference = {
  checks: { 'crafted.duplicate-extension': 'pass', 'crafted.signature-algorithm-mismatch': 'pass' },
  reason:
    'Go parses every client certificate even when it verifies none, and its parser refuses duplicate extensions and differing inner and outer signature algorithms',
};

/** GnuTLS parses and checks part of a client certificate even when it verifies none. */
export const GNUTLS_UNVERIFIED: CraftedDifference = {
  checks: {
    'crafted.ku-no-digital-signature': 'pass',
    'crafted.duplicate-extension': 'pass',
    'crafted.signature-algorithm-mismatch': 'pass',
    'crafted.v1-with-extensions': 'pass',
    'crafted.v2-with-extensions': 'pass',
  },
  reason:
    'gnutls-serv without --verify-client-cert still refuses a client key without digitalSignature (it checks the key usage for the signature) and certificates its parser rejects (duplicate extensions, differing signature algorithms, extensions in v1/v2)',
};

/** haproxy trusting any client (`crt-ignore-err all ca-ignore-err all`) still refuses some profiles: measured. */
export const HAPROXY_UNVERIFIED: CraftedDifference = {
  checks: {
    'crafted.unknown-critical-extension': 'pass',
    'crafted.intermediate-no-key-cert-sign': 'pass',
    'crafted.intermediate-unknown-critical-extension': 'pass',
    'crafted.name-constraints-permitted': 'pass',
    'crafted.name-constraints-excluded': 'pass',
  },
  reason:
    'haproxy with crt-ignore-err all and ca-ignore-err all (trust-any-client) still refuses a client chain with an unhandled critical extension, an intermediate without keyCertSign or a name-constraint violation (measured)',
};

/** openssl s_server -no_check_time ignores the dates of every certificate of the path, not only the leaf's. */
export const OPENSSL_NO_CHECK_TIME: CraftedDifference = {
  checks: { 'crafted.intermediate-expired': 'fail' },
  reason: "openssl s_server's accept-expired-client (no time check) ignores the dates of the whole client chain: an expired intermediate is accepted too",
};
