/**
 * Offline audit, step 1: find the PKI files under the paths a user named and say what each holds.
 *
 * Everything here is bounded (depth, file count, file size) and never follows a symlink loop; a
 * file that cannot be parsed is data (its `errors`), never an exception — the audit reports it.
 * Private keys are parsed in memory only; nothing in this module's output is ever written to a
 * report except through the summaries `audit.ts` builds (no key material).
 */
import { X509Certificate as NodeX509, createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { closeSync, openSync, readSync, readdirSync, realpathSync, statSync, lstatSync, type Stats } from 'node:fs';
import * as path from 'node:path';
import { HarnessError, isHarnessError } from '../core/errors.js';
import { parsePemBlocks, parsePrivateKey } from '../pki/inspect.js';
import type { LayoutName } from '../pki/layouts.js';

/** Bounds of a directory walk. */
export interface WalkLimits {
  /** Directory levels below a named directory that are walked (default 6). */
  maxDepth: number;
  /** Files examined at most across all paths, PKI or not (default 5,000). */
  maxFiles: number;
  /** Files larger than this are not read (default 4 MiB): a finding, not a crash. */
  maxFileBytes: number;
}

export const DEFAULT_WALK_LIMITS: WalkLimits = { maxDepth: 6, maxFiles: 5000, maxFileBytes: 4 * 1024 * 1024 };

/** A private key found in a file. The key material stays in memory; reports only ever see public facts. */
export interface FoundKey {
  /** PEM label (`PRIVATE KEY`, `EC PRIVATE KEY`, …) or `DER`. */
  label: string;
  encrypted: boolean;
  /** The parsed key (unencrypted keys only). */
  key?: KeyObject;
  /** The encoded key, kept only for encrypted keys (decrypted later with the passphrase). */
  encoded?: string | Buffer;
  /** Why it does not parse (never contains key material). */
  error?: string;
}

/** What a file holds. */
export interface FileContent {
  format: 'pem' | 'der' | 'pkcs12' | 'k8s-secret' | 'none';
  certs: NodeX509[];
  keys: FoundKey[];
  /** CSRs, public keys, CRLs: PKI, but nothing the audit judges. */
  others: string[];
  /** Why (part of) the file cannot be parsed; never contains file content beyond PEM labels. */
  errors: string[];
  /** The bytes hold (or look like they hold) a private key, even one that does not parse. */
  keyLike: boolean;
  /** Kubernetes Secret manifests: the data entries that hold a private key. */
  secretKeyEntries?: string[];
  /** Not read: larger than the limit. */
  tooLarge?: boolean;
  /** Not read: the file cannot be opened (permissions). */
  unreadable?: boolean;
}

/** One audited file. */
export interface DiscoveredFile {
  /** Absolute path as reached (through symlinks, not resolved). */
  path: string;
  /** How reports show it: relative to the working directory when below it, else absolute. */
  display: string;
  dir: string;
  name: string;
  size: number;
  /** Permission bits of the file a process reads (symlinks followed), e.g. 0o600. */
  mode: number;
  uid: number;
  gid: number;
  /** Where the symlink leads, when the path is one. */
  symlinkTo?: string;
  /** Named on the command line (not found by walking a directory). */
  explicit: boolean;
  /** The file sits in a Kubernetes Secret/ConfigMap volume (a `..data` entry beside it). */
  inKubernetesVolume: boolean;
  content: FileContent;
}

/** The `certs init` layout recognised in a directory. */
export interface DetectedLayout {
  dir: string;
  layout: LayoutName;
  /** per-service: the service sub-directories. */
  services?: string[];
}

export interface Discovery {
  files: DiscoveredFile[];
  layouts: DetectedLayout[];
  /** Directories named or walked (absolute). */
  roots: string[];
  /** What the walk left out because of its bounds (depth, count): the audit reports these. */
  truncated: string[];
}

const CERT_LABELS = new Set(['CERTIFICATE', 'TRUSTED CERTIFICATE', 'X509 CERTIFICATE']);
const OTHER_LABELS: Record<string, string> = {
  'CERTIFICATE REQUEST': 'certificate signing request',
  'NEW CERTIFICATE REQUEST': 'certificate signing request',
  'PUBLIC KEY': 'public key',
  'RSA PUBLIC KEY': 'public key',
  'X509 CRL': 'certificate revocation list',
  'EC PARAMETERS': 'EC parameters',
  'DH PARAMETERS': 'DH parameters',
};
const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;
const PKI_EXT = /\.(pem|crt|cer|der|key|p8|pk8|csr|p12|pfx|chain|bundle)$/i;
/** Directory entries a walk never enters: Kubernetes' atomic-writer internals (`..data`, `..2026_…`), VCS and dependencies. */
const SKIP_DIRS = /^(\.\.|\.git$|node_modules$)/;

/** True for names that only a PKI file would have (extension or a well-known bare name). */
export function hasPkiName(name: string): boolean {
  return PKI_EXT.test(name) || /^(tls\.(crt|key)|ca\.crt|ca|cert|key|privkey|fullchain|chain)$/i.test(name);
}

/** Does the file name say "private key"? (`server-key.pem`, `tls.key`, `key.pem`, `privkey.pem`) */
export function hasKeyName(name: string): boolean {
  return /\.key$/i.test(name) || /(^|[-_.])(private[-_]?key|privkey|key)(\.[a-z0-9]+)?$/i.test(name);
}

/** SHA-256 of a public key's DER SubjectPublicKeyInfo, hex: what `openssl pkey -pubout -outform DER | sha256sum` prints. */
export function spkiSha256(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256').update(pub.export({ type: 'spki', format: 'der' })).digest('hex');
}

function keyLikeText(text: string): boolean {
  return /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(text);
}

function parseKeyText(label: string, text: string, source: string): FoundKey {
  const encrypted = label === 'ENCRYPTED PRIVATE KEY' || /Proc-Type:\s*4,ENCRYPTED/.test(text);
  if (encrypted) return { label, encrypted, encoded: text };
  try {
    return { label, encrypted, key: parsePrivateKey(text, source) };
  } catch (e) {
    return { label, encrypted, error: isHarnessError(e) ? e.message : 'the private key cannot be parsed' };
  }
}

/**
 * Classifies a file's bytes: PEM blocks one by one (a broken block never hides the good ones), DER
 * (a certificate or a private key), PKCS#12 by name, Kubernetes Secret manifests. `pkiName` says the
 * name promises PKI content: then bytes that are neither PEM nor DER are an error, else "not PKI".
 */
export function classifyBytes(buf: Buffer, name: string, pkiName: boolean): FileContent {
  const c: FileContent = { format: 'none', certs: [], keys: [], others: [], errors: [], keyLike: false };
  if (/\.(p12|pfx)$/i.test(name)) {
    // PKCS#12 needs a passphrase and a parser node lacks; it normally holds a key, so permissions apply.
    return { ...c, format: 'pkcs12', keyLike: true };
  }
  const text = buf.toString('latin1');
  if (/^kind:\s*Secret\s*$/m.test(text) && /^apiVersion:/m.test(text)) return classifySecretManifest(text, c);
  if (text.includes('-----BEGIN ')) {
    c.format = 'pem';
    c.keyLike = keyLikeText(text);
    let n = 0;
    for (const m of text.matchAll(PEM_BLOCK)) {
      n++;
      const label = m[1]!;
      let der: Buffer;
      try {
        der = parsePemBlocks(m[0], `${name} block #${n}`)[0]!.der;
      } catch (e) {
        c.errors.push(isHarnessError(e) ? e.message : `${name}: block #${n} (${label}) is not valid PEM`);
        continue;
      }
      if (CERT_LABELS.has(label)) {
        try {
          c.certs.push(new NodeX509(der));
        } catch {
          c.errors.push(`${name}: block #${n} (${label}) cannot be parsed as an X.509 certificate`);
        }
      } else if (/PRIVATE KEY$/.test(label)) {
        const k = parseKeyText(label, m[0], `${name} block #${n}`);
        c.keys.push(k);
        if (k.error) c.errors.push(k.error);
      } else {
        c.others.push(OTHER_LABELS[label] ?? `PEM block "${label}"`);
      }
    }
    const begins = (text.match(/-----BEGIN /g) ?? []).length;
    if (begins !== n) c.errors.push(`${name}: ${begins} BEGIN line(s) but ${n} complete PEM block(s); the file is truncated or its BEGIN/END labels do not match`);
    return c;
  }
  if (buf.length === 0) {
    if (pkiName) c.errors.push(`${name}: the file is empty`);
    return c;
  }
  // DER: a certificate, or a private key (PKCS#8, PKCS#1, SEC1; encrypted PKCS#8).
  if (buf[0] === 0x30 && buf.length > 2) {
    try {
      return { ...c, format: 'der', certs: [new NodeX509(buf)] };
    } catch {
      /* not a certificate */
    }
    try {
      return { ...c, format: 'der', keyLike: true, keys: [{ label: 'DER', encrypted: false, key: parsePrivateKey(buf, name) }] };
    } catch (e) {
      if (isHarnessError(e) && e.code === 'pki.encrypted-key') return { ...c, format: 'der', keyLike: true, keys: [{ label: 'DER', encrypted: true, encoded: buf }] };
    }
  }
  if (pkiName) c.errors.push(`${name}: neither PEM nor DER (no "-----BEGIN" line, and the bytes are not a DER certificate or key)`);
  return c;
}

/** A Secret manifest (kubectl YAML): which data entries hold a private key (base64 of "-----BEGIN … PRIVATE KEY"). */
function classifySecretManifest(text: string, c: FileContent): FileContent {
  const entries: string[] = [];
  for (const m of text.matchAll(/^\s+([A-Za-z0-9._-]+):\s*(LS0tLS1CRUdJTi[A-Za-z0-9+/=]+)\s*$/gm)) {
    if (keyLikeText(Buffer.from(m[2]!, 'base64').toString('latin1'))) entries.push(m[1]!);
  }
  if (keyLikeText(text)) entries.push('stringData (PEM in clear text)');
  return { ...c, format: 'k8s-secret', keyLike: entries.length > 0, secretKeyEntries: [...new Set(entries)] };
}

function displayPath(abs: string, cwd: string): string {
  const rel = path.relative(cwd, abs);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : abs;
}

function readHead(file: string, size: number): Buffer {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(size);
    const n = readSync(fd, buf, 0, size, 0);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/**
 * Walks the paths (files or directories) and classifies every file. A path that does not exist is a
 * usage error (exit 2): nothing is audited. Symlinks are followed once (a directory reached twice,
 * e.g. through a loop, is walked once; a file reached twice is audited once).
 */
export function discoverFiles(paths: string[], opts: { cwd?: string; limits?: Partial<WalkLimits> } = {}): Discovery {
  const cwd = opts.cwd ?? process.cwd();
  const limits = { ...DEFAULT_WALK_LIMITS, ...opts.limits };
  const files: DiscoveredFile[] = [];
  const seenFiles = new Set<string>();
  const seenDirs = new Set<string>();
  const roots: string[] = [];
  const truncated: string[] = [];
  let budgetNoted = false;
  let examined = 0;

  const addFile = (abs: string, st: Stats, explicit: boolean, k8sVolume: boolean) => {
    let real: string;
    try {
      real = realpathSync(abs);
    } catch {
      real = abs;
    }
    const id = `${st.dev}:${st.ino}`;
    if (seenFiles.has(id)) return;
    seenFiles.add(id);
    if (examined++ >= limits.maxFiles) {
      if (!budgetNoted) truncated.push(`more than ${limits.maxFiles} files: the rest were not audited (audit fewer paths at a time)`);
      budgetNoted = true;
      return;
    }
    const name = path.basename(abs);
    const pkiName = explicit || hasPkiName(name);
    let content!: FileContent;
    if (st.size > limits.maxFileBytes) {
      if (!pkiName) return;
      content = { format: 'none', certs: [], keys: [], others: [], errors: [], keyLike: hasKeyName(name), tooLarge: true };
    } else {
      let buf: Buffer | undefined;
      try {
        buf = readHead(abs, st.size);
      } catch (e) {
        if (!pkiName) return;
        content = { format: 'none', certs: [], keys: [], others: [], errors: [`${name}: cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`], keyLike: hasKeyName(name), unreadable: true };
      }
      if (buf) {
        content = classifyBytes(buf, name, pkiName);
        if (content.format === 'none' && content.errors.length === 0) return; // not a PKI file
        if (content.errors.length > 0 && hasKeyName(name)) content.keyLike = true;
      }
    }
    files.push(fileRecord());

    function fileRecord(): DiscoveredFile {
      let isLink = false;
      try {
        isLink = lstatSync(abs).isSymbolicLink();
      } catch {
        /* vanished: the stat we have is enough */
      }
      return {
        path: abs,
        display: displayPath(abs, cwd),
        dir: path.dirname(abs),
        name,
        size: st.size,
        mode: st.mode & 0o7777,
        uid: st.uid,
        gid: st.gid,
        ...(isLink ? { symlinkTo: real } : {}),
        explicit,
        inKubernetesVolume: k8sVolume,
        content,
      };
    }
  };

  const walk = (dir: string, depth: number) => {
    let real: string;
    try {
      real = realpathSync(dir);
    } catch {
      return;
    }
    if (seenDirs.has(real)) return; // a symlink loop or a directory named twice
    seenDirs.add(real);
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    } catch (e) {
      truncated.push(`${displayPath(dir, cwd)}: cannot list the directory (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
      return;
    }
    const k8sVolume = entries.some((e) => e.name === '..data');
    for (const e of entries) {
      if (SKIP_DIRS.test(e.name)) continue;
      const abs = path.join(dir, e.name);
      let st: Stats;
      try {
        st = statSync(abs); // follows symlinks: the file a process would read
      } catch {
        continue; // a dangling symlink
      }
      if (st.isDirectory()) {
        if (depth >= limits.maxDepth) {
          truncated.push(`${displayPath(abs, cwd)}: deeper than ${limits.maxDepth} levels, not walked (name it on the command line to audit it)`);
          continue;
        }
        walk(abs, depth + 1);
      } else if (st.isFile()) {
        addFile(abs, st, false, k8sVolume);
      }
    }
  };

  for (const p of paths) {
    const abs = path.resolve(cwd, p);
    let st: Stats;
    try {
      st = statSync(abs);
    } catch {
      throw new HarnessError('pki.file-missing', `audit: ${p}: no such file or directory`);
    }
    if (st.isDirectory()) {
      roots.push(abs);
      walk(abs, 0);
    } else if (st.isFile()) {
      addFile(abs, st, true, false);
    } else {
      throw new HarnessError('pki.file-unreadable', `audit: ${p} is neither a file nor a directory`);
    }
  }
  return { files, layouts: detectLayouts(files), roots, truncated };
}

/** File names that identify each `certs init` layout (src/pki/layouts.ts), all required. */
const LAYOUT_FILES: [LayoutName, string[], string[]][] = [
  // [layout, required, must be absent]
  ['kong', ['ca.crt', 'server.crt', 'server.key', 'kong-client.crt', 'kong-client.key'], []],
  // All five: ca.crt + tls.crt + tls.key alone is any kubernetes.io/tls Secret (a client's too), not nova's.
  ['nova', ['ca.crt', 'tls.crt', 'tls.key', 'client.crt', 'client.key'], []],
  ['default', ['ca.pem', 'ca-key.pem', 'server.pem', 'server-key.pem', 'client.pem', 'client-key.pem'], []],
  ['gufo', ['ca.pem', 'server.pem', 'server-key.pem', 'client.pem', 'client-key.pem'], ['ca-key.pem']],
];

/**
 * Recognises the `certs init` layouts among the walked files: by the names of the files of each
 * directory; per-service is a directory with `ca.pem` and sub-directories holding `cert.pem` + `key.pem`.
 */
export function detectLayouts(files: DiscoveredFile[]): DetectedLayout[] {
  const byDir = new Map<string, Set<string>>();
  for (const f of files) {
    if (f.explicit) continue; // layouts are recognised in walked directories only
    byDir.set(f.dir, (byDir.get(f.dir) ?? new Set()).add(f.name));
  }
  const out: DetectedLayout[] = [];
  for (const [dir, names] of byDir) {
    for (const [layout, required, absent] of LAYOUT_FILES) {
      if (required.every((n) => names.has(n)) && !absent.some((n) => names.has(n))) {
        out.push({ dir, layout });
        break;
      }
    }
    if (names.has('ca.pem') && !out.some((l) => l.dir === dir)) {
      const services = [...byDir].filter(([d, ns]) => path.dirname(d) === dir && ns.has('cert.pem') && ns.has('key.pem')).map(([d]) => path.basename(d)).sort();
      if (services.length > 0) out.push({ dir, layout: 'per-service', services });
    }
  }
  return out;
}
