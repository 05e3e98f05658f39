/**
 * What a reference server declares (issue 17): one entry of REFERENCES (index.ts) per server, and
 * for the file-based ones the rendered process form the process and container providers run.
 */
import { HarnessError } from '../../core/errors.js';
import type { Protocol } from '../../core/target.js';
import type { FixturePki } from '../../pki/generate.js';
import { clientPolicyFor, type ClientPolicy, type ProfileName } from '../profiles.js';
import type { StartedReference } from '../target.js';

/** A verdict a server really reaches, differing from its profile's table, with why (a real gap, never an approximation). */
export interface Deviation {
  checks: Record<string, 'pass' | 'warn' | 'fail' | 'skip' | 'error'>;
  reason: string;
}

/**
 * The deviation of a server whose CertificateRequest names no CA, so
 * handshake.advertised-cas-cover-client warns: one that loads its client CA for verification only
 * and sets no client CA list (OpenSSL's SSL_CTX_load_verify_locations without
 * SSL_CTX_set_client_CA_list; measured: MariaDB, Redis, mosquitto), on every profile where it asks
 * for a certificate; or (`trustAnyOnly`) one configured with no client CA at all when it verifies
 * nothing (trust-any-client; measured: stunnel, Caddy).
 */
export function advertisesNoCaNames(server: string, trustAnyOnly = false): (profile: ProfileName) => Deviation | undefined {
  return (profile) => {
    const policy = clientPolicyFor(profile);
    if (policy === 'none' || (trustAnyOnly && policy !== 'require-any')) return undefined;
    return {
      checks: { 'handshake.advertised-cas-cover-client': 'warn' },
      reason: trustAnyOnly
        ? `${server} verifying no client is configured with no client CA, so its CertificateRequest names no acceptable CA`
        : `${server} loads its CA file for verification only and sets no client CA list: its CertificateRequest names no acceptable CA`,
    };
  };
}

/** Several deviations of one server on a profile as one: their checks together, their reasons joined. */
export function bothDeviations(...all: ((profile: ProfileName) => Deviation | undefined)[]): (profile: ProfileName) => Deviation | undefined {
  return (profile) => {
    const found = all.map((d) => d(profile)).filter((d): d is Deviation => d !== undefined);
    if (found.length === 0) return undefined;
    return { checks: Object.assign({}, ...found.map((d) => d.checks)) as Deviation['checks'], reason: found.map((d) => d.reason).join('; ') };
  };
}

/** The protocol a reference server speaks (its targets' `protocol` once the probe speaks it). */
export type ReferenceProtocol = Protocol;

/** How TLS starts on a port after a protocol's own request: PostgreSQL's SSLRequest, MySQL's SSL request packet. */
export type StartTls = 'postgres' | 'mysql';

/** What a reference server is started with: the profile, the fixture PKI, and the OCSP responder's URL when one runs. */
export interface ReferenceStartOptions {
  profile: ProfileName;
  pki: FixturePki;
  ocspUrl?: string | undefined;
}

/**
 * One reference server: everything the harness knows of it is here, and `--reference`, the
 * `unsupported` refusals, the container provider, the self-test's expectations, the reference
 * image's package list (checked by a test) and the support table of docs/reference-servers.md are
 * derived from it.
 */
export interface ReferenceServer {
  /** The name `--reference` and `reference start` take. */
  name: string;
  /** What runs, in a few words (docs): "openssl s_server", "nginx". */
  title: string;
  /** What a reference target of it is tested with (the target's `protocol`). */
  protocol: ReferenceProtocol;
  /** The user its database probes log in as (the account it creates), when it has one. */
  appUser?: string;
  /**
   * Debian packages it needs: on the host for its process form, in the reference image for its
   * container form. None for what runs in the harness's own Node.
   */
  debianPackages: readonly string[];
  /** How `--provider process` runs it: a child process, or inside the harness's own process. */
  runs: 'process' | 'in-process';
  /** Why a profile cannot be expressed honestly, or undefined when it can. */
  unsupported(profile: ProfileName): string | undefined;
  /**
   * Verdicts on which this server, configured exactly as the profile says, really differs from the
   * profile's table (docs/CONFORMANCE.md), with the reason: a real gap of the server the harness must
   * report (e.g. gnutls-serv does not check a client's EKU), never an approximation.
   */
  deviations?(profile: ProfileName): Deviation | undefined;
  /**
   * Why the rotation prober judges each attempt by its handshake alone (no HTTP request) on this
   * server, when a request per attempt would measure something else than TLS continuity.
   */
  rotationHandshakeOnly?: string;
  /** Starts it with `--provider process`, for a profile it supports, on 127.0.0.1 and a free port. */
  start(o: ReferenceStartOptions): Promise<StartedReference>;
  /** Its file-based form (a config rendered beside the PKI files, a binary): how `start` runs it, when it is one. */
  process?: ProcessImplementation;
  /** Whether `--provider container` runs its file-based form in the reference image (its packages are then in fixtures/images). */
  container: boolean;
}

/** Where the rendered files live, as the server process sees them (host temp dir, or /mtls in a container). */
export interface RenderContext {
  profile: ProfileName;
  policy: ClientPolicy;
  /** Directory holding the PKI files and the rendered config, as seen by the server. */
  dir: string;
  /** Address and port the server binds. */
  bind: string;
  port: number;
  /** Whether the server's intermediate is sent (false for incomplete-chain). */
  sendChain: boolean;
  /** The harness's loopback OCSP responder (`http://127.0.0.1:PORT/`), on the profiles that run one (runsOcspResponder). */
  ocspUrl?: string | undefined;
}

/** The loopback OCSP responder's URL a server is configured with on revocation-ocsp (a bug when absent: the server would check nothing). */
export function ocspUrlOf(ctx: RenderContext, server: string): string {
  if (!ctx.ocspUrl) throw new HarnessError('internal', `${server} on ${ctx.profile}: no OCSP responder URL was given (start it with startReference)`);
  return ctx.ocspUrl;
}

/** Why no container expresses revocation-ocsp. */
export const OCSP_IN_CONTAINER =
  "in a container: the harness's OCSP responder listens on the host's loopback (127.0.0.1), which a container on its own bridge network cannot reach; use --provider process";

/** What an implementation renders for a profile: files to write beside the PKI, and how to run and reload it. */
export interface Rendered {
  files: Record<string, string>;
  command: string[];
  /** Graceful reload: a signal to the main process (nginx HUP, haproxy master USR2, stunnel HUP). */
  reloadSignal?: NodeJS.Signals;
  /**
   * A line the server logs once a signal reload is complete (haproxy: "Loading success."): the reload
   * waits for one more of them (up to 10 s), so a second reload is not sent, and lost, while the first
   * is still being applied.
   */
  reloadDone?: RegExp;
  /** Graceful reload by a command instead (caddy reload): argv, run beside the server with its env; must exit 0. */
  reloadCommand?: string[];
  /** Extra environment of the server and its reload command (caddy: HOME and XDG dirs in the rendered dir). */
  env?: Record<string, string>;
  /** The signal that stops it (default SIGTERM; PostgreSQL: SIGINT, its fast shutdown, which does not wait for clients). */
  stopSignal?: NodeJS.Signals;
}

/** One real TLS server, run from a config rendered from a template (fixtures/reference/) beside the PKI files. */
export interface ProcessImplementation {
  /** Its name in REFERENCES (`node` is also the node reference as a child process, for rotation profiles). */
  name: string;
  /** Debian packages that provide it (the first one holds the binary). */
  debianPackages: readonly string[];
  /** Binary name looked up on PATH (and the sbin directories), or an absolute path. */
  binary: string;
  /** Why a profile cannot be expressed honestly, or undefined when it can. */
  unsupported(profile: ProfileName): string | undefined;
  /** Its real gaps on a profile (see ReferenceServer.deviations). */
  deviations?(profile: ProfileName): Deviation | undefined;
  /** See ReferenceServer.rotationHandshakeOnly. */
  rotationHandshakeOnly?: string;
  /**
   * When the harness runs as root: the system user (created by its Debian package) the server, its
   * reload command and its files belong to — for servers that refuse root or drop to their own user
   * before reading their key (PostgreSQL, mariadbd, mosquitto). Otherwise the current user.
   */
  runAs?: string;
  /** Its TLS starts after this protocol's request (readiness speaks it); absent: TLS from the first byte. */
  starttls?: StartTls;
  render(ctx: RenderContext): Rendered;
}
