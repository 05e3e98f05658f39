// fields.ts reads what the certificate library reads: on every certificate of the x509-limbo corpus
// (208 cases of odd and malformed certificates) and on minted ones of every key type, the summary
// built from fields.ts equals the summary built from the library; fields.ts declines (undefined)
// whatever it does not read, and reads every certificate the harness mints.
import { X509Certificate, createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { KEY_USAGE_FLAGS, x509 } from './crypto.js';
import { certificateParts } from './der.js';
import { readCertFields, readName } from './fields.js';
import { mintFixturePki } from './generate.js';
import { staticSummary } from './inspect.js';
import type { KeyType } from './keys.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function ders(pems: string[]): Buffer[] {
  const out: Buffer[] = [];
  for (const pem of pems)
    for (const m of pem.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)) out.push(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'));
  return out;
}

/** Both summaries of one certificate (undefined when node cannot parse it: summaries are never made of those). */
function both(der: Buffer): { fast: boolean; ours: unknown; library: unknown } | undefined {
  let node: X509Certificate;
  try {
    node = new X509Certificate(der);
  } catch {
    return undefined;
  }
  const fp = createHash('sha256').update(der).digest('hex');
  return { fast: readCertFields(der) !== undefined, ours: staticSummary(node, der, fp), library: staticSummary(node, der, fp, false) };
}

describe('readCertFields and the certificate library', () => {
  it('the same summary for every certificate of the x509-limbo corpus', () => {
    const limbo = JSON.parse(readFileSync(path.join(root, 'fixtures/x509-limbo/limbo.json'), 'utf8')) as {
      testcases: { trusted_certs: string[]; untrusted_intermediates: string[]; peer_certificate: string }[];
    };
    const all = limbo.testcases.flatMap((c) => ders([...c.trusted_certs, ...c.untrusted_intermediates, c.peer_certificate]));
    let fast = 0;
    let compared = 0;
    for (const der of all) {
      const r = both(der);
      if (!r) continue;
      compared++;
      if (r.fast) fast++;
      expect(r.ours, der.toString('base64')).toEqual(r.library);
      // The names alone (verify.ts and the probe read them so): text and JSON as the library's Name.
      const parts = certificateParts(der);
      for (const name of [parts.subject, parts.issuer]) {
        const view = readName(name);
        if (!view) continue;
        const lib = new x509.Name(new Uint8Array(name));
        expect(view.toString()).toBe(lib.toString());
        expect(view.toJSON()).toEqual(lib.toJSON());
      }
    }
    expect(compared).toBeGreaterThan(400);
    expect(fast).toBeGreaterThan(compared / 2); // most are read here; the rest by the library
  });

  for (const keyType of ['ec-p256', 'ec-p384', 'rsa-2048'] as KeyType[]) {
    it(`${keyType}: every certificate of a fixture PKI is read here, with the library's summary`, async () => {
      const pki = await mintFixturePki({ keyType, clientUri: 'spiffe://example.org/ns/a/sa/b', serverIps: ['127.0.0.1', '::1', 'fe80::1:0:0:2'] });
      const creds = [pki.root, pki.intermediate, pki.server, pki.client, ...Object.values(pki.badClients), ...Object.values(pki.badServers)];
      for (const c of creds) {
        const r = both(ders([c.certPem])[0]!)!;
        expect(r.fast).toBe(true);
        expect(r.ours).toEqual(r.library);
      }
    });
  }

  it("the keyUsage flags are the library's", () => {
    for (const [name, bit] of Object.entries(KEY_USAGE_FLAGS)) expect(x509.KeyUsageFlags[name as keyof typeof KEY_USAGE_FLAGS]).toBe(bit);
  });
});
