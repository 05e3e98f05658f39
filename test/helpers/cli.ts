// The built CLI (dist/, made by `npm test` before vitest runs) spawned as a user would run it.
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

export const CLI_JS = path.join(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..'), 'dist/src/cli/main.js');

export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `mtls-harness ARGS` in `cwd` with NO_COLOR and extra environment; never rejects. */
export function spawnCli(args: string[], cwd: string, env: Record<string, string> = {}, timeoutMs = 30_000): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI_JS, ...args], { cwd, env: { ...process.env, NO_COLOR: '1', ...env }, timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs `mtls-harness ARGS` in this process (runCli: what a test registered at run time is known to), with NO_COLOR and extra environment. */
export async function runInProcess(args: string[], env: Record<string, string> = {}): Promise<Ran> {
  const { runCli } = await import('../../src/cli/run.js');
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: { NO_COLOR: '1', ...env },
  });
  return { code, stdout, stderr };
}

/** Exit 2 with exactly one line on stderr, nothing resembling a stack trace, nothing on stdout. */
export function expectUsageError(r: Ran, message: RegExp): void {
  expect(r.code, `stderr: ${r.stderr}`).toBe(2);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^mtls-harness: error: /);
  expect(lines[0]).toMatch(message);
  expect(r.stderr).not.toMatch(/\n\s+at |node:internal|\.ts:\d+|\.js:\d+/);
  expect(r.stdout).toBe('');
}

/**
 * Writes the user's side of a fixture PKI as the CLI reads it: ca.pem, ca-key.pem, client.pem and
 * client-key.pem in `dir` (keys 0600).
 */
export async function writeClientFiles(dir: string, pki: import('../../src/pki/generate.js').FixturePki): Promise<void> {
  const { promises: fs } = await import('node:fs');
  await fs.writeFile(path.join(dir, 'ca.pem'), pki.root.certPem);
  await fs.writeFile(path.join(dir, 'ca-key.pem'), pki.root.keyPem, { mode: 0o600 });
  await fs.writeFile(path.join(dir, 'client.pem'), pki.client.certPem);
  await fs.writeFile(path.join(dir, 'client-key.pem'), pki.client.keyPem, { mode: 0o600 });
}
