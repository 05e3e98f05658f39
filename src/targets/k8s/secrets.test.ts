import { X509Certificate } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { mintFixturePki, type FixturePki } from '../../pki/generate.js';
import { caKeyFrom, clientCredentialsFrom, keyPairs, readSecretMaterial } from './secrets.js';
import type { Secret } from './objects.js';

let pki: FixturePki;
const b64 = (s: string) => Buffer.from(s).toString('base64');
const secret = (name: string, data: Record<string, string>, type = 'Opaque'): Secret => ({
  metadata: { name, namespace: 'ns' },
  type,
  data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
});

beforeAll(async () => {
  pki = await mintFixturePki();
});

describe('Secrets as client credentials (both shapes)', () => {
  it('gufo generic: client.pem/client-key.pem and ca.pem, not the server pair', () => {
    const m = readSecretMaterial(
      secret('gufo-mtls', {
        'ca.pem': pki.root.certPem,
        'server.pem': pki.server.chainPem,
        'server-key.pem': pki.server.keyPem,
        'client.pem': pki.client.certPem,
        'client-key.pem': pki.client.keyPem,
      }),
    );
    const c = clientCredentialsFrom(m);
    expect(c.source).toEqual({ cert: 'client.pem', key: 'client-key.pem', ca: 'ca.pem' });
    expect(c.client.chain[0]!.fingerprint256).toBe(new X509Certificate(pki.client.certPem).fingerprint256);
    expect(c.trustPem).toContain('BEGIN CERTIFICATE');
  });

  it("kubernetes.io/tls with nova's client.crt/client.key prefers the client pair; plain tls.crt/tls.key is used when it allows clientAuth", () => {
    const nova = readSecretMaterial(
      secret(
        'grpc-tls-certs',
        {
          'ca.crt': pki.root.certPem,
          'tls.crt': pki.server.chainPem,
          'tls.key': pki.server.keyPem,
          'client.crt': pki.client.certPem,
          'client.key': pki.client.keyPem,
        },
        'kubernetes.io/tls',
      ),
    );
    expect(clientCredentialsFrom(nova).source).toEqual({ cert: 'client.crt', key: 'client.key', ca: 'ca.crt' });
    const kong = readSecretMaterial(
      secret('kong-client-cert', { 'ca.crt': pki.root.certPem, 'tls.crt': pki.client.certPem, 'tls.key': pki.client.keyPem }, 'kubernetes.io/tls'),
    );
    expect(clientCredentialsFrom(kong).source).toEqual({ cert: 'tls.crt', key: 'tls.key', ca: 'ca.crt' });
    const upstream = readSecretMaterial(secret('kong-upstream-mtls', { 'kong-client.crt': pki.client.certPem, 'kong-client.key': pki.client.keyPem }));
    expect(clientCredentialsFrom(upstream).source).toEqual({ cert: 'kong-client.crt', key: 'kong-client.key' });
    const combined = readSecretMaterial(secret('kong-pem', { 'kong-client.pem': pki.client.certPem + pki.client.keyPem }));
    expect(clientCredentialsFrom(combined).source).toEqual({ cert: 'kong-client.pem', key: 'kong-client.pem' });
  });

  it('a server-only (serverAuth) or mismatched pair is not a client credential: exit 2 naming data keys, never values', () => {
    const serverOnly = readSecretMaterial(secret('srv', { 'tls.crt': pki.server.chainPem, 'tls.key': pki.server.keyPem }, 'kubernetes.io/tls'));
    expect(() => clientCredentialsFrom(serverOnly)).toThrow(/no client certificate with its matching private key among the data keys tls\.crt, tls\.key/);
    const mismatched = readSecretMaterial(secret('bad', { 'client.crt': pki.client.certPem, 'client.key': pki.server.keyPem }));
    let msg = '';
    try {
      clientCredentialsFrom(mismatched);
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/client\.crt\/client\.key: the key does not match the certificate/);
    expect(msg).not.toMatch(/PRIVATE KEY|BEGIN/);
    expect(keyPairs(mismatched)).toMatchObject([{ certKey: 'client.crt', keyKey: 'client.key', matches: false }]);
  });

  it('--ca-key-secret: a CA certificate with its key (cert-manager CA issuer tls.crt/tls.key, ca.pem/ca-key.pem); a leaf pair is refused', () => {
    expect(
      caKeyFrom(readSecretMaterial(secret('ca-key-pair', { 'tls.crt': pki.root.certPem, 'tls.key': pki.root.keyPem }, 'kubernetes.io/tls'))).source,
    ).toEqual({ cert: 'tls.crt', key: 'tls.key' });
    expect(caKeyFrom(readSecretMaterial(secret('gufo-ca-key', { 'ca.pem': pki.root.certPem, 'ca-key.pem': pki.root.keyPem }))).source).toEqual({
      cert: 'ca.pem',
      key: 'ca-key.pem',
    });
    expect(() => caKeyFrom(readSecretMaterial(secret('leaf', { 'tls.crt': pki.client.certPem, 'tls.key': pki.client.keyPem })))).toThrow(
      /no CA certificate \(CA:TRUE\) with its matching private key/,
    );
  });

  it('values that are not PEM (API keys, tokens) are ignored', () => {
    const m = readSecretMaterial(secret('keys', { 'api-keys': 'secret-key-1', token: 'abc' }));
    expect(m.certs).toEqual([]);
    expect(m.privateKeys).toEqual([]);
  });
});
