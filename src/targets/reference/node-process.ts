import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProcessImplementation, RenderContext } from './process.js';

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
  debianPackage: 'nodejs',
  binary: process.execPath,
  unsupported: (profile) => (profile.startsWith('rotation-') ? undefined : 'the node reference runs in-process for the static profiles'),
  render(ctx: RenderContext) {
    return { files: {}, command: [process.execPath, nodeMainPath(), ctx.dir, String(ctx.port), ctx.profile, ctx.bind], reloadSignal: 'SIGHUP' };
  },
};
