/**
 * The targets of a run as data: each live target's credentials, names, protocol, TLS versions and
 * rotation settings from the flags over the config file's target (files read and checked once per
 * run), before anything connects.
 */
import { isIP } from 'node:net';
import * as path from 'node:path';
import type { FileTarget } from '../config/load.js';
import { checkHostName, checkHttpPath } from '../config/validate.js';
import { parseDuration, parseIntFlag } from '../config/values.js';
import { parseEndpoint } from '../core/endpoint.js';
import { HarnessError } from '../core/errors.js';
import { safeText } from '../core/text.js';
import {
  isProtocol,
  PROTOCOLS,
  ROTATION_DEFAULTS,
  type Protocol,
  type ClientCredentials,
  type Policy,
  type RotationConfig,
  type TargetConfig,
  type TlsVersion,
} from '../core/target.js';
import { loadCaFile, loadCredentialFiles, parseCertificates, parsePrivateKey, readPkiFile } from '../pki/inspect.js';
import { loadPkcs12Credentials, p12Excludes, p12Passphrase } from '../pki/pkcs12.js';
import { crlsOfFile } from '../pki/client-crl.js';
import { isSpiffeId, spiffeIdProblem } from '../rules/svid.js';
import { parseTlsVersion } from '../probe/tls-probe.js';
import { pemOrFile, pick, type Values } from './settings.js';

/** Credential and naming flags (flag > environment) applied over every target. */
export interface CredentialFlags {
  ca?: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
  caKey?: string | undefined;
  /** A client certificate the CA has revoked, and its key (chain.rejects-revoked-client). */
  revokedCert?: string | undefined;
  revokedKey?: string | undefined;
  /** CRL files the valid client is checked against (--crl), and whether its distribution points are fetched (--fetch-crl). */
  crls?: string[] | undefined;
  fetchCrl?: true | undefined;
  servername?: string | undefined;
  passEnv?: string | undefined;
  /** A PKCS#12 client credential (instead of cert and key) and the variable holding its passphrase. */
  p12?: string | undefined;
  p12PassEnv?: string | undefined;
  protocol?: string | undefined;
  /** The user a database or mail probe logs in as (--app-user). */
  appUser?: string | undefined;
  expectedNames: string[];
  /** TLS versions offered (not the policy minimum, which is --min-tls). */
  tlsMin?: TlsVersion | undefined;
  tlsMax?: TlsVersion | undefined;
  /** `--path`, repeatable: the HTTP paths (several: one target per path). */
  paths?: string[] | undefined;
}

/** A user name for --app-user (config appUser): printable, no spaces or quotes, 1 to 63 characters; exit 2 otherwise. */
export function appUserFlag(
  where: string,
  user: string | undefined,
  code: 'usage.invalid-value' | 'config.invalid' = 'usage.invalid-value',
): string | undefined {
  if (user === undefined) return undefined;
  if (!/^[A-Za-z0-9._@+=-]{1,63}$/.test(user))
    throw new HarnessError(code, `${where}: the application user must be 1 to 63 letters, digits or . _ @ + = -, not "${safeText(user, 70)}"`);
  return user;
}

export function credentialFlags(command: string, v: Values, env: NodeJS.ProcessEnv): CredentialFlags {
  const over: CredentialFlags = {
    ca: pick(v, env, 'ca', 'MTLS_CA'),
    // --p12 given: MTLS_CERT/MTLS_KEY in the environment do not apply (a flag wins over the environment).
    cert: v.p12 === undefined ? pick(v, env, 'cert', 'MTLS_CERT') : (v.cert as string | undefined),
    key: v.p12 === undefined ? pick(v, env, 'key', 'MTLS_KEY') : (v.key as string | undefined),
    caKey: pick(v, env, 'ca-key', 'MTLS_CA_KEY'),
    revokedCert: v['revoked-cert'] as string | undefined,
    revokedKey: v['revoked-key'] as string | undefined,
    crls: v.crl as string[] | undefined,
    fetchCrl: v['fetch-crl'] === true ? true : undefined,
    servername: pick(v, env, 'servername', 'MTLS_SERVERNAME'),
    passEnv: v['key-passphrase-env'] as string | undefined,
    p12: v.p12 as string | undefined,
    p12PassEnv: v['p12-passphrase-env'] as string | undefined,
    protocol: v.protocol as string | undefined,
    appUser: appUserFlag(command, v['app-user'] as string | undefined),
    expectedNames: (v['expected-name'] as string[] | undefined) ?? [],
    tlsMin: v['tls-min'] !== undefined ? parseTlsVersion(v['tls-min'] as string) : undefined,
    tlsMax: (v['tls-max'] ?? v['max-tls']) !== undefined ? parseTlsVersion((v['tls-max'] ?? v['max-tls']) as string) : undefined,
    paths: v.path as string[] | undefined,
  };
  for (const p of over.paths ?? []) checkHttpPath(`${command}: --path`, p);
  if (over.servername !== undefined) checkHostName(`${command}: --servername`, over.servername);
  if (!!over.cert !== !!over.key) throw new HarnessError('usage.missing-argument', `${command}: --cert and --key go together`);
  if (!!over.revokedCert !== !!over.revokedKey) throw new HarnessError('usage.missing-argument', `${command}: --revoked-cert and --revoked-key go together`);
  p12Excludes(command, over.p12, over.cert ?? over.key);
  if (over.protocol && !isProtocol(over.protocol))
    throw new HarnessError('usage.invalid-value', `${command}: --protocol must be one of ${PROTOCOLS.join(', ')}, not "${over.protocol}"`);
  return over;
}

export function resolveRotationFlags(command: string, v: Values): RotationFlags {
  const rotationFlags: RotationFlags = {
    command: v['rotation-command'] as string | undefined,
    watch: v['rotation-watch'] as string | undefined,
    timeout: v['rotation-timeout'] as string | undefined,
    rate: v.rate !== undefined ? parseIntFlag('--rate', v.rate as string, 1, 5000) : undefined,
    inFlight: v['in-flight'] !== undefined ? parseIntFlag('--in-flight', v['in-flight'] as string, 1, 256) : undefined,
    handshakeOnly: !!v['rotation-handshake-only'],
    overlapCert: v['rotation-overlap-cert'] as string | undefined,
    overlapKey: v['rotation-overlap-key'] as string | undefined,
  };
  if (rotationFlags.command !== undefined && rotationFlags.watch !== undefined)
    throw new HarnessError(
      'usage.invalid-value',
      `${command}: --rotation-command and --rotation-watch exclude each other (trigger a rotation, or watch for one)`,
    );
  if (!!rotationFlags.overlapCert !== !!rotationFlags.overlapKey)
    throw new HarnessError('usage.missing-argument', `${command}: --rotation-overlap-cert and --rotation-overlap-key go together`);
  if (rotationFlags.watch !== undefined) parseDuration('--rotation-watch', rotationFlags.watch);
  if (rotationFlags.timeout !== undefined) parseDuration('--rotation-timeout', rotationFlags.timeout);
  return rotationFlags;
}

export interface RotationFlags {
  command?: string | undefined;
  watch?: string | undefined;
  timeout?: string | undefined;
  rate?: number | undefined;
  inFlight?: number | undefined;
  handshakeOnly: boolean;
  overlapCert?: string | undefined;
  overlapKey?: string | undefined;
}

/** A live target's rotation settings: flags over the file's `rotation:`; undefined when neither says anything. */
export function resolveRotation(
  t: FileTarget,
  f: RotationFlags,
  baseDir: string,
  env: NodeJS.ProcessEnv,
  where: string,
  protocol: Protocol,
): RotationConfig | undefined {
  const r = t.rotation ?? {};
  // A trigger given by flag replaces the file's (command and watch exclude each other).
  const command = f.command ?? (f.watch === undefined ? r.command : undefined);
  const watch = f.watch ?? (f.command === undefined ? r.watch : undefined);
  const overlapCert = f.overlapCert ?? r.overlapCert;
  const overlapKey = f.overlapKey ?? r.overlapKey;
  const anything = command !== undefined || watch !== undefined || overlapCert !== undefined;
  if (!anything) return undefined;
  const dur = (name: string, value: string | undefined, dflt: number) => (value === undefined ? dflt : parseDuration(`${where} rotation.${name}`, value));
  const rate = f.rate ?? r.rate ?? ROTATION_DEFAULTS.rate;
  const maxInFlight = f.inFlight ?? r.inFlight ?? ROTATION_DEFAULTS.maxInFlight;
  if (!Number.isInteger(rate) || rate < 1 || rate > 5000)
    throw new HarnessError('config.invalid', `${where}: rotation.rate must be a whole number from 1 to 5000`);
  if (!Number.isInteger(maxInFlight) || maxInFlight < 1 || maxInFlight > 256)
    throw new HarnessError('config.invalid', `${where}: rotation.inFlight must be a whole number from 1 to 256`);
  let overlapClient: ClientCredentials | undefined;
  if (overlapCert !== undefined && overlapKey !== undefined) {
    const dir = f.overlapCert !== undefined ? process.cwd() : baseDir;
    overlapClient = loadCredentialFiles(path.resolve(dir, overlapCert), path.resolve(dir, overlapKey), env.MTLS_KEY_PASSPHRASE);
  }
  return {
    ...(command !== undefined ? { trigger: { kind: 'command' as const, command, timeoutMs: dur('timeout', f.timeout ?? r.timeout, 600_000) } } : {}),
    ...(watch !== undefined ? { trigger: { kind: 'watch' as const, durationMs: dur('watch', watch, 0) } } : {}),
    rate,
    maxInFlight,
    beforeMs: dur('before', r.before, ROTATION_DEFAULTS.beforeMs),
    afterMs: dur('after', r.after, ROTATION_DEFAULTS.afterMs),
    request: !f.handshakeOnly && (r.request ?? true) && protocol === 'https',
    ...(overlapClient ? { overlapClient } : {}),
  };
}

/**
 * Files every target of a run names (the CA, the client credential, the CA key): read, parsed and
 * checked once per run, not once per target. Keyed by path (and passphrase variable); errors are
 * not cached, they stop the run (exit 2) anyway.
 */
/** A certificate and its key, each a file or inline PEM: read once per run (files), the key checked against the certificate. */
function credentialOf(
  where: string,
  label: 'cert' | 'revokedCert',
  certSrc: { file?: string; pem?: string },
  keySrc: { file?: string; pem?: string },
  passphrase: string | undefined,
  passVar: string | undefined,
  files: FileCache,
): ClientCredentials {
  if (certSrc.file && keySrc.file)
    return files.get(`${label}\u0000${certSrc.file}\u0000${keySrc.file}\u0000${passVar ?? ''}`, () =>
      loadCredentialFiles(certSrc.file!, keySrc.file!, passphrase),
    );
  const certPem = certSrc.pem ?? readPkiFile(certSrc.file!, 'certificate').toString();
  const keyBuf = keySrc.pem ?? readPkiFile(keySrc.file!, 'private key');
  const chain = parseCertificates(certPem, `${where} ${label}`);
  const key = parsePrivateKey(keyBuf, `${where} ${label === 'cert' ? 'key' : 'revokedKey'}`, passphrase);
  if (!chain[0]!.checkPrivateKey(key))
    throw new HarnessError('pki.key-mismatch', `${where}: the key is not the private key of the ${label === 'cert' ? 'client' : 'revoked client'} certificate`);
  return { certPem: chain.map((c) => c.toString()).join(''), keyPem: key.export({ format: 'pem', type: 'pkcs8' }).toString(), chain };
}

export class FileCache {
  private readonly map = new Map<string, unknown>();
  get<T>(key: string, load: () => T): T {
    if (!this.map.has(key)) this.map.set(key, load());
    return this.map.get(key) as T;
  }
}

export function resolveLiveTarget(
  t: FileTarget,
  over: CredentialFlags,
  baseDir: string,
  policy: Policy,
  env: NodeJS.ProcessEnv,
  where: string,
  files: FileCache = new FileCache(),
): TargetConfig {
  const endpoint = parseEndpoint(t.endpoint!);
  const flagDir = process.cwd();
  const src = (flag: string | undefined, fileVal: string | undefined) =>
    flag !== undefined ? pemOrFile(flag, flagDir) : fileVal !== undefined ? pemOrFile(fileVal, baseDir) : undefined;

  const caSrc = src(over.ca, t.ca);
  const trustPem = caSrc
    ? caSrc.pem
      ? parseCertificates(caSrc.pem, `${where} ca`)
          .map((c) => c.toString())
          .join('')
      : files.get(`ca\u0000${caSrc.file}`, () => loadCaFile(caSrc.file!)).pem
    : undefined;
  const clientCaSrc = t.clientCa !== undefined ? pemOrFile(t.clientCa, baseDir) : undefined;
  const clientCaPem = clientCaSrc ? (clientCaSrc.pem ?? files.get(`ca\u0000${clientCaSrc.file}`, () => loadCaFile(clientCaSrc.file!)).pem) : undefined;

  const passVar = over.passEnv ?? t.keyPassphraseEnv;
  let passphrase: string | undefined = env.MTLS_KEY_PASSPHRASE;
  if (passVar !== undefined) {
    passphrase = env[passVar];
    if (passphrase === undefined) throw new HarnessError('usage.invalid-value', `${where}: environment variable ${passVar} (the key passphrase) is not set`);
  }
  // A credential given by flag (--p12, or --cert/--key) replaces the file's (p12, or cert/key).
  const flagCred = over.p12 !== undefined || over.cert !== undefined;
  if (t.p12 !== undefined) p12Excludes(where, t.p12, t.cert ?? t.key, 'config.invalid');
  const p12File = over.p12 !== undefined ? path.resolve(flagDir, over.p12) : !flagCred && t.p12 !== undefined ? path.resolve(baseDir, t.p12) : undefined;
  const certSrc = p12File ? undefined : src(over.cert, t.cert);
  const keySrc = p12File ? undefined : src(over.key, t.key);
  if (!!certSrc !== !!keySrc) throw new HarnessError('config.invalid', `${where}: cert and key go together`);
  let client: ClientCredentials | undefined;
  if (p12File) {
    const p12Var = over.p12PassEnv ?? t.p12PassphraseEnv;
    client = files.get(`p12\u0000${p12File}\u0000${p12Var ?? ''}`, () => loadPkcs12Credentials(p12File, p12Passphrase(where, p12Var, env)));
  } else if (certSrc && keySrc) {
    client = credentialOf(where, 'cert', certSrc, keySrc, passphrase, passVar, files);
  }
  const caKeySrc = src(over.caKey, t.caKey);
  const caKey = caKeySrc
    ? caKeySrc.file
      ? files.get(`cakey\u0000${caKeySrc.file}`, () => parsePrivateKey(readPkiFile(caKeySrc.file!, 'CA private key'), caKeySrc.file))
      : parsePrivateKey(caKeySrc.pem!, `${where} caKey`)
    : undefined;
  // A revoked client given by flag replaces the file's (revokedCert/revokedKey).
  const revokedCertSrc = src(over.revokedCert, t.revokedCert);
  const revokedKeySrc = src(over.revokedKey, t.revokedKey);
  if (!!revokedCertSrc !== !!revokedKeySrc) throw new HarnessError('config.invalid', `${where}: revokedCert and revokedKey go together`);
  // CRL files given by flag replace the file's (crl).
  const crlFiles: [string, string][] = over.crls?.length
    ? over.crls.map((f): [string, string] => [f, flagDir])
    : (t.crl ?? []).map((f): [string, string] => [f, baseDir]);
  const revokedClient =
    revokedCertSrc && revokedKeySrc ? credentialOf(where, 'revokedCert', revokedCertSrc, revokedKeySrc, passphrase, passVar, files) : undefined;
  if (caKey && !trustPem && !clientCaPem) throw new HarnessError('usage.missing-argument', `${where}: --ca-key needs the CA certificate too (--ca)`);

  if (t.servername !== undefined) checkHostName(`${where}: servername`, t.servername, 'config.invalid');
  checkTargetPaths(t, where);
  // A SPIFFE ID expected of the server must be one (san.server-identity judges its X.509-SVID profile).
  const identity = t.expect?.serverIdentity;
  const badId = identity !== undefined && isSpiffeId(identity) ? spiffeIdProblem(identity) : undefined;
  if (badId) throw new HarnessError('config.invalid', `${where}: expect.serverIdentity "${safeText(identity!, 200)}" is not a valid SPIFFE ID: ${badId}`);
  const httpPath = targetPaths(over, t)[0];
  const servername = over.servername ?? t.servername;
  // No protocol given: the runner decides it from what the server does (probe/detect.ts).
  const given = (over.protocol ?? t.protocol) as Protocol | undefined;
  const protocol = given ?? 'https';
  return {
    name: t.name ?? t.endpoint!,
    host: endpoint.host,
    port: endpoint.port,
    ...(servername ? { servername } : !isIP(endpoint.host) ? { servername: endpoint.host } : {}),
    expectedNames: [...new Set([...(t.expectedNames ?? []), ...over.expectedNames])],
    protocol,
    ...(given ? {} : { detectProtocol: true }),
    ...((over.appUser ?? t.appUser) ? { appUser: (over.appUser ?? appUserFlag(where, t.appUser, 'config.invalid'))! } : {}),
    ...(httpPath ? { httpPath } : {}),
    ...offeredVersions(over, t),
    ...(trustPem ? { trustPem } : {}),
    ...(client ? { client } : {}),
    ...(clientCaPem ? { clientCaPem } : {}),
    ...(caKey ? { caKey } : {}),
    ...(revokedClient ? { revokedClient } : {}),
    ...(crlFiles.length
      ? {
          clientCrls: crlFiles.flatMap(([f, dir]) =>
            files.get(`crl\u0000${path.resolve(dir, f)}`, () => crlsOfFile(readPkiFile(path.resolve(dir, f), 'CRL')).map((der) => ({ source: f, der }))),
          ),
        }
      : {}),
    ...((over.fetchCrl ?? t.fetchCrl) ? { fetchCrl: true } : {}),
    expect: {
      ...(t.expect?.serverIdentity ? { serverIdentity: t.expect.serverIdentity } : {}),
      ...(t.expect?.allowedClientIdentities ? { allowedClientIdentities: t.expect.allowedClientIdentities } : {}),
    },
    policy,
    plaintextPorts: t.plaintextPorts ?? [],
  };
}

/** A config target's `path`/`paths`, validated (they exclude each other). */
export function checkTargetPaths(t: { path?: string; paths?: string[] }, where: string): void {
  if (t.path !== undefined) checkHttpPath(`${where}: path`, t.path, 'config.invalid');
  for (const p of t.paths ?? []) checkHttpPath(`${where}: paths`, p, 'config.invalid');
  if (t.path !== undefined && t.paths !== undefined) throw new HarnessError('config.invalid', `${where}: path and paths exclude each other`);
  if (t.paths !== undefined && t.paths.length === 0) throw new HarnessError('config.invalid', `${where}: paths is empty`);
}

/** The HTTP paths of a target: `--path` (repeatable) over the config file's `paths`/`path`; none: the protocol's default. */
export function targetPaths(over: Pick<CredentialFlags, 'paths'>, t: { path?: string; paths?: string[] }): string[] {
  const paths = over.paths && over.paths.length > 0 ? over.paths : (t.paths ?? (t.path !== undefined ? [t.path] : []));
  return [...new Set(paths)];
}

/**
 * A target with several HTTP paths, as one target per path (docs/run.md "Several paths"): named
 * `NAME /path`, so every check's verdict, control and evidence is per path; one path (or none)
 * leaves the target as it is.
 */
export function perPathTargets<T extends { name: string; httpPath?: string }>(t: T, paths: readonly string[]): T[] {
  if (paths.length === 0) return [t];
  if (paths.length === 1) return [{ ...t, httpPath: paths[0]! }];
  return paths.map((p) => ({ ...t, name: `${t.name} ${p}`, httpPath: p }));
}

/** The TLS versions offered to a target: flags over the config file's `tlsMin`/`tlsMax`. */
export function offeredVersions(over: CredentialFlags, t: { tlsMin?: string; tlsMax?: string }): { tlsVersions?: { min?: TlsVersion; max?: TlsVersion } } {
  const min = over.tlsMin ?? (t.tlsMin !== undefined ? parseTlsVersion(t.tlsMin) : undefined);
  const max = over.tlsMax ?? (t.tlsMax !== undefined ? parseTlsVersion(t.tlsMax) : undefined);
  if (!min && !max) return {};
  return { tlsVersions: { ...(min ? { min } : {}), ...(max ? { max } : {}) } };
}
