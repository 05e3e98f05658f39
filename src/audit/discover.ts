/**
 * Offline audit, step 1: find the PKI files under the paths a user named and say what each holds.
 *
 * Everything here is bounded (depth, file count, file size) and never follows a symlink loop; a
 * file that cannot be parsed is data (its `errors`), never an exception — the audit reports it.
 * Private keys are parsed in memory only; nothing in this module's output is ever written to a
 * report except through the summaries `audit.ts` builds (no key material).
 */
import type { Stats } from 'node:fs';
import { closeSync, openSync, readSync, readdirSync, realpathSync, statSync, lstatSync } from 'node:fs';
import * as path from 'node:path';
import { HarnessError } from '../core/errors.js';
import { TWO_PARTY_FILES, type LayoutName, type TwoPartyLayout } from '../pki/layout-files.js';
import { classifyBytes, hasKeyName, hasPkiName, type FileContent } from './classify.js';

export { classifyBytes, hasKeyName, hasPkiName, spkiSha256, type FileContent, type FoundKey } from './classify.js';

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

/** Directory entries a walk never enters: Kubernetes' atomic-writer internals (`..data`, `..2026_…`), VCS and dependencies. */
const SKIP_DIRS = /^(\.\.|\.git$|node_modules$)/;

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
export function discoverFiles(paths: string[], opts: { cwd?: string; limits?: Partial<WalkLimits>; p12Passphrase?: string } = {}): Discovery {
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
        content = {
          format: 'none',
          certs: [],
          keys: [],
          others: [],
          errors: [`${name}: cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`],
          keyLike: hasKeyName(name),
          unreadable: true,
        };
      }
      if (buf) {
        content = classifyBytes(buf, name, pkiName, opts.p12Passphrase !== undefined ? { p12Passphrase: opts.p12Passphrase } : {});
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

/**
 * The `certs init` layouts in the order they are recognised, each with the files whose presence
 * rules it out (gufo writes no CA key: with one, the directory is `default`). A layout is
 * recognised by all its files but the optional ones (src/pki/layouts.ts TWO_PARTY_FILES): nova by
 * all five, as ca.crt + tls.crt + tls.key alone is any kubernetes.io/tls Secret (a client's too).
 */
const RECOGNITION: readonly [TwoPartyLayout, string[]][] = [
  ['kong', []],
  ['nova', []],
  ['default', []],
  ['gufo', ['ca-key.pem']],
];
const LAYOUT_FILES = RECOGNITION.map(([layout, absent]) => [layout, TWO_PARTY_FILES[layout].filter((f) => !f.optional).map((f) => f.name), absent] as const);

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
      const services = [...byDir]
        .filter(([d, ns]) => path.dirname(d) === dir && ns.has('cert.pem') && ns.has('key.pem'))
        .map(([d]) => path.basename(d))
        .sort();
      if (services.length > 0) out.push({ dir, layout: 'per-service', services });
    }
  }
  return out;
}
