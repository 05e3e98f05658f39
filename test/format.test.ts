// One format for the code (prettier, .prettierrc.json): `npm run format` writes it; this test is
// the check CI runs (the README's test command includes it), so unformatted code does not land.
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');

it('the code is formatted as prettier writes it (npm run format)', async () => {
  const prettier = path.join(ROOT, 'node_modules', 'prettier', 'bin', 'prettier.cjs');
  const r = await new Promise<{ code: number; out: string }>((resolve) =>
    execFile(
      process.execPath,
      [prettier, '--check', '{src,suites,scripts,test}/**/*.{ts,tsx,mjs}'],
      { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, out: `${stdout}${stderr}` }),
    ),
  );
  expect(
    r.out.split('\n').filter((l) => l.startsWith('[warn]')),
    'files prettier would change: run npm run format',
  ).toEqual([]);
  expect(r.code).toBe(0);
}, 120_000);
