// The rotation prober and the rotation-continuity suite against real TLS servers: an outage
// injected on purpose and measured, the prober's own overload kept apart from target failures,
// live targets rotated by a user command or only watched, the CA overlap with two credentials,
// and stunnel's reload that refuses connections (why it cannot express rotation-graceful).
import { X509Certificate } from 'node:crypto';
import { promises as fs, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/run.js';
import { addDays } from '../src/core/clock.js';
import { mintCertificate, mintFixturePki, reissue, type Credential, type FixturePki } from '../src/pki/generate.js';
import { RotationProber, runProber } from '../src/rotation/prober.js';
import { analyzeTimeline } from '../src/rotation/timeline.js';
import { runChecks } from '../src/runner/run.js';
import type { RotationConfig } from '../src/core/target.js';
import type { TargetUnderTest } from '../src/targets/target.js';
import { DEFAULT_POLICY } from '../src/core/target.js';
import { findBinary, PKI_FILES, startProcessReference, type StartedProcessReference } from '../src/targets/reference/process.js';
import { startReference } from '../src/targets/reference/start.js';
import { stunnel } from '../src/targets/reference/stunnel.js';
import { SUITES } from '../suites/index.js';

let dir: string;
let pki: FixturePki;
let clientContext: tls.SecureContext;
const f = (n: string) => path.join(dir, n);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A process still running (an exited one not yet reaped by its new parent, a zombie, is not). */
const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, env: { NO_COLOR: '1' } });
  return { code, stdout, stderr };
}

interface JsonResult {
  check: string;
  status: string;
  message: string;
  evidence: Record<string, any>;
}
async function results(file: string): Promise<Record<string, JsonResult>> {
  const r = JSON.parse(await fs.readFile(file, 'utf8')) as { results: JsonResult[] };
  return Object.fromEntries(r.results.map((x) => [x.check, x]));
}

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-rotation-'));
  pki = await mintFixturePki();
  clientContext = tls.createSecureContext({ ca: pki.root.certPem, cert: pki.client.chainPem, key: pki.client.keyPem });
  await fs.writeFile(f('ca.pem'), pki.root.certPem);
  await fs.writeFile(f('client.pem'), pki.client.chainPem);
  await fs.writeFile(f('client-key.pem'), pki.client.keyPem, { mode: 0o600 });
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** A plain node mTLS server (a real TLS peer) that the test can stop and start on the same port. */
async function mtlsServer(server: Credential = pki.server) {
  const srv = tls.createServer({ cert: server.chainPem, key: server.keyPem, ca: pki.root.certPem, requestCert: true, rejectUnauthorized: true }, (s) => {
    // Keeps the connection open: the client closes once it has its verdict.
    s.on('error', () => undefined);
  });
  srv.on('tlsClientError', () => undefined);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  return { srv, port };
}

const probeTo = (port: number) => ({
  host: '127.0.0.1',
  port,
  servername: 'localhost',
  protocol: 'tls' as const,
  secureContext: { context: clientContext, withClientCert: true },
});

describe('the prober', () => {
  it('measures an injected ~300 ms outage within 50 ms of the truth, at the default 20/s', async () => {
    for (let round = 0; round < 3; round++) {
      const { srv, port } = await mtlsServer();
      const p = new RotationProber({ probe: probeTo(port) }).start();
      await sleep(400 + round * 17); // a different phase against the 50 ms grid each round
      const down = p.now();
      await new Promise<void>((r) => srv.close(() => r()));
      await sleep(300);
      await new Promise<void>((r) => srv.listen(port, '127.0.0.1', r));
      const up = p.now();
      await sleep(400);
      const r = await p.stop();
      srv.close();
      const a = analyzeTimeline(r);
      expect(a.outages, JSON.stringify(a.outages)).toHaveLength(1);
      const o = a.outages[0]!;
      const truth = up - down;
      expect(Math.abs(o.gapMs - truth), `estimated ${o.gapMs} ms, truth ${truth} ms`).toBeLessThanOrEqual(50);
      expect(o.boundsMs[0]).toBeLessThanOrEqual(truth);
      expect(o.boundsMs[1]).toBeGreaterThanOrEqual(truth);
      // Refused while nothing listens; a connection already in the closing listener's accept queue is
      // reset instead (seen under load): both are the injected outage, nothing else is.
      expect(
        Object.keys(o.kinds).every((k) => k === 'refused' || k === 'reset'),
        JSON.stringify(o.kinds),
      ).toBe(true);
      expect(o.kinds.refused ?? 0, JSON.stringify(o.kinds)).toBeGreaterThan(0);
      expect(r.rate.target).toBe(20);
      expect(r.rate.shortfallPct).toBe(0);
      expect(r.attempts.every((x) => x.ok || x.failure === 'refused' || x.failure === 'reset')).toBe(true);
    }
  });

  it('keeps its rate on a fixed grid, one fresh full handshake per attempt, and stops by itself', async () => {
    const { srv, port } = await mtlsServer();
    let handshakes = 0;
    let resumed = 0;
    srv.on('secureConnection', (s: tls.TLSSocket) => {
      handshakes++;
      if (s.isSessionReused()) resumed++;
    });
    const r = await runProber({ probe: probeTo(port), rate: 50, durationMs: 1000 });
    srv.close();
    expect(r.slots).toBe(50);
    expect(r.launched).toBe(50);
    expect(r.attempts.every((x) => x.ok)).toBe(true);
    expect(handshakes).toBe(50);
    expect(resumed).toBe(0);
    // Launch times sit on the 20 ms grid (never drifting), each within a few ms of its slot.
    for (const x of r.attempts) expect(x.t - x.seq * 20).toBeLessThan(15);
    expect(r.certificates).toHaveLength(1);
    expect(r.certificates[0]!.fingerprintSha256).toBe(new X509Certificate(pki.server.certPem).fingerprint256);
  });

  it('its own overload is a shortfall, never a target failure', async () => {
    const { srv, port } = await mtlsServer();
    // One attempt in flight at 1000/s: most slots find it busy.
    const r = await runProber({ probe: probeTo(port), rate: 1000, maxInFlight: 1, durationMs: 500 });
    srv.close();
    expect(r.missed.inFlightFull).toBeGreaterThan(0);
    expect(r.rate.shortfallPct).toBeGreaterThan(10);
    expect(r.rate.achieved).toBeLessThan(1000);
    expect(r.attempts.filter((x) => !x.ok)).toEqual([]);
    expect(analyzeTimeline(r).failures).toBe(0);
  });
});

describe('live targets', () => {
  let ref: StartedProcessReference;
  let next: Credential;
  beforeAll(async () => {
    // A node reference process that reloads its files on SIGHUP, addressed as a live target.
    ref = (await startReference({ implementation: 'node', profile: 'rotation-graceful', pki })) as StartedProcessReference;
    next = await reissue(pki.server);
    await fs.writeFile(f('next-chain.pem'), next.chainPem);
    await fs.writeFile(f('next-key.pem'), next.keyPem, { mode: 0o600 });
  });
  afterAll(async () => {
    await ref?.stop();
  });
  const live = () => [
    'run',
    '--target',
    `127.0.0.1:${ref.endpoint.port}`,
    '--servername',
    'localhost',
    '--ca',
    f('ca.pem'),
    '--cert',
    f('client.pem'),
    '--key',
    f('client-key.pem'),
    '--suite',
    'rotation-continuity',
  ];

  it('rotation.command: probing before, during and after a command that rotates the target', async () => {
    // The user's command: install the new files atomically, then reload (as a deploy script would).
    const cmd = `cp ${f('next-chain.pem')} ${ref.dir}/.n && mv ${ref.dir}/.n ${ref.dir}/${PKI_FILES.chain} && cp ${f('next-key.pem')} ${ref.dir}/.k && mv ${ref.dir}/.k ${ref.dir}/${PKI_FILES.key} && kill -HUP ${ref.pid} && echo rotated`;
    const out = f('live-command.json');
    const r = await run([...live(), '--rotation-command', cmd, '--json', out, '--junit', f('live-command.xml')]);
    const got = await results(out);
    expect(got['rotation.continuity']!.status, got['rotation.continuity']!.message).toBe('pass');
    expect(got['rotation.new-cert-served']!.status, got['rotation.new-cert-served']!.message).toBe('pass');
    expect(got['rotation.ca-overlap']!.status).toBe('skip');
    expect(got['rotation.ca-overlap']!.message).toMatch(/overlap-cert/);
    const ev = got['rotation.continuity']!.evidence;
    expect(ev.trigger).toMatchObject({ kind: 'command', exitCode: 0, stdoutTail: 'rotated' });
    expect(ev.fingerprintAfter).toBe(new X509Certificate(next.certPem).fingerprint256);
    // Before (2 s), during, after (5 s) at 20/s.
    expect(ev.attempts).toBeGreaterThanOrEqual(130);
    expect(ev.timeline.marks.map((m: { label: string }) => m.label)).toEqual(['rotation triggered', 'command started', 'command exited (0)']);
    expect(ev.timeline.attempts[0]).toEqual(expect.objectContaining({ seq: 0, ok: true, outcome: 'accepted', httpStatus: 200, leaf: 0 }));
    // JUnit carries the summary and outages, and points to the JSON for the timeline.
    const xml = await fs.readFile(f('live-command.xml'), 'utf8');
    expect(xml).toMatch(/name="rotation\.continuity\.evidence\.timeline" value="\d+ attempts: the full timeline is in the JSON report"/);
    expect(xml).toMatch(/name="rotation\.continuity\.evidence\.summary" value="\d+ attempts, 0 failed/);
    expect(xml).not.toContain('PRIVATE KEY');
    // The terminal's one-line summary.
    expect(r.stdout).toMatch(
      /^rotation 127\.0\.0\.1:\d+: \d+ attempts, 0 failed, longest gap 0 ms, leaf [0-9A-F:]+… → [0-9A-F:]+…, 20\/s achieved \(target 20\/s\)$/m,
    );
    expect(r.code).toBe(0);
  }, 30_000);

  it('a failing rotation command is an error with its exit status and output, the timeline still reported', async () => {
    // From a config file this time, with short windows around the command.
    const out = f('live-fail.json');
    await fs.writeFile(
      f('fail.yaml'),
      [
        'targets:',
        `  - endpoint: 127.0.0.1:${ref.endpoint.port}`,
        '    servername: localhost',
        '    ca: ca.pem',
        '    cert: client.pem',
        '    key: client-key.pem',
        '    rotation:',
        '      command: echo "no such deployment" >&2; exit 3',
        '      before: 500ms',
        '      after: 500ms',
        '      rate: 50',
        '',
      ].join('\n'),
    );
    const r = await run(['run', '--config', f('fail.yaml'), '--suite', 'rotation-continuity', '--json', out]);
    const got = await results(out);
    expect(got['rotation.continuity']!.status).toBe('error');
    expect(got['rotation.continuity']!.message).toMatch(/the rotation command failed \(exit 3\)/);
    expect(got['rotation.continuity']!.evidence.trigger).toMatchObject({ exitCode: 3, stderrTail: 'no such deployment' });
    expect(got['rotation.continuity']!.evidence.timeline.attempts.length).toBeGreaterThanOrEqual(50);
    expect(got['rotation.continuity']!.evidence.rate.target).toBe(50);
    // The rotation never happened: there is no new certificate to judge, which is not a server's failure.
    expect(got['rotation.new-cert-served']!.status).toBe('error');
    expect(got['rotation.new-cert-served']!.message).toMatch(
      /the rotation did not complete, so there is no new certificate to judge: the rotation command failed \(exit 3\)/,
    );
    expect(r.code).toBe(1);
  }, 30_000);

  it('a rotation command past --rotation-timeout is stopped at the limit with its whole process group (a child holding its output too)', async () => {
    // The command forks a long sleeper that keeps the command's stdout open, then itself runs past the limit.
    const pidFile = f('sleeper-timeout.pid');
    const out = f('live-timeout.json');
    const yaml = (cmd: string, name: string) =>
      fs.writeFile(
        f(name),
        [
          'targets:',
          `  - endpoint: 127.0.0.1:${ref.endpoint.port}`,
          '    servername: localhost',
          '    ca: ca.pem',
          '    cert: client.pem',
          '    key: client-key.pem',
          '    rotation:',
          `      command: '${cmd}'`,
          '      timeout: 2s',
          '      before: 300ms',
          '      after: 300ms',
          '',
        ].join('\n'),
      );
    await yaml(`sleep 30 & echo $! > ${pidFile}; echo started; sleep 20`, 'timeout.yaml');
    const t0 = Date.now();
    await run(['run', '--config', f('timeout.yaml'), '--check', 'rotation.continuity', '--json', out]);
    const elapsed = Date.now() - t0;
    expect(elapsed, `the run took ${elapsed} ms`).toBeLessThan(4500);
    const got = (await results(out))['rotation.continuity']!;
    expect(got.status).toBe('error');
    expect(got.message).toMatch(/timed out after 2 s/);
    expect(got.evidence.trigger).toMatchObject({ timedOut: true, limitMs: 2000, stdoutTail: 'started' });
    expect(got.evidence.trigger.durationMs).toBeGreaterThanOrEqual(1900);
    expect(got.evidence.trigger.durationMs).toBeLessThan(3500);
    const sleeper = Number((await fs.readFile(pidFile, 'utf8')).trim());
    expect(alive(sleeper), `sleeper ${sleeper} still running`).toBe(false);

    // A command that exits in time: what it left running in its group is stopped when it exits.
    const pidFile2 = f('sleeper-exit.pid');
    await yaml(`sleep 30 & echo $! > ${pidFile2}; echo started; sleep 1`, 'exit.yaml');
    const t1 = Date.now();
    await run(['run', '--config', f('exit.yaml'), '--check', 'rotation.continuity', '--json', out]);
    expect(Date.now() - t1).toBeLessThan(3500);
    const got2 = (await results(out))['rotation.continuity']!;
    expect(got2.evidence.trigger).toMatchObject({ exitCode: 0, stdoutTail: 'started' });
    expect(got2.evidence.trigger.timedOut).toBeUndefined();
    expect(alive(Number((await fs.readFile(pidFile2, 'utf8')).trim()))).toBe(false);
  }, 60_000);

  it('rotation.watch: observes only; no change seen means new-cert-served is skip', async () => {
    const out = f('live-watch.json');
    const r = await run([...live(), '--rotation-watch', '1s', '--json', out]);
    const got = await results(out);
    expect(got['rotation.continuity']!.status).toBe('pass');
    expect(got['rotation.continuity']!.evidence.attempts).toBe(20);
    expect(got['rotation.new-cert-served']!.status).toBe('skip');
    expect(got['rotation.new-cert-served']!.message).toMatch(/no certificate change was seen during the watch window/);
    expect(r.code).toBe(0);
  }, 20_000);

  it('without a trigger the rotation checks skip and say how to configure one', async () => {
    const out = f('live-none.json');
    await run([...live(), '--json', out]);
    const got = await results(out);
    expect(got['rotation.continuity']!.status).toBe('skip');
    expect(got['rotation.continuity']!.message).toMatch(/--rotation-command/);
  });
});

describe('rotation.ca-overlap on a live target with two client credentials', () => {
  let ref: StartedProcessReference;
  let other: Credential;
  beforeAll(async () => {
    ref = (await startReference({ implementation: 'node', profile: 'rotation-graceful', pki })) as StartedProcessReference;
    const now = new Date();
    const newRoot = await mintCertificate({
      subject: 'CN=Second Root, O=test',
      notBefore: addDays(now, -1),
      notAfter: addDays(now, 30),
      ca: true,
      pathLength: 1,
    });
    other = await mintCertificate({
      subject: 'CN=client of the second root',
      issuer: newRoot,
      notBefore: addDays(now, -1),
      notAfter: addDays(now, 30),
      eku: ['clientAuth'],
    });
    await fs.writeFile(f('other.pem'), other.chainPem);
    await fs.writeFile(f('other-key.pem'), other.keyPem, { mode: 0o600 });
    // The server trusts only the first root for now.
    await fs.writeFile(f('new-root.pem'), newRoot.certPem);
  });
  afterAll(async () => {
    await ref?.stop();
  });
  const args = (out: string) => [
    'run',
    '--target',
    `127.0.0.1:${ref.endpoint.port}`,
    '--servername',
    'localhost',
    '--ca',
    f('ca.pem'),
    '--cert',
    f('client.pem'),
    '--key',
    f('client-key.pem'),
    '--check',
    'rotation.ca-overlap',
    '--rotation-overlap-cert',
    f('other.pem'),
    '--rotation-overlap-key',
    f('other-key.pem'),
    '--json',
    out,
  ];

  it('fails while the server trusts only the old CA, passes once it trusts both', async () => {
    let got = await results((await run(args(f('overlap-1.json'))), f('overlap-1.json')));
    expect(got['rotation.ca-overlap']!.status).toBe('fail');
    expect(got['rotation.ca-overlap']!.message).toMatch(/the other CA's client now \(at post-handshake/);
    await ref.apply({ clientCaPem: pki.root.certPem + (await fs.readFile(f('new-root.pem'), 'utf8')) }, 'graceful');
    await sleep(300);
    got = await results((await run(args(f('overlap-2.json'))), f('overlap-2.json')));
    expect(got['rotation.ca-overlap']!.status, got['rotation.ca-overlap']!.message).toBe('pass');
    expect(got['rotation.ca-overlap']!.evidence.rounds[0].otherCaClient.rejectedAt).toBe('accepted');
  });
});

describe("stunnel's SIGHUP reload", () => {
  it('refuses connections while it re-binds: the harness sees the failures (why stunnel cannot express rotation-graceful)', async (ctx) => {
    if (!findBinary('stunnel4')) {
      console.warn('SKIPPED stunnel reload: stunnel4 not installed (apt-get install stunnel4)');
      ctx.skip();
    }
    expect(stunnel.unsupported('rotation-graceful')).toMatch(/re-binds its listening socket/);
    // Started as rotation-restart (supported), then rotated with its graceful reload anyway.
    const ref = await startProcessReference(stunnel, { profile: 'rotation-restart', pki });
    try {
      const rotation: RotationConfig = {
        trigger: { kind: 'reference', mode: 'graceful' },
        rate: 400,
        maxInFlight: 32,
        beforeMs: 500,
        afterMs: 500,
        request: false,
      };
      const target: TargetUnderTest = {
        name: 'stunnel',
        host: '127.0.0.1',
        port: ref.endpoint.port,
        servername: 'localhost',
        expectedNames: [],
        protocol: 'https',
        trustPem: pki.root.certPem,
        client: { certPem: pki.client.chainPem, keyPem: pki.client.keyPem, chain: [new X509Certificate(pki.client.certPem)] },
        expect: {},
        policy: DEFAULT_POLICY,
        plaintextPorts: [],
        reference: { implementation: 'stunnel', profile: 'rotation-restart' },
        rotation,
        started: ref,
      };
      const report = await runChecks({ targets: [target], suites: [...SUITES], checkIds: ['rotation.continuity', 'rotation.new-cert-served'] });
      const [cont, served] = report.results;
      expect(cont!.status, cont!.message).toBe('fail');
      const outages = cont!.evidence.outages as { kinds: Record<string, number> }[];
      // While it re-binds, new connections are refused or reset (which one depends on the moment).
      expect(outages.flatMap((o) => Object.keys(o.kinds)).some((k) => k === 'refused' || k === 'reset')).toBe(true);
      expect(cont!.evidence.trigger).toMatchObject({ kind: 'reference', description: 'stunnel graceful reload with a new server certificate' });
      expect(served!.status, served!.message).toBe('pass');
    } finally {
      await ref.stop();
    }
  }, 30_000);
});
