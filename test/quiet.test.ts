// Issue 17, one option model: --quiet means one thing in every command (docs/options.md): no
// progress line or status note on stderr, and a table of only the rows that need attention (warn,
// fail, error; probe: its WARN/FAIL findings, and with several targets those that do not enforce).
// The reports and the exit status do not change. Real servers on 127.0.0.1; the progress line is
// drawn on a terminal only, so stderr says it is one (isTTY), as a terminal would.
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/run.js';
import { mintFixturePki, type FixturePki } from '../src/pki/generate.js';
import { NodeReference, type StartedNodeReference } from '../src/targets/reference/node.js';
import { writeClientFiles } from './helpers/cli.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
let dir: string;
let pki: FixturePki;
let strict: StartedNodeReference;
let optional: StartedNodeReference;
const f = (n: string) => path.join(dir, n);
const at = (r: StartedNodeReference) => `127.0.0.1:${r.endpoint.port}`;

/** The CLI in-process, stderr a terminal (progress is drawn there only). */
async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s), isTTY: true },
    env: { NO_COLOR: '1' },
  });
  return { code, stdout, stderr };
}

/** The statuses of a results table's rows (its first column). */
const statuses = (table: string) => [...table.matchAll(/│ (PASS|WARN|FAIL|SKIP|ERROR) +│/g)].map((m) => m[1]);

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-quiet-'));
  pki = await mintFixturePki();
  await writeClientFiles(dir, pki);
  strict = await new NodeReference({ profile: 'strict', pki }).start();
  optional = await new NodeReference({ profile: 'optional-client-cert', pki }).start();
});
afterAll(async () => {
  await strict?.stop();
  await optional?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

const creds = () => ['--servername', 'localhost', '--ca', f('ca.pem'), '--cert', f('client.pem'), '--key', f('client-key.pem')];

describe('--quiet', () => {
  it('run: no progress line, only warn/fail/error rows; the report and the exit status unchanged', async () => {
    const args = ['run', '--target', at(optional), ...creds(), '--suite', 'rejection-without-cert,handshake-with-cert'];
    const loud = await cli([...args, '--json', f('loud.json')]);
    const quiet = await cli([...args, '--json', f('quiet.json'), '--quiet']);
    expect(loud.stderr).toMatch(/mtls-harness: 1\/1 targets/);
    expect(quiet.stderr).toBe('');
    expect(statuses(loud.stdout)).toContain('PASS');
    expect(statuses(loud.stdout)).toContain('FAIL');
    expect(statuses(quiet.stdout)).toEqual(statuses(loud.stdout).filter((s) => s === 'WARN' || s === 'FAIL' || s === 'ERROR'));
    expect(quiet.stdout).toMatch(/checks on 1 target\(s\) in .*: \d+ passed, \d+ warned, [1-9]\d* failed/);
    expect(quiet.code).toBe(loud.code);
    const results = async (n: string) =>
      JSON.parse(await fs.readFile(f(n), 'utf8')).results.map((r: { check: string; status: string }) => `${r.check}:${r.status}`);
    expect(await results('quiet.json')).toEqual(await results('loud.json'));
  });

  it('probe, one target: only WARN/FAIL findings; the verdict stays', async () => {
    const enforced = await cli(['probe', at(strict), ...creds(), '--quiet']);
    expect(enforced.code).toBe(0);
    expect(enforced.stdout).not.toMatch(/^│ OK /m);
    expect(enforced.stdout).toMatch(/Verdict: client certificates are enforced\./);
    const loud = await cli(['probe', at(optional), ...creds()]);
    const quiet = await cli(['probe', at(optional), ...creds(), '--quiet']);
    expect(loud.stdout).toMatch(/^│ OK /m);
    expect(quiet.stdout).not.toMatch(/^│ OK /m);
    expect(quiet.stdout).toMatch(/^│ FAIL /m);
    expect(quiet.stdout).toMatch(/Verdict: client certificates are NOT enforced/);
    expect(quiet.code).toBe(1);
  });

  it('probe, several targets: no progress line, only the targets that do not enforce', async () => {
    const args = ['probe', at(strict), at(optional), ...creds()];
    const loud = await cli(args);
    const quiet = await cli([...args, '--quiet']);
    expect(loud.stderr).toMatch(/mtls-harness: 2\/2 targets/);
    expect(quiet.stderr).toBe('');
    expect(loud.stdout).toContain(at(strict));
    expect(quiet.stdout).not.toContain(at(strict));
    expect(quiet.stdout).toContain(at(optional));
    expect(quiet.stdout).toMatch(/1 of 2 target\(s\) enforce client certificates\./);
    expect(quiet.code).toBe(loud.code);
  });

  it('audit: only warn/fail/error rows', async () => {
    const pkiDir = f('pki');
    expect((await cli(['certs', 'init', '--out', pkiDir])).code).toBe(0);
    // Leaves valid for 365 days warn with --warn-days 400.
    const loud = await cli(['audit', pkiDir, '--warn-days', '400']);
    const quiet = await cli(['audit', pkiDir, '--warn-days', '400', '--quiet']);
    expect(statuses(loud.stdout)).toContain('PASS');
    expect(statuses(quiet.stdout)).toContain('WARN');
    expect(statuses(quiet.stdout)).toEqual(statuses(loud.stdout).filter((s) => s === 'WARN' || s === 'FAIL' || s === 'ERROR'));
    expect(quiet.stderr).toBe('');
    expect(quiet.code).toBe(loud.code);
  });

  it('client-test: only warn/fail/error rows', async () => {
    // A client that trusts any server: presents its certificate (pass), accepts every bad server (fail).
    const client = [
      process.execPath,
      path.join(root, 'fixtures/clients/node-https-client.mjs'),
      '--url',
      '{url}',
      '--host',
      '{host}',
      '--ca',
      '{ca}',
      '--cert',
      '{cert}',
      '--key',
      '{key}',
      '--insecure',
    ];
    const loud = await cli(['client-test', '--', ...client]);
    const quiet = await cli(['client-test', '--quiet', '--', ...client]);
    expect(statuses(loud.stdout)).toContain('PASS');
    expect(statuses(quiet.stdout)).toContain('FAIL');
    expect(statuses(quiet.stdout)).toEqual(statuses(loud.stdout).filter((s) => s === 'WARN' || s === 'FAIL' || s === 'ERROR'));
    expect(quiet.stderr).toBe('');
    expect(quiet.code).toBe(loud.code);
  }, 60_000);
});
