// Every example of the documentation works (issue 17: "nothing user-visible is lost").
//
// README.md: every `mtls-harness …` line of its code blocks is RUN with the built CLI (dist/, made by
// `npm test` before vitest), as a user would type it, in a fresh directory per code block (the
// examples of one block run in order, in the same directory). RUNNERS below say how each is run; a
// README example that no runner claims fails this test (add a runner, or say why it is only parsed).
// Its two set-up commands are checked against package.json and the demo is run (see below).
//
// docs/*.md: every `mtls-harness …` example is PARSED by the CLI's own argument parser — runCli with
// --help after the command words: every command parses all its flags strictly first, then prints its
// help and stops, before it reads a file or opens a connection — so an example with an unknown or
// misspelled flag fails. Their config-file YAML examples go through the config loader, and every
// `npm run X` names a script of package.json.
//
// Links: every relative link of README.md and docs/*.md names a file that exists and, with #anchor,
// a heading of that file (GitHub's anchors); every `*.md` path named in the text or in a --help exists.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, promises as fs, readdirSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/run.js';
import { parseConfigText } from '../src/config/load.js';
import { startReference } from '../src/targets/reference/start.js';
import type { StartedReference } from '../src/targets/target.js';
import { CLI_JS, spawnCli, type Ran } from './helpers/cli.js';
import { startFakeKube, type FakeKube } from './helpers/fake-kube.js';
import { mintK8sPki } from './helpers/k8s-fixtures.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const README = path.join(root, 'README.md');
const DOCS = readdirSync(path.join(root, 'docs'))
  .filter((f) => f.endsWith('.md'))
  .sort()
  .map((f) => path.join(root, 'docs', f));
const rel = (f: string) => path.relative(root, f);

// ---- Markdown ---------------------------------------------------------------------------------

interface Block {
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  lang: string;
  text: string;
}

/** The fenced code blocks of a Markdown file (fences may be indented, inside list items). */
function codeBlocks(file: string): Block[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const out: Block[] = [];
  let open: { line: number; lang: string; body: string[] } | undefined;
  lines.forEach((l, i) => {
    const fence = /^\s*```\s*(\S*)/.exec(l);
    if (fence && !open) open = { line: i + 1, lang: fence[1]!, body: [] };
    else if (fence && open) {
      out.push({ file, line: open.line, lang: open.lang, text: open.body.join('\n') });
      open = undefined;
    } else open?.body.push(l);
  });
  return out;
}

/** Markdown text outside code blocks and inline code spans (where links and prose live). */
function prose(file: string): string {
  let inFence = false;
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => {
      if (/^\s*```/.test(l)) {
        inFence = !inFence;
        return '';
      }
      return inFence ? '' : l.replace(/`[^`\n]*`/g, '``');
    })
    .join('\n');
}

/** Words of one shell command line (quotes, backslashes, a trailing # comment); stops at ; | & outside quotes. */
function shellWords(s: string): { words: string[]; comment: string } {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  const end = () => {
    if (inWord) words.push(cur);
    cur = '';
    inWord = false;
  };
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "'") {
      const j = s.indexOf("'", i + 1);
      if (j < 0) throw new Error(`unterminated ' in: ${s}`);
      cur += s.slice(i + 1, j);
      inWord = true;
      i = j;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < s.length && s[j] !== '"'; j++) {
        if (s[j] === '\\' && '"\\$`'.includes(s[j + 1] ?? '')) j++;
        cur += s[j];
      }
      if (j >= s.length) throw new Error(`unterminated " in: ${s}`);
      inWord = true;
      i = j;
    } else if (c === '\\' && i + 1 < s.length) {
      cur += s[++i];
      inWord = true;
    } else if (/\s/.test(c)) end();
    else if (c === '#' && !inWord) {
      end();
      return { words, comment: s.slice(i + 1).trim() };
    } else if (!inWord && (c === ';' || c === '|' || c === '&')) {
      end();
      return { words, comment: '' };
    } else {
      cur += c;
      inWord = true;
    }
  }
  end();
  return { words, comment: '' };
}

interface Example {
  file: string;
  line: number;
  /** The code block it is in (examples of one block share a directory when run). */
  block: Block;
  text: string;
  /** argv after `mtls-harness`. */
  argv: string[];
  comment: string;
}

const CONFIG_LANGS = new Set(['yaml', 'yml', 'json']);

/** The `mtls-harness …` command lines of a file's code blocks (continuation lines joined, a `$ ` prompt dropped). */
function examples(file: string): Example[] {
  const out: Example[] = [];
  for (const block of codeBlocks(file)) {
    if (CONFIG_LANGS.has(block.lang)) continue;
    const lines = block.text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const first = i;
      let text = lines[i]!;
      while (/\\\s*$/.test(text) && i + 1 < lines.length) text = text.replace(/\\\s*$/, ' ') + lines[++i]!.trim();
      text = text.trim().replace(/^\$ /, '');
      if (!text.startsWith('mtls-harness ') && text !== 'mtls-harness') continue;
      const { words, comment } = shellWords(text);
      out.push({ file, line: block.line + 1 + first, block, text, argv: words.slice(1), comment });
    }
  }
  return out;
}

/** GitHub's heading anchors (github-slugger): lower case, punctuation dropped, spaces to hyphens, duplicates numbered. */
function anchors(file: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  let inFence = false;
  for (const l of readFileSync(file, 'utf8').split('\n')) {
    if (/^\s*```/.test(l)) inFence = !inFence;
    const h = !inFence && /^#{1,6}\s+(.*?)\s*$/.exec(l);
    if (!h) continue;
    const slug = h[1]!
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    out.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return out;
}

// ---- Running the CLI --------------------------------------------------------------------------

/** The CLI in-process with --help after the command words: exit 0 means every flag parsed. */
async function parseOnly(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const words = ['k8s', 'certs', 'reference'].includes(argv[0]!) ? 2 : 1;
  let stdout = '';
  let stderr = '';
  const code = await runCli([...argv.slice(0, words), '--help', ...argv.slice(words)], {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: { NO_COLOR: '1' },
  });
  return { code, stdout, stderr };
}

function onPath(bin: string): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((d) => d && existsSync(path.join(d, bin)));
}

/** The report files an example asks for (not stdout). */
function reportFiles(argv: string[]): string[] {
  const out: string[] = [];
  argv.forEach((w, i) => {
    if (['--json', '--junit', '--html', '--pdf'].includes(w) && argv[i + 1] && argv[i + 1] !== '-' && !argv[i + 1]!.startsWith('--')) out.push(argv[i + 1]!);
  });
  return out;
}

/** `# exit N` in an example's comment. */
const statedExit = (ex: Example): number | undefined => {
  const m = /\bexit (\d+)\b/.exec(ex.comment);
  return m ? Number(m[1]) : undefined;
};

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

const blockDirs = new Map<Block, string>();
async function dirFor(block: Block): Promise<string> {
  let d = blockDirs.get(block);
  if (!d) {
    d = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-readme-'));
    const dir = d;
    cleanups.push(() => fs.rm(dir, { recursive: true, force: true }));
    blockDirs.set(block, d);
  }
  return d;
}

/** `mtls-harness reference start …` as a child process, until stopped; resolves with its endpoint. */
async function referenceProcess(args: string[], cwd: string): Promise<{ host: string; port: number; stop: () => Promise<void> }> {
  const child: ChildProcess = spawn(process.execPath, [CLI_JS, 'reference', 'start', ...args], {
    cwd,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  cleanups.push(stop);
  let out = '';
  const endpoint = await new Promise<{ host: string; port: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`reference start: no endpoint within 20 s: ${out}`)), 20_000);
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /endpoint\s+(\S+):(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ host: m[1]!, port: Number(m[2]) });
      }
    });
    child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
    void exited.then(() => reject(new Error(`reference start exited: ${out}`)));
  });
  return { ...endpoint, stop };
}

interface Runner {
  /** How the example is run (printed with the result), or why it is only parsed. */
  how: string;
  match(ex: Example): boolean;
  /** Absent: the example is only parsed (`how` says why). Returns the exit status expected when the example's comment states none. */
  run?(ex: Example, dir: string): Promise<{ ran: Ran; expectExit: number | number[] }>;
  /** A reason to skip here (a program that is not installed), printed. */
  skip?(): string | undefined;
}

const RUNNERS: Runner[] = [
  {
    how: "api.internal:8443 stands for your service: `mtls-harness reference start node --profile strict --out DIR` runs in its place (it writes ca.pem, client.pem, client-key.pem into DIR, the example's directory) and the example probes its endpoint instead; enforced, so exit 0",
    match: (ex) => ex.argv[0] === 'probe' && ex.argv.includes('api.internal:8443'),
    async run(ex, dir) {
      const ref = await referenceProcess(['node', '--profile', 'strict', '--out', dir], dir);
      try {
        const argv = ex.argv.map((w) => (w === 'api.internal:8443' ? `${ref.host}:${ref.port}` : w));
        return { ran: await spawnCli(argv, dir), expectExit: 0 };
      } finally {
        await ref.stop();
      }
    },
  },
  {
    how: 'as written: the harness starts the --reference server itself',
    match: (ex) => ex.argv[0] === 'run' && ex.argv.includes('--reference'),
    run: async (ex, dir) => ({ ran: await spawnCli(ex.argv, dir, {}, 50_000), expectExit: [0, 1] }),
  },
  {
    how: 'as written: curl against the observing servers client-test starts',
    match: (ex) => ex.argv[0] === 'client-test' && ex.argv.includes('--') && ex.argv[ex.argv.indexOf('--') + 1] === 'curl',
    skip: () => (onPath('curl') ? undefined : 'curl is not installed (apt-get install curl)'),
    run: async (ex, dir) => ({ ran: await spawnCli(ex.argv, dir, {}, 50_000), expectExit: [0, 1] }),
  },
  {
    how: "as written, in the block's directory",
    match: (ex) => ex.argv[0] === 'certs' && ex.argv[1] === 'init',
    run: async (ex, dir) => ({ ran: await spawnCli(ex.argv, dir), expectExit: 0 }),
  },
  {
    how: 'as written, on the files the examples before it in its block wrote (certs init)',
    match: (ex) => ex.argv[0] === 'audit',
    run: async (ex, dir) => ({ ran: await spawnCli(ex.argv, dir), expectExit: [0, 1] }),
  },
  {
    how: "against the fake Kubernetes API server (test/helpers/fake-kube.ts, serving fixtures/k8s through KUBECONFIG) whose nova Pods forward to a node-grpc reference with nova's PKI, as test/k8s-scan.test.ts does; exit 1: the recorded nova namespace has a Service without a ready Pod and audit findings",
    match: (ex) => ex.argv[0] === 'k8s' && ex.argv[1] === 'scan' && ex.argv.includes('nova'),
    async run(ex, dir) {
      const pki = await mintK8sPki();
      const nova: StartedReference = await startReference({ implementation: 'node-grpc', profile: 'strict', pki: pki.nova });
      cleanups.push(() => nova.stop());
      const kube: FakeKube = await startFakeKube({
        pems: pki.pems,
        forwards: { 'nova/identity-service-6c9f8d7b5-x2x7k:50051': nova.endpoint, 'nova/user-service-7f6d5c4b3-m8n4q:50052': nova.endpoint },
      });
      cleanups.push(() => kube.stop());
      const ran = await spawnCli(ex.argv, dir, { KUBECONFIG: kube.kubeconfig, HOME: dir }, 50_000);
      expect(
        kube.requests.some((q) => q.verb === 'create' && q.resource === 'pods/portforward'),
        'the scan went through port-forward',
      ).toBe(true);
      for (const f of reportFiles(ex.argv).filter((f) => f.endsWith('.xml')))
        expect(await fs.readFile(path.join(dir, f), 'utf8')).toContain('service/nova/identity-service:50051');
      return { ran, expectExit: 1 };
    },
  },
];

// ---- README.md ---------------------------------------------------------------------------------

const readmeExamples = examples(README);

describe('README.md', () => {
  it('stays short (the reference manual is docs/) and has examples to run', () => {
    expect(readFileSync(README, 'utf8').trimEnd().split('\n').length).toBeLessThanOrEqual(150);
    expect(readmeExamples.length).toBeGreaterThanOrEqual(5);
  });

  it.each(readmeExamples.map((ex) => [`${rel(ex.file)}:${ex.line} ${ex.text}`, ex] as const))('runs %s', { timeout: 60_000 }, async (_name, ex) => {
    const runner = RUNNERS.find((r) => r.match(ex));
    expect(runner, `no runner knows how to run this README example: add one to RUNNERS in test/readme-examples.test.ts (${ex.text})`).toBeDefined();
    const parsed = await parseOnly(ex.argv);
    expect(parsed.code, `${ex.text}\n${parsed.stderr}`).toBe(0);
    const skip = runner!.skip?.();
    if (skip || !runner!.run) {
      console.warn(`SKIPPED running ${rel(ex.file)}:${ex.line} (${ex.text}): ${skip ?? runner!.how}; its flags parsed`);
      return;
    }
    if (!existsSync(CLI_JS)) throw new Error(`${CLI_JS} is missing: run "npm run build" (npm test does it first)`);
    const dir = await dirFor(ex.block);
    const { ran, expectExit } = await runner!.run(ex, dir);
    const want = statedExit(ex) ?? expectExit;
    const detail = `${ex.text}\nhow: ${runner!.how}\nexit ${ran.code}\nstderr: ${ran.stderr.slice(-2000)}\nstdout: ${ran.stdout.slice(-2000)}`;
    if (Array.isArray(want)) expect(want, detail).toContain(ran.code);
    else expect(ran.code, detail).toBe(want);
    for (const f of reportFiles(ex.argv)) expect(existsSync(path.join(dir, f)), `${ex.text}: report ${f} written`).toBe(true);
  });

  it('its two commands: `npm ci && npm run demo` and `npm test` are package.json scripts; the demo runs', { timeout: 60_000 }, async () => {
    const block = codeBlocks(README).find((b) => b.text.includes('npm ci && npm run demo'));
    expect(block, 'README.md shows `npm ci && npm run demo`').toBeDefined();
    expect(block!.text).toMatch(/^npm test\b/m);
    const scripts = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    // `npm run demo` builds, then runs the built CLI's demo: that second half is run here (the build
    // is the one `npm test` made). Not run: `npm ci` (reinstalls node_modules from the registry) and
    // `npm test` (the suite this test is part of).
    expect(scripts.demo).toBe('npm run --silent build && node dist/src/cli/main.js demo');
    expect(scripts.test).toMatch(/vitest run/);
    console.warn(
      'NOT RUN: `npm ci` (it reinstalls node_modules from the registry) and `npm test` (the suite running this test); `npm run demo` runs below without its build step',
    );
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-readme-demo-'));
    cleanups.push(() => fs.rm(dir, { recursive: true, force: true }));
    const ran = await spawnCli(['demo'], dir, {}, 55_000);
    expect(existsSync(path.join(dir, 'reports/demo.html'))).toBe(true);
    expect(existsSync(path.join(dir, 'reports/demo.json'))).toBe(true);
    expect(ran.code, `demo: exit ${ran.code}\n${ran.stderr}\n${ran.stdout.slice(-2000)}`).toBe(0);
    // A busy machine (the whole suite runs beside this test) may keep the rotation prober below its
    // 100/s: rotation.continuity is then warn with no failed handshake, which the demo says and accepts.
    const report = JSON.parse(await fs.readFile(path.join(dir, 'reports/demo.json'), 'utf8')) as {
      results: { target: string; check: string; status: string; evidence: { failures?: number } }[];
    };
    const rotation = report.results.find((r) => r.target === 'node:rotation-graceful' && r.check === 'rotation.continuity')!;
    expect(rotation.evidence.failures).toBe(0);
    if (rotation.status === 'warn')
      expect(ran.stdout).toMatch(
        /Note: rotation\.continuity on node:rotation-graceful is warn, not pass, only because this machine is busy: no handshake failed/,
      );
    else expect(rotation.status).toBe('pass');
  });
});

// ---- docs/*.md ---------------------------------------------------------------------------------

const docExamples = DOCS.flatMap(examples);

describe('docs/*.md examples', () => {
  it('there are examples to parse, and the parse rejects a misspelled flag', async () => {
    expect(docExamples.length).toBeGreaterThanOrEqual(25);
    const bad = await parseOnly(['run', '--reference', 'node', '--profle', 'strict']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--profle/);
  });

  it.each(docExamples.map((ex) => [`${rel(ex.file)}:${ex.line} ${ex.text}`, ex] as const))('parses %s', async (_name, ex) => {
    const r = await parseOnly(ex.argv);
    expect(r.code, `${rel(ex.file)}:${ex.line}: ${ex.text}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/Usage: mtls-harness/);
  });

  it('config-file examples load (unknown keys and wrong types would be exit 2)', () => {
    const configs = DOCS.flatMap(codeBlocks).filter(
      (b) => (b.lang === 'yaml' || b.lang === 'yml') && /^(policy|targets|clients|failOn|timeout|reports|suites|checks):/m.test(b.text),
    );
    expect(configs.map((b) => rel(b.file)).sort()).toEqual(expect.arrayContaining(['docs/client-test.md', 'docs/config.md']));
    for (const b of configs) expect(() => parseConfigText(b.text, `${rel(b.file)}:${b.line}`)).not.toThrow();
  });

  it('every `npm run X` names a script of package.json', () => {
    const scripts = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    const named = [README, ...DOCS].flatMap((f) =>
      [...readFileSync(f, 'utf8').matchAll(/npm run (?:--silent )?([a-z][\w:-]*)/g)].map((m) => `${rel(f)}: ${m[1]}`),
    );
    expect(named.length).toBeGreaterThan(3);
    expect(named.filter((n) => !(n.split(': ')[1]! in scripts))).toEqual([]);
  });
});

// ---- Links -------------------------------------------------------------------------------------

describe('links', () => {
  const files = [README, ...DOCS];

  it('every relative link of README.md and docs/*.md names an existing file and heading', () => {
    const broken: string[] = [];
    let checked = 0;
    let withAnchor = 0;
    for (const file of files) {
      for (const m of prose(file).matchAll(/\[[^\]]*\]\(([^)\s]+)\)/g)) {
        const target = m[1]!;
        if (/^[a-z][a-z+.-]*:/i.test(target)) continue; // https:, mailto: (not fetched here)
        const [p, anchor] = target.split('#') as [string, string | undefined];
        checked++;
        if (anchor !== undefined) withAnchor++;
        const dest = p === '' ? file : path.resolve(path.dirname(file), p);
        if (!existsSync(dest)) broken.push(`${rel(file)}: ${target}: no such file`);
        else if (anchor !== undefined && !(dest.endsWith('.md') && anchors(dest).has(anchor)))
          broken.push(`${rel(file)}: ${target}: no heading #${anchor} in ${rel(dest)}`);
      }
    }
    expect(broken).toEqual([]);
    expect(checked).toBeGreaterThan(50);
    expect(withAnchor).toBeGreaterThan(10);
  });

  it('every .md path named in README.md, docs/*.md and the --help texts exists', async () => {
    const missing: string[] = [];
    // Named on purpose although not in this repository: the catalogue's origin (docs/CONFORMANCE.md's first paragraph).
    const elsewhere = new Set(['shared/CONFORMANCE.md']);
    const check = (where: string, text: string, dir: string) => {
      for (const m of text.matchAll(/(?<![\w./-])((?:\.\.\/|[\w-]+\/)*[\w-]+\.md)\b/g)) {
        const p = m[1]!;
        if (elsewhere.has(p)) continue;
        if (!existsSync(path.resolve(dir, p)) && !existsSync(path.join(root, p))) missing.push(`${where}: ${p}`);
      }
    };
    for (const f of files) check(rel(f), readFileSync(f, 'utf8'), path.dirname(f));
    for (const argv of [['--help'], ['probe'], ['run'], ['client-test'], ['audit'], ['k8s', 'scan'], ['certs', 'init'], ['reference', 'start'], ['demo']]) {
      const r = argv[0] === '--help' ? await runHelp(['--help']) : await parseOnly(argv);
      check(`mtls-harness ${argv.join(' ')} --help`, r.stdout, root);
    }
    expect(missing).toEqual([]);
  });
});

async function runHelp(argv: string[]): Promise<{ stdout: string }> {
  let stdout = '';
  await runCli(argv, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: () => true }, env: { NO_COLOR: '1' } });
  return { stdout };
}
