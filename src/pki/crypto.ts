// The certificate library (@peculiar/x509) and its ASN.1 layers are CommonJS packages. Imported
// from an ES module, node pre-parses every file of them (following each re-export) to learn their
// export names: about 60 ms of every start, for nothing. Required, they load as CommonJS does;
// their types come from type-only imports.
import { createRequire } from 'node:module';
import { webcrypto } from 'node:crypto';
import type * as X509 from '@peculiar/x509';
import type * as AsnSchema from '@peculiar/asn1-schema';
import type * as AsnX509 from '@peculiar/asn1-x509';
import type * as Asn1js from 'asn1js';

const require = createRequire(import.meta.url);
// @peculiar/x509 2.x resolves its services through tsyringe, which needs the Reflect metadata
// polyfill loaded before the library is evaluated.
require('reflect-metadata');

export const x509 = require('@peculiar/x509') as typeof X509;
/** The library's classes as types (`x509.X509Certificate`), beside the value above. */
// eslint-disable-next-line @typescript-eslint/no-namespace
export declare namespace x509 {
  type X509Certificate = X509.X509Certificate;
  type Extension = X509.Extension;
  type Name = X509.Name;
  type BasicConstraintsExtension = X509.BasicConstraintsExtension;
  type JsonGeneralNames = X509.JsonGeneralNames;
}
x509.cryptoProvider.set(webcrypto as unknown as Crypto);

/** @peculiar/asn1-schema (AsnConvert), @peculiar/asn1-x509 (the X.509 ASN.1 types) and asn1js. */
export const asnSchema = require('@peculiar/asn1-schema') as typeof AsnSchema;
export const asnX509 = require('@peculiar/asn1-x509') as typeof AsnX509;
export const asn1js = require('asn1js') as typeof Asn1js;

export { webcrypto };
export const subtle = webcrypto.subtle;
