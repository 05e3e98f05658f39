// Issue 16 items 4, 6, 7: validation at the edge, once, for every source (flags, MTLS_* environment,
// config file, targets file, k8s annotations). Durations beyond node's timer range, terminal escapes
// echoed from inputs, CR/LF smuggled into the HTTP request the probe writes. Real peers on 127.0.0.1.
import { promises as fs } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintFixturePki, type FixturePki } from '../src/pki/generate.js';
import { probeEndpoint } from '../src/probe/tls-probe.js';
import { discoverTargets, ANNOTATIONS } from '../src/targets/k8s/discovery.js';
import { expectUsageError, spawnCli } from './helpers/cli.js';
import { startFakeKube } from './helpers/fake-kube.js';

let tmp: string;
let pki: FixturePki;
const servers: net.Server[] = [];
const sockets = new Set<net.Socket>();
/** ESC, BEL, other C0/C1 controls (but not the newline ending each line), bidi controls. */
const UNPRINTABLE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/;

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-edge-'));
  pki = await mintFixturePki();
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  await fs.rm(tmp, { recursive: true, force: true });
});

async function listen(srv: net.Server): Promise<number> {
  servers.push(srv);
  srv.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return (srv.address() as net.AddressInfo).port;
}

/** An HTTPS server (no client certificate asked) that records the raw request bytes it receives. */
async function recordingServer(): Promise<{ port: number; raw: () => string; connections: () => number }> {
  let raw = '';
  let connections = 0;
  const srv = tls.createServer({ cert: pki.server.chainPem, key: pki.server.keyPem }, (s) => {
    s.on('error', () => undefined);
    s.on('data', (d: Buffer) => {
      raw += d.toString('latin1');
      if (raw.includes('\r\n\r\n')) s.end('HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    });
  });
  srv.on('connection', () => connections++);
  const port = await listen(srv);
  return { port, raw: () => raw, connections: () => connections };
}

describe('(4) durations beyond the timer range are refused, not turned into 1 ms timers', () => {
  it('--timeout 600h (25 days) against a peer that never speaks: exit 2, no connection', async () => {
    let connections = 0;
    const port = await listen(net.createServer(() => connections++));
    const started = Date.now();
    const r = await spawnCli(['probe', `127.0.0.1:${port}`, '--timeout', '600h', '--json'], tmp);
    expectUsageError(r, /--timeout "600h" is longer than the maximum \(10m\)/);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(connections).toBe(0);
  });

  const cases: { name: string; args: string[]; env?: Record<string, string>; config?: string; message: RegExp }[] = [
    { name: 'run --timeout', args: ['--timeout', '600h'], message: /--timeout "600h" is longer than the maximum \(10m\)/ },
    { name: 'MTLS_TIMEOUT', args: [], env: { MTLS_TIMEOUT: '2147484s' }, message: /--timeout "2147484s" is longer than the maximum \(10m\)/ },
    { name: 'config timeout', args: [], config: 'timeout: 11m\n', message: /timeout "11m" is longer than the maximum \(10m\)/ },
    { name: '--target-timeout', args: ['--target-timeout', '25h'], message: /--target-timeout "25h" is longer than the maximum \(24h\)/ },
    {
      name: 'config targetTimeout',
      args: [],
      config: 'targetTimeout: 9999999999999999999999h\n',
      message: /target-timeout "9999999999999999999999h" is longer than the maximum \(24h\)/,
    },
    { name: '--rotation-watch', args: ['--rotation-watch', '600h'], message: /--rotation-watch "600h" is longer than the maximum \(24h\)/ },
    {
      name: '--rotation-timeout',
      args: ['--rotation-command', 'true', '--rotation-timeout', '1441m'],
      message: /--rotation-timeout "1441m" is longer than the maximum \(24h\)/,
    },
  ];
  for (const c of cases) {
    it(`${c.name}: exit 2, one line`, async () => {
      const args = ['run', '--target', '127.0.0.1:9', ...c.args];
      if (c.config !== undefined) {
        const file = path.join(tmp, `${c.name.replace(/\W/g, '_')}.yaml`);
        await fs.writeFile(file, c.config);
        args.push('--config', file);
      }
      expectUsageError(await spawnCli(args, tmp, c.env ?? {}), c.message);
    });
  }

  it('config rotation.after and --grace and client-test timeouts are bounded too', async () => {
    const file = path.join(tmp, 'rot.yaml');
    await fs.writeFile(file, 'targets:\n  - endpoint: 127.0.0.1:9\n    rotation:\n      watch: 1m\n      after: 721h\n');
    expectUsageError(await spawnCli(['run', '--config', file], tmp), /rotation\.after "721h" is longer than the maximum \(24h\)/);
    expectUsageError(await spawnCli(['probe', '127.0.0.1:9', '--grace', '600h'], tmp), /--grace "600h" is longer than the maximum \(10m\)/);
    expectUsageError(await spawnCli(['client-test', '--timeout', '600h', '--', 'true'], tmp), /--timeout "600h" is longer than the maximum \(24h\)/);
  });
});

describe('(6) no terminal escapes from inputs reach stderr', () => {
  const hostile = 'x\x1b[31mred\x1b]0;pwned\x07\u202etxt.exe\u2066';
  it('a bad targets-file line with escapes and bidi overrides', async () => {
    const file = path.join(tmp, 'targets.txt');
    await fs.writeFile(file, `127.0.0.1:443\n${hostile}:443,a,b\n`);
    const r = await spawnCli(['probe', '--targets-file', file], tmp);
    expectUsageError(r, /targets\.txt:2: expected host:port/);
    expect(r.stderr).not.toMatch(UNPRINTABLE);
  });
  it('a bad servername in a targets file', async () => {
    const file = path.join(tmp, 'targets2.txt');
    await fs.writeFile(file, `127.0.0.1:443,${hostile}\n`);
    const r = await spawnCli(['probe', '--targets-file', file], tmp);
    expectUsageError(r, /targets2\.txt:1: .* is not a valid host name/);
    expect(r.stderr).not.toMatch(UNPRINTABLE);
  });
  it('a config key with escapes', async () => {
    const file = path.join(tmp, 'keys.yaml');
    await fs.writeFile(file, `"${hostile.replace(/\x1b/g, '\\e').replace(/\x07/g, '\\a')}": 1\n`);
    const r = await spawnCli(['run', '--config', file], tmp);
    expectUsageError(r, /is not a known key/);
    expect(r.stderr).not.toMatch(UNPRINTABLE);
  });
  it('--servername with escapes (run and probe)', async () => {
    for (const cmd of ['run', 'probe']) {
      const r = await spawnCli(
        cmd === 'run' ? ['run', '--target', '127.0.0.1:9', '--servername', hostile] : ['probe', '127.0.0.1:9', '--servername', hostile],
        tmp,
      );
      expectUsageError(r, /--servername .* is not a valid host name/);
      expect(r.stderr).not.toMatch(UNPRINTABLE);
    }
  });
  it('an unknown command or option with escapes', async () => {
    const a = await spawnCli([hostile], tmp);
    expect(a.code).toBe(2);
    expect(a.stderr).not.toMatch(UNPRINTABLE);
    const b = await spawnCli(['probe', `--${hostile}`], tmp);
    expectUsageError(b, /Unknown option/);
    expect(b.stderr).not.toMatch(UNPRINTABLE);
  });
});

describe('(7) CR/LF never reaches the HTTP request', () => {
  const injected = 'X-Injected: yes';
  it('--servername with CR/LF: exit 2, nothing sent', async () => {
    const srv = await recordingServer();
    for (const cmd of ['probe', 'run']) {
      const target = `127.0.0.1:${srv.port}`;
      const r = await spawnCli(
        cmd === 'probe'
          ? ['probe', target, '--servername', `localhost\r\n${injected}`]
          : ['run', '--target', target, '--servername', `localhost\r\n${injected}`],
        tmp,
      );
      expectUsageError(r, /--servername "localhost\?\?X-Injected: yes" is not a valid host name/);
    }
    expect(srv.raw()).not.toContain(injected);
    expect(srv.connections()).toBe(0);
  });
  it('--path with CR/LF (run and probe), MTLS_SERVERNAME, config servername/path: exit 2, nothing sent', async () => {
    const srv = await recordingServer();
    const target = `127.0.0.1:${srv.port}`;
    expectUsageError(await spawnCli(['probe', target, '--path', `/\r\n${injected}`], tmp), /--path "\/\?\?X-Injected: yes" is not a valid HTTP path/);
    expectUsageError(await spawnCli(['run', '--target', target, '--path', `/ HTTP/1.1\r\n${injected}`], tmp), /--path .* is not a valid HTTP path/);
    // Repeated --path: each one is checked.
    expectUsageError(await spawnCli(['run', '--target', target, '--path', '/', '--path', `/\r\n${injected}`], tmp), /--path .* is not a valid HTTP path/);
    expectUsageError(await spawnCli(['probe', target, '--path', '/', '--path', `/\r\n${injected}`], tmp), /--path .* is not a valid HTTP path/);
    expectUsageError(
      await spawnCli(['run', '--target', target], tmp, { MTLS_SERVERNAME: `localhost\r\n${injected}` }),
      /servername .* is not a valid host name/,
    );
    const file = path.join(tmp, 'inject.yaml');
    await fs.writeFile(file, `targets:\n  - endpoint: ${target}\n    servername: "localhost\\r\\n${injected}"\n`);
    expectUsageError(await spawnCli(['run', '--config', file], tmp), /servername .* is not a valid host name/);
    await fs.writeFile(file, `targets:\n  - endpoint: ${target}\n    path: "/\\r\\n${injected}"\n`);
    expectUsageError(await spawnCli(['run', '--config', file], tmp), /path .* is not a valid HTTP path/);
    await fs.writeFile(file, `targets:\n  - endpoint: ${target}\n    paths: [/, "/\\r\\n${injected}"]\n`);
    expectUsageError(await spawnCli(['run', '--config', file], tmp), /paths .* is not a valid HTTP path/);
    await fs.writeFile(file, `targets:\n  - endpoint: ${target}\n    path: /\n    paths: [/a]\n`);
    expectUsageError(await spawnCli(['run', '--config', file], tmp), /path and paths exclude each other/);
    expect(srv.raw()).not.toContain(injected);
    expect(srv.connections()).toBe(0);
  });
  it('a valid percent-encoded path still reaches the server', async () => {
    const srv = await recordingServer();
    const r = await spawnCli(['probe', `127.0.0.1:${srv.port}`, '--path', '/health%20check?x=1', '--json'], tmp);
    expect(r.code, r.stderr).not.toBe(2);
    expect(srv.raw()).toMatch(/^GET \/health%20check\?x=1 HTTP\/1\.1\r\nHost: 127\.0\.0\.1:\d+\r\n/);
  });
  it('defence in depth: the probe refuses CR/LF given directly (a HarnessError), nothing sent', async () => {
    const srv = await recordingServer();
    const base = { host: '127.0.0.1', port: srv.port, ca: pki.root.certPem, timeoutMs: 3000 };
    await expect(probeEndpoint({ ...base, httpPath: `/\r\n${injected}` })).rejects.toMatchObject({ name: 'HarnessError', code: 'usage.invalid-value' });
    await expect(probeEndpoint({ ...base, servername: `localhost\r\n${injected}` })).rejects.toMatchObject({
      name: 'HarnessError',
      code: 'usage.invalid-value',
    });
    expect(srv.raw()).not.toContain(injected);
    expect(srv.connections()).toBe(0);
  });
  it("k8s scan (fake API server): a servername annotation with CR/LF is that Service's reported error; nothing is forwarded or sent", async () => {
    const srv = await recordingServer();
    const dir = path.join(tmp, 'k8s', 'inj');
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(
      path.join(dir, 'web.yaml'),
      [
        'apiVersion: v1',
        'kind: Service',
        'metadata:',
        '  name: web',
        '  annotations:',
        `    mtls-harness/servername: "web.inj\\r\\n${injected}"`,
        'spec:',
        '  selector:',
        '    app: web',
        '  ports:',
        '    - name: https',
        '      port: 443',
        '      targetPort: 8443',
        '---',
        'apiVersion: v1',
        'kind: Pod',
        'metadata:',
        '  name: web-0',
        '  labels:',
        '    app: web',
        'spec:',
        '  containers:',
        '    - name: web',
        '      image: web',
        '      ports:',
        '        - containerPort: 8443',
        'status:',
        '  phase: Running',
        '  conditions:',
        '    - type: Ready',
        '      status: "True"',
        '',
      ].join('\n'),
    );
    const kube = await startFakeKube({ pems: {}, fixturesDir: path.join(tmp, 'k8s'), forwards: { 'inj/web-0:8443': { host: '127.0.0.1', port: srv.port } } });
    try {
      const r = await spawnCli(['k8s', 'scan', '-n', 'inj', '--suite', 'handshake-with-cert', '--json', '-'], tmp, { KUBECONFIG: kube.kubeconfig }, 60_000);
      expect(srv.raw()).not.toContain(injected);
      expect(r.code, r.stderr).toBe(1);
      const j = JSON.parse(r.stdout) as { results: { target: string; status: string; message: string }[] };
      const web = j.results.filter((x) => x.target === 'service/inj/web:443');
      expect(web.length).toBeGreaterThan(0);
      for (const x of web) {
        expect(x.status).toBe('error');
        expect(x.message).toMatch(/mtls-harness\/servername "web\.inj\?\?X-Injected: yes" is not a valid host name/);
      }
      expect(r.stderr).not.toMatch(UNPRINTABLE);
      expect(kube.requests.some((q) => q.resource.includes('portforward'))).toBe(false);
    } finally {
      await kube.stop();
    }
    expect(srv.raw()).not.toContain(injected);
    expect(srv.connections()).toBe(0);
  });
  it('k8s: a servername annotation with CR/LF makes that Service a reported problem, not a request', () => {
    const svc = {
      metadata: { name: 'web', namespace: 'ns', annotations: { [ANNOTATIONS.servername]: `web\r\n${injected}` } },
      spec: { selector: { app: 'web' }, ports: [{ name: 'https', port: 443, protocol: 'TCP' }] },
    };
    const { targets } = discoverTargets({ namespace: 'ns', services: [svc], pods: [] } as never, [svc] as never);
    expect(targets).toHaveLength(1);
    expect(targets[0]!.problem).toMatch(/mtls-harness\/servername "web\?\?X-Injected: yes" is not a valid host name/);
    expect(targets[0]!.servername).not.toMatch(/[\r\n]/);
  });
});
