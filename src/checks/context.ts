import { createPublicKey } from 'node:crypto';
import * as tls from 'node:tls';
import { addDays, type Clock } from '../core/clock.js';
import { x509 } from '../pki/crypto.js';
import { subjectDer } from '../pki/der.js';
import { readCertFields } from '../pki/fields.js';
import {
  certDer,
  craftedOptions,
  credentialFromPem,
  lookAlikeCaOptions,
  mintCertificate,
  type Credential,
  type MintOptions,
  type SubjectAltNames,
} from '../pki/generate.js';
import { parseCertificates, publicKeyProblem } from '../pki/inspect.js';
import { sharedLeafKey, type LeafKeyType } from '../pki/keys.js';
import { probePlaintext, type PlaintextKind, type PlaintextOutcome } from '../probe/plaintext.js';
import { probeWithPha } from '../probe/pha-client.js';
import type { ProbeOptions, ProbeOutcome } from '../probe/tls-probe.js';
import type { FailureKind } from '../probe/rejection.js';
import type { TlsVersion } from '../core/target.js';
import { observeRotation, targetProbeOptions } from '../rotation/observe.js';
import type { TargetUnderTest } from '../targets/target.js';
import type { CheckContext, CraftedKind } from './types.js';
import type { Control } from '../probe/controls.js';
import { recognizeStack, type RecognizedStack } from '../probe/advice.js';
import { identityKind } from '../rules/san.js';
import { ocspRevokedClientOf, revokedClientOf } from './revoked.js';
import { profileProbe } from './profile-probe.js';
import { listedInWords, ownRevocation } from '../probe/own-revocation.js';

/** Unreachable outcomes of the first connection that no other connection to the target could change. */
const SHORT_CIRCUIT: ReadonlySet<FailureKind> = new Set<FailureKind>(['refused', 'timeout', 'dns', 'network', 'not-tls', 'plaintext-http', 'alpn', 'starttls']);

/** Bounds how many things run at once (targets in a run; connections to one target). */
export class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}
  async use<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((r) => this.waiting.push(r));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

/** The client CA's name (DER, as in its certificate) by bundle text (targets of a run share the bundle). */
const CA_NAMES = new Map<string, Buffer>();

export const NEEDS_CA_KEY = 'needs the CA private key (--ca-key) to mint this test certificate';
/** The subject of every crafted client certificate and of its control. */
const CRAFTED_SUBJECT = 'CN=mtls-harness crafted client, O=mtls-harness';

export interface ContextOptions {
  timeoutMs: number;
  graceMs?: number;
  clock: Clock;
  /** Bounds this target's open connections. */
  semaphore: Semaphore;
  /** Crafted certificates shared by the targets of one run (keyed by kind and issuing CA). */
  craftedCache?: Map<string, Promise<Credential>>;
  /** Prepared TLS contexts shared by the targets of one run (keyed by trust anchors and client certificate). */
  contextCache?: Map<string, NonNullable<ProbeOptions['secureContext']>>;
  /** The CA credential (certificate + key) crafted certificates are issued from, shared likewise. */
  issuerCache?: Map<string, Promise<Credential | { skip: string }>>;
}

/**
 * The per-target context: every probe is made at most once per target and shared by the checks
 * that need it; crafted certificates come from the fixture PKI (reference targets) or are minted
 * from the user's CA key (live targets).
 */
export function createContext(target: TargetUnderTest, o: ContextOptions): CheckContext {
  /** Reference targets: the fixture PKI of the started server, which their crafted certificates come from. */
  const fixture = target.started?.pki;
  const memo = new Map<string, Promise<unknown>>();
  const once = <T>(key: string, fn: () => Promise<T>): Promise<T> => {
    let p = memo.get(key) as Promise<T> | undefined;
    if (!p) {
      p = fn();
      memo.set(key, p);
    }
    return p;
  };
  const base: ProbeOptions = {
    ...targetProbeOptions(target, o.timeoutMs, o.clock),
    ...(o.graceMs !== undefined ? { graceMs: o.graceMs } : {}),
  };
  /**
   * A prepared secure context per client credential: parsing PEM and keys for every connection is
   * most of a probe's CPU time, and the targets of a run share credentials. It holds no trust
   * anchors on purpose: the checks judge the server's chain with the harness's own verifier
   * (verifyChain), so OpenSSL's verification — and node's detailed peer-certificate walk and
   * hostname check that follow a successful one — would only cost time (`authorized` is then
   * false; no check reads it).
   */
  const prepared = (cert?: string, key?: string): NonNullable<ProbeOptions['secureContext']> => {
    const versions = target.tlsVersions;
    const k = `${versions?.min ?? ''}\u0000${versions?.max ?? ''}\u0000${cert ?? ''}`;
    let c = o.contextCache?.get(k);
    if (!c) {
      const offered = { ...(versions?.min ? { minVersion: versions.min } : {}), ...(versions?.max ? { maxVersion: versions.max } : {}) };
      c = {
        context: tls.createSecureContext({ ...offered, ...(cert && key ? { cert, key } : {}) }),
        withClientCert: !!(cert && key),
        ...(cert && key ? { pem: { cert, key } } : {}),
      };
      o.contextCache?.set(k, c);
    }
    return c;
  };
  const rawProbe = (extra: Partial<ProbeOptions>) => {
    // Connections with our usual settings use a prepared context; others (a capped hello with its
    // own versions and ciphers) give ca/cert/key to tls.connect.
    const custom = extra.minVersion !== undefined || extra.maxVersion !== undefined || extra.ciphers !== undefined;
    const { cert, key, ...rest0 } = extra;
    // The offered versions live in the prepared context (tls.connect ignores them beside one).
    const { minVersion: _min, maxVersion: _max, ...rest } = rest0;
    const opts: ProbeOptions = custom
      ? { ...base, ...(target.trustPem ? { ca: target.trustPem } : {}), ...extra }
      : { ...base, ...rest, secureContext: prepared(typeof cert === 'string' ? cert : undefined, typeof key === 'string' ? key : undefined) };
    return o.semaphore.use(() => probeWithPha(opts));
  };
  const noCert = () => once('noCert', () => rawProbe({}));
  /**
   * Every other connection waits for the first one (the reachability gate). When that one found
   * nothing to talk to (no listener, no answer in time, no DNS, not TLS), the others are not made:
   * they report the same classified outcome at once, so a hung or black-holed target costs one
   * timeout, not one per probe.
   */
  const gated = async <T>(make: () => Promise<T>, stand: (g: ProbeOutcome) => T): Promise<T> => {
    const g = await noCert();
    if (g.rejectedAt === 'unreachable' && g.failure && SHORT_CIRCUIT.has(g.failure.kind)) return stand(g);
    return make();
  };
  const notAttempted = (g: ProbeOutcome): ProbeOutcome => ({
    ...g,
    durationMs: 0,
    reason: `not attempted: the first connection to this target failed (${g.reason})`,
  });
  const probe = (extra: Partial<ProbeOptions>) => gated(() => rawProbe(extra), notAttempted);

  const issuer = () =>
    once('issuer', async (): Promise<Credential | { skip: string }> => {
      if (fixture) return fixture.root;
      if (!target.caKey) return { skip: NEEDS_CA_KEY };
      const bundle = target.clientCaPem ?? target.trustPem;
      if (!bundle) return { skip: 'needs the CA certificate (--ca) that goes with --ca-key' };
      const caKey = target.caKey;
      const find = async (): Promise<Credential | { skip: string }> => {
        const pub = createPublicKey(caKey).export({ format: 'der', type: 'spki' });
        const ca = parseCertificates(bundle, 'CA bundle').find((c) => !publicKeyProblem(c) && c.publicKey.export({ format: 'der', type: 'spki' }).equals(pub));
        if (!ca) return { skip: 'the --ca-key does not belong to any certificate in the CA bundle' };
        return credentialFromPem(ca.toString(), caKey);
      };
      // The targets of a run share their CA: find its certificate and load its key once.
      const cache = o.issuerCache;
      if (!cache) return find();
      const k = `${bundle}\u0000${caKey.export({ format: 'der', type: 'pkcs8' }).toString('base64')}`;
      let p = cache.get(k);
      if (!p) {
        p = find();
        cache.set(k, p);
      }
      return p;
    });

  /**
   * The name of the CA the server trusts for clients: the DER of its subject from the bundle, copied
   * exactly (a look-alike must carry the same bytes), or the first name the server advertised.
   */
  const trustedCaName = async (): Promise<Buffer | string | undefined> => {
    if (fixture) return subjectDer(certDer(fixture.root));
    const bundle = target.clientCaPem ?? target.trustPem;
    if (bundle) {
      const name =
        CA_NAMES.get(bundle) ??
        (() => {
          const last = parseCertificates(bundle, 'CA bundle').at(-1);
          return last ? subjectDer(last.raw) : Buffer.alloc(0);
        })();
      if (CA_NAMES.size >= 64) CA_NAMES.clear();
      CA_NAMES.set(bundle, name);
      if (name.length > 0) return name;
    }
    // The first name the server advertised, as the DER it sent (its text form only when no DER was kept).
    const seen = await ctx.noCert();
    return seen.certificateRequest?.caNames[0] ?? seen.acceptableCaNames[0];
  };

  /**
   * Targets of one run that share a CA share its crafted certificates and controls (minting is the
   * costly part of a scan of many targets).
   */
  const shared = (key: string, mint: () => Promise<Credential>): Promise<Credential> => {
    const cache = o.craftedCache;
    if (!cache) return mint();
    let p = cache.get(key);
    if (!p) {
      p = mint();
      cache.set(key, p);
    }
    return p;
  };

  /**
   * The valid client the crafted certificates of a live target are compared with: issued by the
   * CA, the crafted subject, now − 1 h … now + 30 d, EKU clientAuth (and, for the identity check's
   * control, an allowed identity). The crafted ones change one property of it (craftedOptions).
   */
  const validClient = (ca: Credential | undefined, sans?: SubjectAltNames): MintOptions => {
    const now = o.clock();
    return {
      subject: CRAFTED_SUBJECT,
      ...(ca ? { issuer: ca } : {}),
      notBefore: addDays(now, -1 / 24),
      notAfter: addDays(now, 30),
      eku: ['clientAuth'],
      ...(sans ? { sans } : {}),
    };
  };

  const crafted = (kind: CraftedKind) =>
    once(`crafted:${kind}`, async (): Promise<Credential | { skip: string }> => {
      const now = o.clock();
      const f = fixture;
      if (kind === 'selfSigned') {
        // Self-signed needs no CA, so none is looked for (the CA key may be absent).
        return f ? f.badClients.selfSigned : shared('selfSigned', () => mintCertificate(craftedOptions('selfSigned', validClient(undefined), now)));
      }
      if (kind === 'untrustedCa') {
        if (f) return f.badClients.untrustedCa;
        const name = await trustedCaName();
        if (!name) return { skip: 'needs the name of the trusted client CA: pass --ca, or a server that advertises its acceptable CAs' };
        return shared(`untrustedCa\u0000${typeof name === 'string' ? name : name.toString('hex')}`, async () => {
          const lookAlike = await mintCertificate(lookAlikeCaOptions(name, addDays(now, -1 / 24), addDays(now, 365)));
          return mintCertificate(craftedOptions('untrustedCa', validClient(lookAlike), now, lookAlike));
        });
      }
      if (f && kind !== 'wrongIdentity') return f.badClients[kind];
      const ca = await issuer();
      if ('skip' in ca) return ca;
      if (kind === 'intermediateIssued') {
        // RFC 5280 §4.2.1.9: a CA with pathLenConstraint 0 may issue no intermediate; a server that
        // refuses a client under one is right, so there is nothing to test.
        const fields = readCertFields(certDer(ca));
        const pathLength = fields
          ? fields.basicConstraints?.pathLength
          : (ca.cert.getExtension(x509.BasicConstraintsExtension) as x509.BasicConstraintsExtension | null)?.pathLength;
        if (pathLength === 0)
          return {
            skip: 'not applicable: the client CA has pathLenConstraint 0, so no intermediate under it may issue clients (RFC 5280 §4.2.1.9); a server refusing such a client is right',
          };
      }
      return shared(`${kind}\u0000${ca.certPem}`, async () => {
        const valid = validClient(ca);
        if (kind !== 'intermediateIssued') return mintCertificate(craftedOptions(kind, valid, now));
        const int = await mintCertificate({
          subject: 'CN=mtls-harness test intermediate, O=mtls-harness',
          issuer: ca,
          notBefore: valid.notBefore,
          notAfter: valid.notAfter,
          ca: true,
          pathLength: 0,
        });
        return mintCertificate(craftedOptions(kind, valid, now, int));
      });
    });

  /**
   * The positive control of the crafted checks: the valid client itself, minted from the same CA
   * (validClient); for the identity check, with an allowed identity. Shared like the crafted ones.
   */
  const controlCredential = (identity: boolean) =>
    once(`controlCredential:${identity}`, async (): Promise<Credential | undefined> => {
      const ca = await issuer();
      if ('skip' in ca) return undefined;
      const allowed = target.expect.allowedClientIdentities?.[0];
      if (identity && !allowed) return undefined;
      const sans = identity && allowed ? (identityKind(allowed) === 'URI' ? { uri: [allowed] } : { dns: [allowed] }) : undefined;
      return shared(`control\u0000${identity ? allowed : ''}\u0000${ca.certPem}`, () => mintCertificate(validClient(ca, sans)));
    });
  const givenControl = async (): Promise<Control | undefined> => {
    const outcome = await ctx.withCert();
    const listed = outcome && outcome.rejectedAt !== 'accepted' ? (await ownRevocation(target))?.listed : undefined;
    return (
      outcome && { what: 'the valid client certificate given (--cert)', source: 'given', outcome, ...(listed ? { listedRevoked: listedInWords(listed) } : {}) }
    );
  };
  const control = (kind: CraftedKind | 'noCert') =>
    once(`control:${kind}`, async (): Promise<Control | undefined> => {
      if (kind === 'noCert' && target.client) return givenControl();
      const identity = kind === 'wrongIdentity';
      const cred = await controlCredential(identity);
      if (cred) {
        const outcome = await once(`controlProbe:${identity}`, () => probe({ cert: cred.chainPem, key: cred.keyPem }));
        const what =
          kind === 'noCert'
            ? 'a valid client certificate minted from the CA key'
            : identity
              ? 'a control certificate minted from the same CA with an allowed identity'
              : 'a valid control certificate minted from the same CA (same profile, without the crafted property)';
        return { what, source: 'minted', outcome };
      }
      // No CA key: the user's own valid client is the closest control there is (look-alike CA, self-signed).
      return target.client ? givenControl() : undefined;
    });

  const stack = () =>
    once('stack', async (): Promise<RecognizedStack | undefined> => {
      // The reference in use is certain; otherwise what the server said about itself.
      const ref = target.reference ? recognizeStack({ reference: target.reference.implementation }) : undefined;
      if (ref) return ref;
      const seen = [await ctx.noCert(), ...(target.client ? [await ctx.withCert()] : [])];
      const httpServer = seen.find((x) => x?.httpServer)?.httpServer;
      return recognizeStack({ ...(httpServer ? { httpServer } : {}), protocol: target.protocol });
    });

  const ctx: CheckContext = {
    target,
    control,
    stack,
    clock: o.clock,
    timeoutMs: o.timeoutMs,
    noCert,
    plaintext: (port: number, kind: PlaintextKind) =>
      once(`plaintext:${port}:${kind}`, () => {
        const attempt = () => o.semaphore.use(() => probePlaintext(target.host, port, kind, o.timeoutMs));
        // Only the TLS port is known to be down; other plaintext ports are tried regardless.
        if (port !== target.port) return attempt();
        return noCert().then((g): PlaintextOutcome | Promise<PlaintextOutcome> => {
          const down = g.rejectedAt === 'unreachable' && g.failure && SHORT_CIRCUIT.has(g.failure.kind);
          // A port that answered, but not in TLS (a plaintext port): its plaintext is exactly what is asked.
          if (!down || g.failure!.kind === 'plaintext-http' || g.failure!.kind === 'not-tls') return attempt();
          return { kind, served: false, unreachable: true, reason: `not attempted: the first connection to this target failed (${g.reason})` };
        });
      }),
    withCert: () => once('withCert', async () => (target.client ? probe({ cert: target.client.certPem, key: target.client.keyPem }) : undefined)),
    capped: (maxVersion: TlsVersion) =>
      // Offering an old version at all needs OpenSSL's security level 0 on our side.
      once(`capped:${maxVersion}`, () =>
        probe({
          minVersion: 'TLSv1',
          maxVersion,
          ciphers: 'DEFAULT:@SECLEVEL=0',
          ...(target.client ? { cert: target.client.certPem, key: target.client.keyPem } : {}),
        }),
      ),
    crafted,
    // Not under the run's connection bound: the prober keeps its own rate and in-flight bound.
    rotation: () => once('rotation', () => observeRotation(target, { timeoutMs: o.timeoutMs, clock: o.clock })),
    withKeyType: (type: LeafKeyType) =>
      once(`withKeyType:${type}`, async () => {
        const ca = await issuer();
        if ('skip' in ca) return ca;
        const cred = await shared(`keyType:${type}\u0000${ca.certPem}`, async () => mintCertificate({ ...validClient(ca), key: await sharedLeafKey(type) }));
        return probe({ cert: cred.chainPem, key: cred.keyPem });
      }),
    revokedClient: () => once('revokedClient', () => revokedClientOf(target, o.clock)),
    withRevoked: () =>
      once('withRevoked', async () => {
        const r = await ctx.revokedClient();
        return 'skip' in r ? r : probe({ cert: r.chainPem, key: r.keyPem });
      }),
    withProfile: (id: string) => profileProbe({ once, shared, issuer, validClient, probe, now: o.clock }, id),
    ocspRevokedClient: () => once('ocspRevokedClient', () => ocspRevokedClientOf(target, o.clock)),
    withOcspRevoked: () =>
      once('withOcspRevoked', async () => {
        const r = await ctx.ocspRevokedClient();
        return 'skip' in r ? r : probe({ cert: r.chainPem, key: r.keyPem });
      }),
    withCrafted: (kind: CraftedKind) =>
      once(`withCrafted:${kind}`, async () => {
        const c = await crafted(kind);
        if ('skip' in c) return c;
        return probe({ cert: c.chainPem, key: c.keyPem });
      }),
  };
  return ctx;
}
