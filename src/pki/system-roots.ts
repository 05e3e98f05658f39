import { X509Certificate } from 'node:crypto';
import * as tls from 'node:tls';

let cached: X509Certificate[] | undefined;

/** Node's bundled root store as X509 objects (parsed once). */
export function tlsRootCertificatesAsX509(): X509Certificate[] {
  cached ??= tls.rootCertificates.map((p) => new X509Certificate(p));
  return cached;
}
