import { craftedDeviations, NODE_OPENSSL } from './crafted.js';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NODE_PROFILES, NodeReference } from './node.js';
import { startProcessReference } from './process.js';
import type { ProcessImplementation, ReferenceServer, RenderContext } from './types.js';

/** node-main.js beside this module once compiled; from the sources (tests), the compiled copy in dist/. */
function nodeMainPath(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const beside = path.join(here, 'node-main.js');
  if (existsSync(beside)) return beside;
  let dir = here;
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, 'dist', 'src', 'targets', 'reference', 'node-main.js');
    if (existsSync(candidate)) return candidate;
    dir = path.dirname(dir);
  }
  return beside;
}

/**
 * The node reference as a child process, for the rotation profiles: a restart must really stop
 * and start a process (in-process it would be instantaneous and prove nothing). Graceful reload:
 * SIGHUP, on which it applies the new files with `server.setSecureContext`.
 */
export const nodeProcess: ProcessImplementation = {
  name: 'node',
  // The harness's own Node (process.execPath): nothing to install.
  debianPackages: [],
  binary: process.execPath,
  unsupported: (profile) => (profile.startsWith('rotation-') ? undefined : 'the node reference runs in-process for the static profiles'),
  render(ctx: RenderContext) {
    return { files: {}, command: [process.execPath, nodeMainPath(), ctx.dir, String(ctx.port), ctx.profile, ctx.bind], reloadSignal: 'SIGHUP' };
  },
};

/**
 * The node reference (node:tls / node:https), the embedded default: the static profiles run in
 * this process (NodeReference), the rotation profiles as a node child process (nodeProcess).
 */
export const nodeReference: ReferenceServer = {
  name: 'node',
  title: 'node:https (in-process; rotation profiles: a node child process)',
  protocol: 'https',
  debianPackages: [],
  runs: 'in-process',
  container: false,
  deviations: craftedDeviations({ verified: NODE_OPENSSL }),
  unsupported: (profile) =>
    profile === 'revocation-ocsp'
      ? "node:tls checks no client certificate by OCSP: its crl option is its only revocation check, and its OCSPRequest event staples the server's own status"
      : NODE_PROFILES.includes(profile)
        ? undefined
        : nodeProcess.unsupported(profile),
  // Rotation profiles need a process to reload or restart; the static ones run in-process.
  start: ({ profile, pki }) =>
    NODE_PROFILES.includes(profile) ? new NodeReference({ profile, pki }).start() : startProcessReference(nodeProcess, { profile, pki }),
};
