// @peculiar/x509 2.x resolves its services through tsyringe, which needs the Reflect metadata
// polyfill loaded before the library is evaluated; ESM evaluates imports in order.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export { x509, webcrypto };
export const subtle = webcrypto.subtle;
