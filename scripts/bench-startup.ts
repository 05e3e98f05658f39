// npm run bench (start-up part, issue 17): the whole catalogue against one local target, CLI start
// included, against a bare node script that makes the same number of TLS connections to the same
// server (same client credential, one HTTP request each, at most 8 open at once as run does) and
// nothing else. The ratio says what the harness costs beyond the connections it must make. The
// connections are counted by a relay in front of the server, so both sides are measured the same way.
// Also: modules loaded by that `run` (an ESM load hook), and the module load time of the CLI alone.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { runBench, stats, writeBenchJson } from './bench-util.js';
import { mintFixturePki } from '../src/pki/generate.js';
import { NodeReference } from '../src/targets/reference/node.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const here = path.dirname(fileURLToPath(import.meta.url));
const cliJs = path.resolve(here, '../src/cli/main.js');

function timed(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ ms: number; code: number; stderr: string }> {
  const t0 = performance.now();
  return new Promise((resolve) =>
    execFile(
      process.execPath,
      args,
      { env: { ...process.env, NO_COLOR: '1', ...env }, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 },
      (err, _stdout, stderr) => resolve({ ms: performance.now() - t0, code: err ? Number(err.code ?? -1) : 0, stderr }),
    ),
  );
}

/** The bare client: COUNT TLS connections with the client credential, one GET each, 8 at once. */
const BARE = `
import * as tls from 'node:tls';
import { readFileSync } from 'node:fs';
const [port, count, ca, cert, key] = process.argv.slice(2);
const opts = { host: '127.0.0.1', port: Number(port), servername: 'localhost', ca: readFileSync(ca), cert: readFileSync(cert), key: readFileSync(key) };
let next = 0;
const one = () => new Promise((resolve) => {
  const s = tls.connect(opts, () => s.write('GET / HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n'));
  s.on('data', () => undefined);
  s.on('close', resolve);
  s.on('error', () => undefined);
});
const lane = async () => { while (next++ < Number(count)) await one(); };
await Promise.all(Array.from({ length: 8 }, lane));
`;

async function main(): Promise<void> {
  const pki = await mintFixturePki();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mtls-bench-startup-'));
  const ref = await new NodeReference({ profile: 'strict', pki }).start();
  let connections = 0;
  const relay = net.createServer((c) => {
    connections++;
    const up = net.connect(ref.endpoint.port, '127.0.0.1');
    c.pipe(up).pipe(c);
    c.on('error', () => up.destroy());
    up.on('error', () => c.destroy());
  });
  await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
  const port = (relay.address() as net.AddressInfo).port;
  try {
    const w = (n: string, s: string, mode = 0o644) => {
      writeFileSync(path.join(dir, n), s, { mode });
      return path.join(dir, n);
    };
    const ca = w('ca.pem', pki.root.certPem);
    const cert = w('client.pem', pki.client.chainPem);
    const key = w('client-key.pem', pki.client.keyPem, 0o600);
    const caKey = w('ca-key.pem', pki.root.keyPem, 0o600);
    const bare = w('bare.mjs', BARE);
    const runArgs = [
      cliJs,
      'run',
      '--target',
      `127.0.0.1:${port}`,
      '--servername',
      'localhost',
      '--expected-name',
      '127.0.0.1',
      '--ca',
      ca,
      '--cert',
      cert,
      '--key',
      key,
      '--ca-key',
      caKey,
      '--json',
      path.join(dir, 'r.json'),
      '--quiet',
    ];

    // Warm-up (file cache), and the number of connections one run makes.
    await timed(runArgs);
    connections = 0;
    await timed(runArgs);
    const perRun = connections;

    const run: number[] = [];
    const bareRuns: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      run.push((await timed(runArgs)).ms);
      bareRuns.push((await timed([bare, String(port), String(perRun), ca, cert, key])).ms);
    }
    const nodeOnly: number[] = [];
    for (let i = 0; i < RUNS; i++) nodeOnly.push((await timed(['-e', ''])).ms);
    const help: number[] = [];
    for (let i = 0; i < RUNS; i++) help.push((await timed([cliJs, 'run', '--help'])).ms);

    // Modules that run loads (ESM load hook).
    const list = path.join(dir, 'modules.txt');
    w(
      'hooks.mjs',
      `import { appendFileSync } from 'node:fs';\nexport async function load(url, context, next) { appendFileSync(${JSON.stringify(list)}, url + '\\n'); return next(url, context); }\n`,
    );
    // The load hook sees ES modules; CommonJS ones (the certificate library is required) are read
    // from the require cache at exit. Counted once each.
    w(
      'register.mjs',
      `import { appendFileSync } from 'node:fs';\nimport { createRequire, register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(path.join(dir, 'hooks.mjs')).href)});\nconst cache = createRequire(import.meta.url).cache;\nprocess.on('exit', () => appendFileSync(${JSON.stringify(list)}, Object.keys(cache).map((f) => 'file://' + f).join('\\n') + '\\n'));\n`,
    );
    await timed(runArgs, { NODE_OPTIONS: `--import ${path.join(dir, 'register.mjs')}` });
    const loaded = [
      ...new Set(
        readFileSync(list, 'utf8')
          .trim()
          .split('\n')
          .filter((u) => u.startsWith('file://')),
      ),
    ];
    const deps = loaded.filter((u) => u.includes('/node_modules/')).length;
    const ours = loaded.filter((u) => u.includes('/dist/') && !u.includes('/node_modules/')).length;

    const ratio = stats(run).medianMs / stats(bareRuns).medianMs;
    const result = {
      date: new Date().toISOString(),
      node: process.version,
      cpus: os.cpus().length,
      loadAverage: os.loadavg().map((x) => Number(x.toFixed(2))),
      connectionsPerRun: perRun,
      mtlsHarnessRun: {
        ...stats(run),
        what: 'mtls-harness run, the whole catalogue, one local node strict target, --ca-key (every crafted client), CLI start included',
      },
      bareScript: {
        ...stats(bareRuns),
        what: `node script: ${perRun} TLS connections with the client credential, one GET each, 8 at once, node start included`,
      },
      ratio: Number(ratio.toFixed(2)),
      target: 2.5,
      nodeStart: { ...stats(nodeOnly), what: 'node -e ""' },
      runHelp: { ...stats(help), what: 'mtls-harness run --help (CLI start and the help module: src/cli/help/)' },
      modulesLoadedByRun: { total: loaded.length, ours, dependencies: deps, other: loaded.length - ours - deps },
    };
    const file = writeBenchJson('startup', result);
    console.log(
      [
        `start-up: run, whole catalogue vs one local target: median ${stats(run).medianMs} ms; bare script, the same ${perRun} connections: median ${stats(bareRuns).medianMs} ms; ratio ${ratio.toFixed(2)}× (target ≤ 2.5×)`,
        `          node alone ${stats(nodeOnly).medianMs} ms; run --help ${stats(help).medianMs} ms; modules loaded by run: ${loaded.length} (${ours} ours, ${deps} from node_modules)`,
        `Written: ${file}`,
      ].join('\n'),
    );
  } finally {
    relay.close();
    await ref.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

runBench(main);
