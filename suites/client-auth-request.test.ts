// The CertificateRequest checks on outcomes where no request can be judged: what they say, never a
// guessed verdict (a fake context: the probes are given, nothing is connected).
import { X509Certificate } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CheckContext } from '../src/checks/types.js';
import { mintFixturePki, type FixturePki } from '../src/pki/generate.js';
import type { ProbeOutcome } from '../src/probe/tls-probe.js';
import { advertisedCasCoverClient } from './client-auth-request.js';
import { clientKeyTypes } from './client-key-types.js';

let pki: FixturePki;
beforeAll(async () => {
  pki = await mintFixturePki();
});

const outcome = (o: Partial<ProbeOutcome>): ProbeOutcome =>
  ({
    target: '127.0.0.1:1',
    rejectedAt: 'accepted',
    reason: 'served',
    peerChain: [],
    peerChainPem: [],
    peerChainSource: 'none',
    authorized: false,
    clientCertificateOffered: false,
    serverHello: true,
    acceptableCaNames: [],
    handshakeInsight: { method: 'tls1.3-keylog' },
    timings: {},
    durationMs: 1,
    protocol: 'TLSv1.3',
    ...o,
  }) as ProbeOutcome;

function ctx(noCert: ProbeOutcome, withClient = true, keyTypes?: (t: string) => ProbeOutcome | { skip: string }): CheckContext {
  const client = withClient ? { certPem: pki.client.certPem, keyPem: '', chain: [new X509Certificate(pki.client.certPem)] } : undefined;
  return {
    target: { protocol: 'https', ...(client ? { client } : {}) },
    noCert: async () => noCert,
    withCert: async () => (client ? noCert : undefined),
    withKeyType: async (t: string) => keyTypes?.(t) ?? { skip: 'needs the CA private key (--ca-key) to mint this test certificate' },
  } as unknown as CheckContext;
}

const rootName = () => Buffer.from(pki.root.cert.subjectName.toArrayBuffer());

describe('handshake.advertised-cas-cover-client', () => {
  it('skips without --cert, and when no certificate is requested', async () => {
    const asked = outcome({ certificateRequested: true, certificateRequest: { caNames: [rootName()] } });
    expect((await advertisedCasCoverClient.run(ctx(asked, false))).status).toBe('skip');
    const v = await advertisedCasCoverClient.run(ctx(outcome({ certificateRequested: false })));
    expect(v).toMatchObject({ status: 'skip', message: expect.stringMatching(/does not request a client certificate/) });
  });

  it('a request only after the handshake, or an unreadable flight: error with what would decide it', async () => {
    const pha = await advertisedCasCoverClient.run(ctx(outcome({ certificateRequested: false, postHandshakeAuth: { kind: 'tls13' } })));
    expect(pha).toMatchObject({ status: 'error', message: expect.stringMatching(/only after the handshake/) });
    const unread = await advertisedCasCoverClient.run(
      ctx(outcome({ handshakeInsight: { method: 'unavailable', limitation: 'no handshake traffic secret in the key log' } })),
    );
    expect(unread).toMatchObject({ status: 'error', message: expect.stringMatching(/no handshake traffic secret/) });
  });

  it('pass on the issuer advertised; a hostile advertised name is escaped in the fail message', async () => {
    expect((await advertisedCasCoverClient.run(ctx(outcome({ certificateRequested: true, certificateRequest: { caNames: [rootName()] } })))).status).toBe(
      'pass',
    );
    // CN="evil\u001b[31m" as UTF8String.
    const cn = Buffer.from('evil\u001b[31m');
    const hostile = Buffer.concat([
      Buffer.from([0x30, cn.length + 11, 0x31, cn.length + 9, 0x30, cn.length + 7, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, cn.length]),
      cn,
    ]);
    const v = await advertisedCasCoverClient.run(ctx(outcome({ certificateRequested: true, certificateRequest: { caNames: [hostile] } })));
    expect(v.status).toBe('fail');
    expect(v.message).not.toContain('\u001b');
  });
});

describe('handshake.client-key-types', () => {
  it('no CA key: skip with the reason; the client key type uncovered by signature_algorithms: fail even so', async () => {
    const covered = outcome({ certificateRequested: true, certificateRequest: { caNames: [], signatureAlgorithms: [0x0403, 0x0804] } });
    expect(await clientKeyTypes.run(ctx(covered))).toMatchObject({ status: 'skip', message: expect.stringMatching(/--ca-key/) });
    const rsaOnly = outcome({ certificateRequested: true, certificateRequest: { caNames: [], signatureAlgorithms: [0x0804] } });
    expect(await clientKeyTypes.run(ctx(rsaOnly))).toMatchObject({
      status: 'fail',
      message: expect.stringMatching(/no scheme for the client's ECDSA P-256 key/),
    });
  });

  it('every type refused (no control accepted): error, never a verdict', async () => {
    const asked = outcome({ certificateRequested: true, certificateRequest: { caNames: [], signatureAlgorithms: [0x0403, 0x0503, 0x0804, 0x0807] } });
    const refused = outcome({ rejectedAt: 'handshake', alert: { code: 48, name: 'unknown_ca', level: 2 }, reason: 'refused' });
    const v = await clientKeyTypes.run(ctx(asked, true, () => refused));
    expect(v).toMatchObject({ status: 'error', message: expect.stringMatching(/no client minted from the CA was accepted/) });
  });
});
