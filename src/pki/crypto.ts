// The certificate library (@peculiar/x509) and its ASN.1 layers are CommonJS packages. Imported
// from an ES module, node pre-parses every file of them (following each re-export) to learn their
// export names: about 60 ms of every start, for nothing. Required, they load as CommonJS does;
// their types come from type-only imports. The library itself loads on first use: certificates are
// minted by encode.ts and read by fields.ts; it is asked only for what those leave to it.
import { createRequire } from 'node:module';
import { webcrypto } from 'node:crypto';
import type * as X509 from '@peculiar/x509';
import type * as AsnSchema from '@peculiar/asn1-schema';
import type * as AsnX509 from '@peculiar/asn1-x509';
import type * as Asn1js from 'asn1js';

const require = createRequire(import.meta.url);

let library: typeof X509 | undefined;
/** @peculiar/x509, required when first used (about 40 ms): most runs mint and read without it. */
function load(): typeof X509 {
  if (!library) {
    // Its services resolve through tsyringe, which needs the Reflect metadata polyfill first.
    require('reflect-metadata');
    library = require('@peculiar/x509') as typeof X509;
    library.cryptoProvider.set(webcrypto as unknown as Crypto);
  }
  return library;
}

/** The certificate library, loaded on the first property read (`x509.Name`, `x509.X509Certificate`…). */
export const x509 = new Proxy({} as typeof X509, { get: (_target, prop) => Reflect.get(load(), prop) });
/** The library's classes as types (`x509.X509Certificate`), beside the value above. */
// eslint-disable-next-line @typescript-eslint/no-namespace
export declare namespace x509 {
  type X509Certificate = X509.X509Certificate;
  type Extension = X509.Extension;
  type Name = X509.Name;
  type BasicConstraintsExtension = X509.BasicConstraintsExtension;
  type JsonGeneralNames = X509.JsonGeneralNames;
}

/** keyUsage bits as the library numbers them (its KeyUsageFlags), without loading it. */
export const KEY_USAGE_FLAGS = {
  digitalSignature: 1,
  nonRepudiation: 2,
  keyEncipherment: 4,
  dataEncipherment: 8,
  keyAgreement: 16,
  keyCertSign: 32,
  cRLSign: 64,
  encipherOnly: 128,
  decipherOnly: 256,
} as const;

/** @peculiar/asn1-schema (AsnConvert), @peculiar/asn1-x509 (the X.509 ASN.1 types) and asn1js. */
export const asnSchema = require('@peculiar/asn1-schema') as typeof AsnSchema;
export const asnX509 = require('@peculiar/asn1-x509') as typeof AsnX509;
export const asn1js = require('asn1js') as typeof Asn1js;

export { webcrypto };
export const subtle = webcrypto.subtle;
