// client-test on Ctrl-C: the built CLI, a real client command, a real SIGINT. The reports the help
// promises are written, marked incomplete as `run` marks them, and the client's process group is gone.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cliJs = path.join(root, 'dist/src/cli/main.js');
let tmp: string;
const f = (n: string) => path.join(tmp, n);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-client-int-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

/** The children of `pid` (ps), as [pid, pgid, command]. */
function childrenOf(pid: number): { pid: number; pgid: number; cmd: string }[] {
  const out = spawnSync('ps', ['-o', 'pid=,pgid=,args=', '--ppid', String(pid)]).stdout.toString();
  return out
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      const [p, g, ...rest] = l.trim().split(/\s+/);
      return { pid: Number(p), pgid: Number(g), cmd: rest.join(' ') };
    });
}

/** Processes (not zombies) still in process group `pgid`. */
function groupMembers(pgid: number): string[] {
  const out = spawnSync('ps', ['-eo', 'pid=,pgid=,stat=,args=']).stdout.toString();
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((c) => Number(c[1]) === pgid && !c[2]?.startsWith('Z'))
    .map((c) => c.join(' '));
}

interface Json {
  run: { incomplete?: unknown };
  results: { check: string; status: string; message: string }[];
}

it('Ctrl-C writes the JSON, JUnit and HTML reports marked incomplete, keeps what finished, exits 130 and leaves no client behind', async () => {
  if (!existsSync(cliJs)) throw new Error(`${cliJs} is missing: run "npm run build"`);
  // A client that never finishes: each run is stopped at its 2 s limit, so the first check
  // (client.presents-cert, judged from the baseline run) finishes and the second is running when Ctrl-C comes.
  const child = spawn(
    process.execPath,
    [cliJs, 'client-test', '--timeout', '2s', '--json', f('r.json'), '--junit', f('r.xml'), '--html', f('r.html'), '--', 'sh', '-c', 'sleep 30'],
    { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  // Wait for the client's second run (a second `sh -c sleep 30` child: the baseline one was stopped).
  const seen = new Set<number>();
  let second: { pid: number; pgid: number } | undefined;
  for (let i = 0; i < 200 && !second; i++) {
    for (const c of childrenOf(child.pid!)) if (c.cmd.includes('sleep 30')) seen.add(c.pid);
    if (seen.size >= 2) second = childrenOf(child.pid!).find((c) => c.cmd.includes('sleep 30') && c.pid === [...seen][1]);
    if (!second) await sleep(50);
  }
  expect(second, `the second client run never started; stderr: ${stderr}`).toBeDefined();
  expect(second!.pgid, 'the client runs in its own process group').toBe(second!.pid);
  await sleep(300);
  child.kill('SIGINT');
  const code = await exited;
  expect(code, stderr).toBe(130);
  expect(stderr).not.toMatch(/Warning|\n\s+at /);
  expect(stderr).toMatch(/incomplete: the run was interrupted \(Ctrl-C\); 0 of 1 target\(s\) finished/);
  expect(groupMembers(second!.pgid), 'the client process group outlived the harness').toEqual([]);

  const j = JSON.parse(await fs.readFile(f('r.json'), 'utf8')) as Json;
  expect(j.run.incomplete).toEqual({ reason: 'the run was interrupted (Ctrl-C)', targetsFinished: 0, targetsTotal: 1 });
  const first = j.results.find((r) => r.check === 'client.presents-cert')!;
  expect(first.status).toBe('error');
  expect(first.message).not.toMatch(/^not finished/); // finished: the baseline run timed out
  const rest = j.results.filter((r) => r.check !== 'client.presents-cert');
  expect(rest.length).toBeGreaterThan(0);
  expect(rest.map((r) => [r.status, r.message])).toEqual(rest.map(() => ['error', 'not finished: the run was interrupted (Ctrl-C)']));
  expect(await fs.readFile(f('r.xml'), 'utf8')).toContain('name="incomplete" value="the run was interrupted (Ctrl-C); 0 of 1 target(s) finished"');
  expect(await fs.readFile(f('r.html'), 'utf8')).toContain('INCOMPLETE RUN');
}, 30_000);
