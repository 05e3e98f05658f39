import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package's `fixtures/` directory, found from this module's location (src/ when run by vitest,
 * dist/src/ when built), falling back to `./fixtures`.
 */
export const FIXTURES_DIR: string = (() => {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, 'fixtures');
    if (existsSync(path.join(candidate, 'reference'))) return candidate;
    dir = path.dirname(dir);
  }
  return path.resolve('fixtures');
})();

/** A path inside `fixtures/`. */
export function fixturePath(...parts: string[]): string {
  return path.join(FIXTURES_DIR, ...parts);
}
