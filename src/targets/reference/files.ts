// The files of a reference server's directory: the fixture PKI's files (names, contents, modes:
// keys 0600), who owns them when the harness runs as root, and how a rotation replaces them
// atomically. process.ts renders and runs the server around them.
import { promises as fs, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { HarnessError } from '../../core/errors.js';
import { fixtureCrlPem } from '../../pki/crl.js';
import type { Credential, FixturePki } from '../../pki/generate.js';
import { serverCredentialFor, type ProfileName } from '../profiles.js';
import type { ReferenceChange } from '../target.js';
import type { ProcessImplementation } from './types.js';

/** PKI file names inside the rendered directory. */
export const PKI_FILES = {
  leaf: 'server.pem',
  intermediates: 'intermediates.pem',
  /** Leaf + intermediate (or the leaf alone for incomplete-chain). */
  chain: 'server-chain.pem',
  key: 'server-key.pem',
  /** Chain + key in one file (haproxy `crt`). */
  combined: 'server-combined.pem',
  clientCa: 'client-ca.pem',
  /** The fixture CAs' CRLs (the root's lists the revoked client): read on revocation-crl only. */
  clientCrl: 'client-crl.pem',
} as const;

/** The PKI files every implementation reads: keys 0600. */
export function pkiFiles(pki: FixturePki, profile: ProfileName): { files: Record<string, string>; sendChain: boolean; secret: ReadonlySet<string> } {
  const { cred, sendChain } = serverCredentialFor(profile, pki);
  return {
    sendChain,
    files: {
      ...serverFiles(cred, sendChain),
      [PKI_FILES.intermediates]: pki.intermediate.certPem,
      [PKI_FILES.clientCa]: pki.root.certPem,
      [PKI_FILES.clientCrl]: fixtureCrlPem(pki),
    },
    secret: SECRET_FILES,
  };
}

/** Files holding a private key (mode 0600). */
export const SECRET_FILES: ReadonlySet<string> = new Set([PKI_FILES.key, PKI_FILES.combined]);

/** The files that carry the server credential: every implementation reads its own subset. */
function serverFiles(cred: Credential, sendChain: boolean): Record<string, string> {
  const chain = sendChain ? cred.chainPem : cred.certPem;
  return { [PKI_FILES.leaf]: cred.certPem, [PKI_FILES.chain]: chain, [PKI_FILES.key]: cred.keyPem, [PKI_FILES.combined]: chain + cred.keyPem };
}

/** The files a change rewrites (a new server credential, a new client CA bundle). */
export function changedFiles(change: ReferenceChange, sendChain: boolean): Record<string, string> {
  return { ...(change.server ? serverFiles(change.server, sendChain) : {}), ...(change.clientCaPem ? { [PKI_FILES.clientCa]: change.clientCaPem } : {}) };
}

export function fileMode(name: string, secret: ReadonlySet<string>): number {
  return secret.has(name) ? 0o600 : name.endsWith('.sh') ? 0o755 : 0o644;
}

/** The user a server runs as when it is not the harness's own (ProcessImplementation.runAs, when root). */
export interface Owner {
  user: string;
  uid: number;
  gid: number;
}

/** The owner of a server's process and files: its runAs user when the harness runs as root, else none (the current user). */
export function serverOwner(impl: Pick<ProcessImplementation, 'name' | 'runAs' | 'debianPackages'>): Owner | undefined {
  if (!impl.runAs || process.getuid?.() !== 0) return undefined;
  const entry = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .map((l) => l.split(':'))
    .find((f) => f[0] === impl.runAs);
  if (!entry)
    throw new HarnessError(
      'target.start-failed',
      `${impl.name} runs as the system user ${impl.runAs} when the harness is root, and there is none: apt-get install ${impl.debianPackages.join(' ')} creates it`,
    );
  return { user: impl.runAs, uid: Number(entry[2]), gid: Number(entry[3]) };
}

export async function writeFiles(dir: string, files: Record<string, string>, secret: ReadonlySet<string>, owner?: Owner): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    const mode = fileMode(name, secret);
    await fs.writeFile(path.join(dir, name), content, { mode });
    await fs.chmod(path.join(dir, name), mode);
    if (owner) await fs.chown(path.join(dir, name), owner.uid, owner.gid);
  }
}

/**
 * Replaces files atomically (write beside, then rename), so a server reloading at that moment
 * reads the old file or the new one, never half of one. The key files keep mode 0600.
 */
export async function replaceFiles(dir: string, files: Record<string, string>, secret: ReadonlySet<string>, owner?: Owner): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    const mode = fileMode(name, secret);
    const tmp = path.join(dir, `.${name}.${process.pid}.${Date.now()}.tmp`);
    await fs.writeFile(tmp, content, { mode, flag: 'wx' });
    await fs.chmod(tmp, mode);
    if (owner) await fs.chown(tmp, owner.uid, owner.gid);
    await fs.rename(tmp, path.join(dir, name));
  }
}
