import * as https from 'node:https';
import * as tls from 'node:tls';
import type { AddressInfo, Socket } from 'node:net';
import { X509Certificate } from 'node:crypto';
import { HarnessError } from '../../core/errors.js';
import { fixtureCrlPem } from '../../pki/crl.js';
import { mintFixturePki, type Credential, type FixturePki } from '../../pki/generate.js';
import { isIssuedBy } from '../../pki/inspect.js';
import type { TlsVersion } from '../../core/target.js';
import { PROFILES, type ProfileName } from '../profiles.js';
import type { StartedReference } from '../target.js';

export interface NodeReferenceOptions {
  profile: ProfileName;
  /** PKI to serve from; minted when omitted. */
  pki?: FixturePki;
  host?: string;
  port?: number;
  minVersion?: TlsVersion;
  maxVersion?: TlsVersion;
  /** `https` answers HTTP requests (default); `tls` is a raw TLS server that only keeps connections open. */
  protocol?: 'https' | 'tls';
}

/** The client-certificate policy a profile asks for. */
type ClientPolicy = 'require-verified' | 'optional-verified' | 'none' | 'require-any' | 'require-ignore-dates';

interface ProfilePlan {
  policy: ClientPolicy;
  server: (pki: FixturePki) => Credential;
  /** Serve the leaf only, not its intermediate. */
  leafOnly?: boolean;
  /** Check client certificates against the fixture CRLs (tls `crl`: OpenSSL's CRL_CHECK and CRL_CHECK_ALL). */
  crl?: boolean;
}

const PLANS: Partial<Record<ProfileName, ProfilePlan>> = {
  strict: { policy: 'require-verified', server: (p) => p.server },
  'optional-client-cert': { policy: 'optional-verified', server: (p) => p.server },
  'no-client-auth': { policy: 'none', server: (p) => p.server },
  'trust-any-client': { policy: 'require-any', server: (p) => p.server },
  'accept-expired-client': { policy: 'require-ignore-dates', server: (p) => p.server },
  'wrong-san-server': { policy: 'require-verified', server: (p) => p.badServers.wrongSan },
  'cn-only-server': { policy: 'require-verified', server: (p) => p.badServers.cnOnly },
  'incomplete-chain': { policy: 'require-verified', server: (p) => p.badServers.incompleteChain, leafOnly: true },
  'expiring-server': { policy: 'require-verified', server: (p) => p.badServers.expiring },
  'expired-server': { policy: 'require-verified', server: (p) => p.badServers.expired },
  'revocation-crl': { policy: 'require-verified', server: (p) => p.server, crl: true },
  'no-revocation-check': { policy: 'require-verified', server: (p) => p.server },
};

/** Profiles the in-process node reference expresses (the rotation profiles run node as a child process: node-process.ts). */
export const NODE_PROFILES: readonly ProfileName[] = PROFILES.filter((p) => PLANS[p] !== undefined);

const TIME_ERRORS = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);

/**
 * The in-process reference server (node:tls / node:https), the embedded default: no external
 * dependency. Policies node cannot express natively (optional-but-verified, trust-any,
 * ignore-dates) run with `rejectUnauthorized: false` and refuse right after the handshake by
 * closing the connection, which clients observe as a post-handshake rejection.
 */
export class NodeReference {
  private readonly opts: NodeReferenceOptions;
  constructor(opts: NodeReferenceOptions) {
    if (!PLANS[opts.profile]) {
      throw new HarnessError(
        'target.unsupported-profile',
        `the in-process node reference does not run profile "${opts.profile}" (rotation profiles start node as a process: startReference); in-process profiles: ${NODE_PROFILES.join(', ')}`,
      );
    }
    this.opts = opts;
  }

  async start(): Promise<StartedNodeReference> {
    const pki = this.opts.pki ?? (await mintFixturePki());
    const plan = PLANS[this.opts.profile]!;
    const serverCred = plan.server(pki);
    const logs: string[] = [];
    const log = (s: string) => {
      if (logs.length < 10_000) logs.push(`${new Date().toISOString()} ${s}`);
    };
    const trusted = [new X509Certificate(pki.root.certPem)];
    const secure: tls.TlsOptions = {
      cert: plan.leafOnly ? serverCred.certPem : serverCred.chainPem,
      key: serverCred.keyPem,
      ca: pki.root.certPem,
      // One CRL per array element: node reads a single CRL from each PEM string.
      ...(plan.crl ? { crl: fixtureCrlPem(pki).match(/-----BEGIN X509 CRL-----[\s\S]*?-----END X509 CRL-----\n/g) ?? [] } : {}),
      requestCert: plan.policy !== 'none',
      rejectUnauthorized: plan.policy === 'require-verified',
      ...(this.opts.minVersion ? { minVersion: this.opts.minVersion } : {}),
      ...(this.opts.maxVersion ? { maxVersion: this.opts.maxVersion } : {}),
    };
    const protocol = this.opts.protocol ?? 'https';
    const profile = this.opts.profile;
    const server: tls.Server =
      protocol === 'https'
        ? https.createServer(secure, (req, res) => {
            const peer = (req.socket as tls.TLSSocket).getPeerCertificate();
            res.writeHead(200, { 'content-type': 'text/plain' });
            res.end(`hello from the mtls-harness node reference (profile ${profile}); client: ${peer?.subject?.CN ?? 'none'}\n`);
          })
        : tls.createServer(secure, () => undefined);
    server.on('secureConnection', (sock: tls.TLSSocket) => {
      const verdict = gate(plan.policy, sock, trusted);
      log(
        `connection from ${sock.remoteAddress}:${sock.remotePort} ${sock.getProtocol()} authorized=${sock.authorized} ${sock.authorizationError ?? ''} -> ${verdict}`,
      );
      if (verdict !== 'serve') sock.destroy();
    });
    const sockets = new Set<Socket>();
    server.on('connection', (s: Socket) => {
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
    });
    server.on('tlsClientError', (err) => log(`handshake refused: ${(err as NodeJS.ErrnoException).code ?? err.message}`));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e) => reject(new HarnessError('target.start-failed', `node reference could not listen: ${(e as Error).message}`, { cause: e })));
      server.listen(this.opts.port ?? 0, this.opts.host ?? '127.0.0.1', () => resolve());
    });
    const addr = server.address() as AddressInfo;
    const endpoint = { host: addr.address, port: addr.port };
    log(`listening on ${addr.address}:${addr.port} profile=${profile}`);
    return new StartedNodeReference(profile, endpoint, pki, server, logs, sockets);
  }
}

function gate(policy: ClientPolicy, sock: tls.TLSSocket, trusted: X509Certificate[]): 'serve' | 'refuse' {
  const peer = sock.getPeerX509Certificate();
  switch (policy) {
    case 'require-verified':
    case 'none':
      return 'serve';
    case 'optional-verified':
      return !peer || sock.authorized ? 'serve' : 'refuse';
    case 'require-any':
      return peer ? 'serve' : 'refuse';
    case 'require-ignore-dates': {
      if (!peer) return 'refuse';
      if (sock.authorized) return 'serve';
      if (!TIME_ERRORS.has(String(sock.authorizationError))) return 'refuse';
      // Only the dates failed: still insist the certificate was issued by the trusted CA
      // (directly or through an intermediate the client sent).
      const chain = chainOf(sock);
      return chain.some((c, i) => i < chain.length && trusted.some((t) => isIssuedBy(c, t))) && linked(chain) ? 'serve' : 'refuse';
    }
  }
}

function chainOf(sock: tls.TLSSocket): X509Certificate[] {
  const out: X509Certificate[] = [];
  const seen = new Set<string>();
  let c = sock.getPeerCertificate(true) as tls.DetailedPeerCertificate | undefined;
  while (c?.raw && !seen.has(c.fingerprint256)) {
    seen.add(c.fingerprint256);
    out.push(new X509Certificate(c.raw));
    c = c.issuerCertificate;
  }
  return out;
}

function linked(chain: X509Certificate[]): boolean {
  for (let i = 0; i + 1 < chain.length; i++) {
    if (chain[i]!.subject === chain[i + 1]!.subject) break;
    if (!isIssuedBy(chain[i]!, chain[i + 1]!)) return false;
  }
  return true;
}

/** A running node reference server. */
export class StartedNodeReference implements StartedReference {
  readonly implementation = 'node';
  readonly url: string;
  constructor(
    readonly profile: ProfileName,
    readonly endpoint: { host: string; port: number },
    readonly pki: FixturePki,
    private readonly server: tls.Server,
    private readonly logLines: string[],
    private readonly sockets: Set<Socket>,
  ) {
    this.url = `https://${endpoint.host}:${endpoint.port}/`;
  }
  logs(): string[] {
    return [...this.logLines];
  }
  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      // Open keep-alive or idle raw connections must not hold the stop.
      for (const s of this.sockets) s.destroy();
    });
  }
}
