// The tests are TypeScript too: vitest strips their types without checking them, so the compiler
// checks every file, production and test, here (tsconfig.test.json: the build's settings with the
// tests included). A test that no longer matches the types it exercises fails here, not silently.
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');

it('tsc: production code and tests type-check (tsconfig.test.json)', async () => {
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = await new Promise<{ code: number; out: string }>((resolve) =>
    execFile(process.execPath, [tsc, '-p', path.join(ROOT, 'tsconfig.test.json')], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, out: `${stdout}${stderr}` }),
    ),
  );
  expect(r.out.trim(), 'type errors').toBe('');
  expect(r.code).toBe(0);
}, 300_000);
