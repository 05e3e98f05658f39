// Issue 16 (hardening): file inputs are regular files under a size limit (never /dev/zero, a FIFO, a
// directory or a 2 GB file read into memory), a targets file is streamed in bounded memory, reports
// are written atomically (a symlink at the report path is replaced, never followed) with mode 0600
// unless --report-mode, and a report path may be neither an input nor another report.
import { CLI_JS, writeClientFiles } from './helpers/cli.js';
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, openSync, promises as fs, createWriteStream } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/run.js';
import { loadTargetsFile } from '../src/config/targets-file.js';
import { mintFixturePki, type FixturePki } from '../src/pki/generate.js';
import { NodeReference, type StartedNodeReference } from '../src/targets/reference/node.js';

let dir: string;
let pki: FixturePki;
let strict: StartedNodeReference;
let target: string;
const f = (n: string) => path.join(dir, n);

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  let stdout = '';
  let stderr = '';
  const t0 = Date.now();
  const code = await runCli(args, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, env: { NO_COLOR: '1' } });
  return { code, stdout, stderr, ms: Date.now() - t0 };
}

/** Exit 2, one line on stderr (no stack trace), quickly. */
function expectOneLineExit2(r: { code: number; stderr: string; ms: number }, pattern: RegExp) {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(/^mtls-harness: error: /);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-file-safety-'));
  pki = await mintFixturePki();
  await writeClientFiles(dir, pki);
  strict = await new NodeReference({ profile: 'strict', pki }).start();
  target = `${strict.endpoint.host}:${strict.endpoint.port}`;
  execFileSync('mkfifo', [f('fifo')]);
  await fs.mkdir(f('a-directory'));
  const h = await fs.open(f('sparse-2g'), 'w');
  await h.truncate(2 * 1024 * 1024 * 1024);
  await h.close();
});
afterAll(async () => {
  await strict?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

const HOSTILE: [kind: string, file: () => string, expected: RegExp][] = [
  ['/dev/zero', () => '/dev/zero', /not a (regular )?file|character device/],
  ['a FIFO', () => f('fifo'), /not a (regular )?file|FIFO/],
  ['a directory', () => f('a-directory'), /not a (regular )?file|directory/],
  ['a 2 GB sparse file', () => f('sparse-2g'), /2048(\.0)? MB: too large/],
];

describe('file inputs: /dev/zero, a FIFO, a directory, a 2 GB sparse file → exit 2 quickly, one line', () => {
  for (const [kind, file, expected] of HOSTILE) {
    it(`probe --targets-file ${kind}`, async () => {
      expectOneLineExit2(await run(['probe', '--targets-file', file(), '--timeout', '1s']), expected);
    });
    it(`run --targets-file ${kind}`, async () => {
      expectOneLineExit2(await run(['run', '--targets-file', file(), '--timeout', '1s']), expected);
    });
    it(`run --config ${kind}`, async () => {
      expectOneLineExit2(await run(['run', '--config', file()]), expected);
    });
    it(`client-test --config ${kind}`, async () => {
      expectOneLineExit2(await run(['client-test', '--config', file(), '--', 'true']), expected);
    });
    it(`run --ca ${kind}`, async () => {
      expectOneLineExit2(await run(['run', '--target', target, '--ca', file(), '--cert', f('client.pem'), '--key', f('client-key.pem')]), expected);
    });
    it(`run --cert ${kind}`, async () => {
      expectOneLineExit2(await run(['run', '--target', target, '--ca', f('ca.pem'), '--cert', file(), '--key', f('client-key.pem')]), expected);
    });
    it(`run --key ${kind}`, async () => {
      expectOneLineExit2(await run(['run', '--target', target, '--ca', f('ca.pem'), '--cert', f('client.pem'), '--key', file()]), expected);
    });
    it(`run --ca-key ${kind}`, async () => {
      expectOneLineExit2(await run(['run', '--target', target, '--ca', f('ca.pem'), '--ca-key', file()]), expected);
    });
    it(`probe --ca ${kind}`, async () => {
      expectOneLineExit2(await run(['probe', target, '--ca', file()]), expected);
    });
  }
  it('audit /dev/zero and a FIFO: exit 2, one line (a directory is walked; a 2 GB file is a finding, never read)', async () => {
    expectOneLineExit2(await run(['audit', '/dev/zero']), /neither a file nor a directory/);
    expectOneLineExit2(await run(['audit', f('fifo')]), /neither a file nor a directory/);
    const big = await run(['audit', f('sparse-2g'), '--json', '-']);
    expect(big.ms).toBeLessThan(5000);
    expect(big.code).toBe(0);
    expect(big.stdout).toContain("was not read: it is 2147483648 bytes, over the audit's size limit");
  });
  it('a targets file with a line longer than 4096 bytes → exit 2 naming file and line', async () => {
    await fs.writeFile(f('long-line.txt'), `${target}\n${'a'.repeat(100_000)}\n`);
    expectOneLineExit2(await run(['probe', '--targets-file', f('long-line.txt')]), /long-line\.txt:2: line longer than 4096 bytes/);
  });
});

describe('a targets file is streamed', () => {
  it('1,000,000 targets load with peak RSS growth under 150 MB', async () => {
    const file = f('million.txt');
    const w = createWriteStream(file);
    for (let i = 0; i < 1_000_000; i++) {
      if (!w.write(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:${1 + (i % 60000)}\n`)) await new Promise<void>((r) => w.once('drain', () => r()));
    }
    await new Promise<void>((r) => w.end(r));
    (globalThis as { gc?: () => void }).gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
    const targets = await loadTargetsFile(file);
    peak = Math.max(peak, process.memoryUsage().rss);
    clearInterval(timer);
    expect(targets).toHaveLength(1_000_000);
    expect(targets[999_999]).toMatchObject({ host: '10.15.66.63', line: 1_000_000 });
    const growthMb = (peak - before) / 1048576;
    console.log(`1,000,000 targets: peak RSS growth ${growthMb.toFixed(0)} MB`);
    expect(growthMb).toBeLessThan(150);
  });
  it('more than 1,000,000 targets → exit 2', async () => {
    const file = f('too-many.txt');
    const w = createWriteStream(file);
    for (let i = 0; i <= 1_000_000; i++) {
      if (!w.write(`h${i}:443\n`)) await new Promise<void>((r) => w.once('drain', () => r()));
    }
    await new Promise<void>((r) => w.end(r));
    expectOneLineExit2({ ...(await run(['probe', '--targets-file', file])), ms: 0 }, /more than 1000000 targets/);
  });
});

/** The built CLI with `input` on its standard input (a pipe), or a file opened as its standard input. */
function cliWithStdin(args: string[], stdin: { text: string } | { file: string }): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  return new Promise((resolve) => {
    const fd = 'file' in stdin ? openSync(stdin.file, 'r') : undefined;
    const p = spawn(process.execPath, [CLI_JS, ...args], { cwd: dir, env: { ...process.env, NO_COLOR: '1' }, stdio: [fd ?? 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
    p.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    if ('text' in stdin) {
      p.stdin!.on('error', () => undefined); // the CLI stops reading at its limit: EPIPE is expected
      p.stdin!.end(stdin.text);
    }
    p.on('close', (code) => {
      if (fd !== undefined) closeSync(fd);
      resolve({ code: code ?? -1, stdout, stderr, ms: 0 });
    });
  });
}

describe('`-` reads standard input: --targets-file - and --config -', () => {
  it('probe --targets-file -: the piped targets are probed (a comment line and a servername too)', async () => {
    const r = await cliWithStdin(['probe', '--targets-file', '-', '--ca', 'ca.pem', '--cert', 'client.pem', '--key', 'client-key.pem', '--json'], {
      text: `# piped\n${target},localhost\n`,
    });
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as { targets: { target: string; servername?: string }[] } | { target: string }[];
    expect(JSON.stringify(j)).toContain(target);
  });
  it('run --config -: the piped config is used, relative paths from the working directory', async () => {
    const yaml = [
      'targets:',
      `  - endpoint: ${target}`,
      '    servername: localhost',
      '    ca: ca.pem',
      '    cert: client.pem',
      '    key: client-key.pem',
      '',
    ].join('\n');
    const r = await cliWithStdin(['run', '--config', '-', '--check', 'handshake.accepts-valid-client-cert', '--json', f('stdin-config.json')], { text: yaml });
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(await fs.readFile(f('stdin-config.json'), 'utf8')) as { results: { check: string; status: string }[] };
    expect(j.results).toEqual([expect.objectContaining({ check: 'handshake.accepts-valid-client-cert', status: 'pass' })]);
  });
  it('a config error on standard input names (stdin) and the line', async () => {
    expectOneLineExit2(await cliWithStdin(['run', '--config', '-'], { text: 'targets:\n  - endpont: x:1\n' }), /\(stdin\):2: .*endpont/);
  });
  it('--config - with --targets-file -: exit 2, nothing run', async () => {
    expectOneLineExit2(
      await cliWithStdin(['run', '--config', '-', '--targets-file', '-'], { text: 'targets: []\n' }),
      /--config and --targets-file both read standard input/,
    );
  });
  it('standard input that is a device (/dev/zero) is refused, never read', async () => {
    expectOneLineExit2(await cliWithStdin(['run', '--config', '-'], { file: '/dev/zero' }), /--config|config file -: standard input is a device/);
    expectOneLineExit2(await cliWithStdin(['probe', '--targets-file', '-'], { file: '/dev/zero' }), /targets file -: standard input is a device/);
  });
  it('an endless pipe is cut at the limit: a targets line over 4096 bytes, a config over 4 MB', async () => {
    expectOneLineExit2(await cliWithStdin(['probe', '--targets-file', '-'], { text: 'a'.repeat(100_000) }), /\(stdin\):1: line longer than 4096 bytes/);
    expectOneLineExit2(
      await cliWithStdin(['run', '--config', '-'], { text: `# ${'x'.repeat(5 * 1024 * 1024)}\n` }),
      /config file on standard input is larger than 4 MB: too large/,
    );
  });
});

describe('report paths', () => {
  const creds = () => ['--ca', f('ca.pem'), '--cert', f('client.pem'), '--key', f('client-key.pem')];
  it('a symlink at the report path is replaced by the report; its target is untouched', async () => {
    await fs.writeFile(f('precious.txt'), 'precious\n');
    await fs.symlink(f('precious.txt'), f('link.json'));
    const r = await run(['run', '--target', target, ...creds(), '--check', 'handshake.accepts-valid-client-cert', '--json', f('link.json'), '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    expect(await fs.readFile(f('precious.txt'), 'utf8')).toBe('precious\n');
    expect((await fs.lstat(f('link.json'))).isSymbolicLink()).toBe(false);
    expect(JSON.parse(await fs.readFile(f('link.json'), 'utf8')).schemaVersion).toBe(2);
    expect((await fs.readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
  it('reports are 0600 (umask or not); --report-mode 0644 gives 0644; nonsense is exit 2', async () => {
    const old = process.umask(0o022);
    try {
      const r = await run([
        'run',
        '--target',
        target,
        ...creds(),
        '--check',
        'handshake.accepts-valid-client-cert',
        '--json',
        f('m.json'),
        '--junit',
        f('m.xml'),
        '--quiet',
      ]);
      expect(r.code, r.stderr).toBe(0);
      expect((await fs.stat(f('m.json'))).mode & 0o777).toBe(0o600);
      expect((await fs.stat(f('m.xml'))).mode & 0o777).toBe(0o600);
      const p = await run(['probe', target, ...creds(), '--html', f('p.html')]);
      expect(p.code, p.stderr).toBe(0);
      expect((await fs.stat(f('p.html'))).mode & 0o777).toBe(0o600);
      const r2 = await run([
        'run',
        '--target',
        target,
        ...creds(),
        '--check',
        'handshake.accepts-valid-client-cert',
        '--json',
        f('m.json'),
        '--report-mode',
        '0644',
        '--quiet',
      ]);
      expect(r2.code, r2.stderr).toBe(0);
      expect((await fs.stat(f('m.json'))).mode & 0o777).toBe(0o644);
    } finally {
      process.umask(old);
    }
    for (const bad of ['rw', '0999', '12345', '0400'])
      expectOneLineExit2(await run(['run', '--target', target, ...creds(), '--json', f('x.json'), '--report-mode', bad]), /--report-mode/);
  });
  it('a report path equal to an input file (or a symlink to it) is refused before anything runs; the input is unchanged', async () => {
    const ca = await fs.readFile(f('ca.pem'), 'utf8');
    await fs.symlink(f('ca.pem'), f('ca-link.pem'));
    for (const [flag, out] of [
      ['--json', f('ca.pem')],
      ['--junit', f('client-key.pem')],
      ['--html', f('ca-link.pem')],
    ] as const) {
      expectOneLineExit2(await run(['run', '--target', target, ...creds(), flag, out]), /is the input file/);
    }
    await fs.writeFile(f('targets.txt'), `${target}\n`);
    expectOneLineExit2(await run(['probe', '--targets-file', f('targets.txt'), '--html', f('targets.txt')]), /is the input file --targets-file/);
    expectOneLineExit2(await run(['audit', f('ca.pem'), '--json', f('ca.pem')]), /is the input file/);
    expect(await fs.readFile(f('ca.pem'), 'utf8')).toBe(ca);
    expect(await fs.readFile(f('targets.txt'), 'utf8')).toBe(`${target}\n`);
  });
  it('two reports to one path are refused (--json x --junit x)', async () => {
    expectOneLineExit2(await run(['run', '--target', target, ...creds(), '--json', f('same'), '--junit', f('same')]), /--junit .*same is also --json/);
    await expect(fs.stat(f('same'))).rejects.toThrow();
  });
});
