// The GitHub Action (action.yml) and the GitLab CI template (ci/gitlab/mtls-harness.gitlab-ci.yml)
// run by a script, not by GitHub or GitLab: each `run:` / `script:` step with bash as the runner runs
// it (GitHub: bash --noprofile --norc -eo pipefail; GitLab: set -eo pipefail), in a temporary
// workspace with GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, RUNNER_TEMP … pointing at temporary files and the
// `${{ }}` expressions the action uses evaluated; `uses:` steps are not run, but the files their
// `with: path` names must exist. The target is a real node TLS server on 127.0.0.1 (the node
// reference, optional-client-cert or strict), the CLI the built one (npm run build first).
import { spawn } from 'node:child_process';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { mintFixturePki, type FixturePki } from '../src/pki/generate.js';
import { NodeReference, type StartedNodeReference } from '../src/targets/reference/node.js';
import { CLI_JS, writeClientFiles } from './helpers/cli.js';
import { ENFORCEMENT_CHECKS, liveTargetLines } from './helpers/config-yaml.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface Step {
  id?: string;
  name?: string;
  if?: string;
  uses?: string;
  run?: string;
  shell?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
}
interface Action {
  inputs: Record<string, { default?: string }>;
  outputs: Record<string, { value: string }>;
  runs: { using: string; steps: Step[] };
}

function bash(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn('bash', args, { cwd, env });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

interface ActionRun {
  code: number;
  /** The run steps' stdout (where workflow commands go), in order. */
  stdout: string;
  stderr: string;
  summary: string;
  outputs: Record<string, string>;
  /** The uses: steps that would have run, with their `with:` evaluated. */
  uses: { uses: string; with: Record<string, string> }[];
  skipped: string[];
}

/**
 * Runs the composite action's steps as the runner would, with `inputs` over the defaults. Only the
 * expressions the action uses are known (inputs.*, github.action_path, steps.*.outputs.*,
 * always(), ==, !=, &&); any other is a test failure, so the action cannot grow one untested.
 */
async function runAction(inputs: Record<string, string>, workspace: string): Promise<ActionRun> {
  const action = parse(readFileSync(path.join(root, 'action.yml'), 'utf8')) as Action;
  expect(action.runs.using).toBe('composite');
  for (const k of Object.keys(inputs)) expect(action.inputs, `input ${k}`).toHaveProperty(k);
  const input = { ...Object.fromEntries(Object.entries(action.inputs).map(([k, v]) => [k, v.default ?? ''])), ...inputs };
  const steps: Record<string, Record<string, string>> = {};
  const value = (ref: string): string => {
    ref = ref.trim();
    let m: RegExpExecArray | null;
    if ((m = /^'([^']*)'$/.exec(ref))) return m[1]!;
    if ((m = /^inputs\.([\w-]+)$/.exec(ref))) return input[m[1]!] ?? '';
    if (ref === 'github.action_path') return root;
    if (ref === 'github.workspace') return workspace;
    if ((m = /^steps\.([\w-]+)\.outputs\.([\w-]+)$/.exec(ref))) return steps[m[1]!]?.[m[2]!] ?? '';
    throw new Error(`expression the test does not know: ${ref}`);
  };
  const truth = (expr: string): boolean =>
    expr.split('&&').every((term) => {
      term = term.trim();
      if (term === 'always()') return true;
      const m = /^(.+?)\s*(==|!=)\s*(.+)$/.exec(term);
      if (!m) throw new Error(`condition the test does not know: ${term}`);
      return (value(m[1]!) === value(m[3]!)) === (m[2] === '==');
    });
  const subst = (s: string) => s.replace(/\$\{\{(.*?)\}\}/g, (_, e: string) => value(e));
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-action-runner-'));
  const summaryFile = path.join(tmp, 'step-summary.md');
  await fs.writeFile(summaryFile, '');
  const out: ActionRun = { code: 0, stdout: '', stderr: '', summary: '', outputs: {}, uses: [], skipped: [] };
  let failed = false;
  for (const [i, step] of action.runs.steps.entries()) {
    // A step without if: runs only while no step failed (success()); always() runs anyway.
    if (step.if ? !truth(step.if) : failed) {
      out.skipped.push(step.name ?? step.uses ?? `step ${i}`);
      continue;
    }
    if (step.uses) {
      out.uses.push({ uses: step.uses, with: Object.fromEntries(Object.entries(step.with ?? {}).map(([k, v]) => [k, subst(String(v))])) });
      continue;
    }
    expect(step.shell, `step ${step.name}: a composite run step names its shell`).toBe('bash');
    // Inputs reach scripts through env:, never pasted into the script (script injection).
    expect(step.run!, `step ${step.name}`).not.toMatch(/\$\{\{/);
    const outputFile = path.join(tmp, `output-${i}`);
    await fs.writeFile(outputFile, '');
    const script = path.join(tmp, `step-${i}.sh`);
    await fs.writeFile(script, step.run!);
    const env = {
      ...process.env,
      NO_COLOR: '1',
      GITHUB_ACTIONS: 'true',
      GITHUB_WORKSPACE: workspace,
      GITHUB_ACTION_PATH: root,
      GITHUB_OUTPUT: outputFile,
      GITHUB_STEP_SUMMARY: summaryFile,
      GITHUB_ENV: path.join(tmp, 'env'),
      GITHUB_PATH: path.join(tmp, 'path'),
      RUNNER_TEMP: tmp,
      ...Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, subst(String(v))])),
    };
    const r = await bash(['--noprofile', '--norc', '-eo', 'pipefail', script], workspace, env);
    out.stdout += r.stdout;
    out.stderr += r.stderr;
    if (step.id)
      steps[step.id] = Object.fromEntries(
        (await fs.readFile(outputFile, 'utf8'))
          .split('\n')
          .filter((l) => l.includes('='))
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      );
    if (r.code !== 0) {
      failed = true;
      out.code = r.code;
    }
  }
  out.outputs = Object.fromEntries(Object.entries(action.outputs).map(([k, v]) => [k, subst(v.value)]));
  out.summary = await fs.readFile(summaryFile, 'utf8');
  await fs.rm(tmp, { recursive: true, force: true });
  return out;
}

let pki: FixturePki;
let optional: StartedNodeReference;
let strict: StartedNodeReference;
let dir: string;
// A target name a hostile config (or report) could carry: workflow command syntax, a line break, %.
const HOSTILE = 'gw,a:b%25\n::error::injected';

/** A workspace with the client credentials and a config naming `ref` (its target on line 4). */
async function workspace(name: string, ref: StartedNodeReference): Promise<string> {
  const ws = path.join(dir, name);
  await fs.mkdir(ws);
  await writeClientFiles(ws, pki);
  await fs.writeFile(
    path.join(ws, 'mtls.yaml'),
    [ENFORCEMENT_CHECKS, 'targets:', '  # the gateway', ...liveTargetLines(HOSTILE, ref.endpoint.port), ''].join('\n'),
  );
  return ws;
}

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-ci-'));
  pki = await mintFixturePki();
  optional = await new NodeReference({ profile: 'optional-client-cert', pki }).start();
  strict = await new NodeReference({ profile: 'strict', pki }).start();
});
afterAll(async () => {
  await Promise.all([optional?.stop(), strict?.stop()]);
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

describe('action.yml, its steps run by a script', () => {
  it('a server that serves a client without a certificate: exit 1, ::error on the config line, escaped; summary; the reports uploaded', async () => {
    const ws = await workspace('fails', optional);
    const r = await runAction({ config: 'mtls.yaml' }, ws);
    expect(r.code, r.stderr).toBe(1);
    expect(r.outputs['exit-code']).toBe('1');
    const lines = r.stdout.split('\n');
    const errors = lines.filter((l) => l.startsWith('::error '));
    expect(errors.map((l) => /title=fail%3A ([\w.-]+) on /.exec(l)?.[1]).sort()).toEqual(['handshake.client-auth-mode', 'reject.no-client-cert']);
    for (const l of errors) {
      // On the target's line of the config file; the hostile name escaped by GitHub's rules.
      expect(l).toMatch(
        /^::error file=mtls\.yaml,line=4,title=fail%3A [\w.-]+ on gw%2Ca%3Ab%2525%0A%3A%3Aerror%3A%3Ainjected::gw,a:b%2525%0A::error::injected: /,
      );
    }
    // The line break in the name is %0A: no workflow command of the report's making starts a line.
    expect(lines.filter((l) => l.startsWith('::error::injected'))).toEqual([]);
    expect(lines.filter((l) => l.startsWith('::warning'))).toEqual([]);
    expect(r.summary).toMatch(/^## mtls-harness: ❌ fail\n/);
    expect(r.summary).toContain('2 fail, 0 warn, 0 error (inconclusive), 1 pass, 0 skip; 1 target.');
    expect(r.summary).toContain('`reject.no-client-cert`');
    expect(r.summary).not.toContain('\n::error');
    // The artifact upload (not run here) names the reports folder: every report is in it.
    const upload = r.uses.find((u) => u.uses.startsWith('actions/upload-artifact@'))!;
    expect(upload.with.path).toBe('mtls-harness-reports');
    for (const f of ['report.json', 'junit.xml', 'report.html', 'report.sarif']) expect(existsSync(path.join(ws, upload.with.path!, f)), f).toBe(true);
    expect(r.outputs.sarif).toBe('mtls-harness-reports/report.sarif');
    // Code scanning upload only when asked.
    expect(r.uses.some((u) => u.uses.startsWith('github/codeql-action/upload-sarif@'))).toBe(false);
  }, 120_000);

  it('an enforcing server: exit 0, no annotation; with upload-sarif the SARIF file is handed to code scanning', async () => {
    const ws = await workspace('passes', strict);
    const r = await runAction({ config: 'mtls.yaml', 'upload-sarif': 'true', 'reports-dir': 'out/mtls' }, ws);
    expect(r.code, r.stderr).toBe(0);
    expect(r.outputs['exit-code']).toBe('0');
    expect(r.stdout.split('\n').filter((l) => l.startsWith('::'))).toEqual([]);
    expect(r.summary).toMatch(/^## mtls-harness: ✅ pass\n/);
    const sarif = r.uses.find((u) => u.uses.startsWith('github/codeql-action/upload-sarif@'))!;
    expect(sarif.with.sarif_file).toBe('out/mtls/report.sarif');
    expect(existsSync(path.join(ws, sarif.with.sarif_file!))).toBe(true);
    expect(existsSync(path.join(ws, r.uses.find((u) => u.uses.startsWith('actions/upload-artifact@'))!.with.path!, 'junit.xml'))).toBe(true);
  }, 120_000);

  it('a configuration error: the step exits 2 (the CLI said why), no annotations', async () => {
    const ws = await workspace('usage', strict);
    const r = await runAction({ config: 'missing.yaml' }, ws);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^mtls-harness: error: .*missing\.yaml/m);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('::'))).toEqual([]);
    expect(r.summary).toBe('');
  }, 60_000);
});

describe('the GitLab CI template, its script run by a script', () => {
  interface Job {
    extends?: string;
    script?: string[];
    artifacts?: { when?: string; paths?: string[]; reports?: { junit?: string } };
    variables?: Record<string, string>;
  }
  it('runs the CLI on the config, fails the job with it, and leaves the JUnit report and the artifacts', async () => {
    const tpl = parse(readFileSync(path.join(root, 'ci/gitlab/mtls-harness.gitlab-ci.yml'), 'utf8')) as Record<string, Job> & {
      variables: Record<string, string>;
    };
    const job = { ...tpl[tpl['mtls-harness']!.extends!], ...tpl['mtls-harness'] };
    expect(job.artifacts?.when).toBe('always');
    expect(job.artifacts?.reports?.junit).toBe('mtls-harness-reports/junit.xml');
    const ws = await workspace('gitlab', optional);
    // The pipeline's variables: the template's, with the CLI pointed at this checkout's build.
    const env = { ...process.env, NO_COLOR: '1', CI: 'true', ...tpl.variables, ...job.variables, MTLS_HARNESS_CLI: `node ${CLI_JS}` };
    const r = await bash(['-c', `set -eo pipefail\n${job.script!.join('\n')}`], ws, env);
    expect(r.code, r.stderr).toBe(1);
    const junit = await fs.readFile(path.join(ws, job.artifacts!.reports!.junit!), 'utf8');
    expect(junit).toMatch(/<testsuites[^>]*>/);
    expect(junit).toMatch(/<testcase [^>]*name="reject\.no-client-cert"[^>]*>\s*<failure/);
    for (const p of job.artifacts!.paths!) expect(existsSync(path.join(ws, p)), p).toBe(true);
    for (const f of ['report.json', 'report.html', 'report.sarif']) expect(existsSync(path.join(ws, 'mtls-harness-reports', f)), f).toBe(true);
  }, 120_000);
});
