import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: { name: string; version: string } | undefined;

/** The tool's name and version from its package.json (found by walking up from this module). */
export function toolInfo(): { name: string; version: string } {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'mtls-harness') return (cached = { name: pkg.name, version: pkg.version ?? '0.0.0' });
    } catch {
      /* keep walking up */
    }
    dir = dirname(dir);
  }
  return (cached = { name: 'mtls-harness', version: '0.0.0' });
}
