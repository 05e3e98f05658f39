import * as net from 'node:net';
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, type TargetConfig } from '../core/target.js';
import type { Suite } from '../checks/types.js';
import { SUITES } from '../../suites/index.js';
import { runChecks, selectChecks } from './run.js';

const target: TargetConfig = {
  name: 't',
  host: '127.0.0.1',
  port: 9,
  expectedNames: [],
  protocol: 'https',
  expect: {},
  policy: DEFAULT_POLICY,
  plaintextPorts: [],
};

const suite: Suite = {
  id: 's',
  title: 'test suite',
  kind: 'server',
  checks: [
    { id: 's.ok', title: 'ok', run: async () => ({ status: 'pass', message: 'fine' }) },
    {
      id: 's.throws',
      title: 'throws',
      run: async () => {
        throw new Error('boom\u001b[31m');
      },
    },
    { id: 's.skip', title: 'skip', run: async () => ({ status: 'skip', message: 'n/a' }) },
  ],
};

describe('runChecks', () => {
  it('a throw inside a check becomes status error with its message; the others are unaffected', async () => {
    const r = await runChecks({ targets: [target], suites: [suite] });
    expect(r.results.map((x) => [x.check, x.status])).toEqual([
      ['s.ok', 'pass'],
      ['s.throws', 'error'],
      ['s.skip', 'skip'],
    ]);
    expect(r.results[1]!.message).toBe('the harness could not evaluate this check: boom?[31m');
    expect(r.summary).toEqual({ pass: 1, warn: 0, fail: 0, skip: 1, error: 1 });
  });

  it("a target's scope: the checks outside it are skip with its reason and never run; its origin reaches the report", async () => {
    let ran = 0;
    const counting: Suite = { ...suite, checks: suite.checks.map((c) => ({ ...c, run: async (ctx) => (ran++, c.run(ctx)) })) };
    const origin = { kind: 'Service', namespace: 'ns', name: 'web', section: 'port http (80)' };
    const scoped = { ...target, scope: { checks: ['s.ok'], why: 'a plaintext port: only reject.plaintext applies' }, origin };
    const r = await runChecks({ targets: [scoped], suites: [counting] });
    expect(r.results.map((x) => [x.check, x.status, x.message])).toEqual([
      ['s.ok', 'pass', 'fine'],
      ['s.throws', 'skip', 'a plaintext port: only reject.plaintext applies'],
      ['s.skip', 'skip', 'a plaintext port: only reject.plaintext applies'],
    ]);
    expect(ran).toBe(1);
    expect(r.targets[0]!.origin).toEqual(origin);
  });

  it('bounds targets at once and connections per target, and shares one probe between checks', async () => {
    let open = 0;
    let maxOpen = 0;
    let connections = 0;
    const srv = net.createServer((s) => {
      connections++;
      open++;
      maxOpen = Math.max(maxOpen, open);
      s.on('close', () => open--);
      setTimeout(() => s.destroy(), 100);
    });
    await new Promise<void>((res) => srv.listen(0, '127.0.0.1', res));
    const port = (srv.address() as net.AddressInfo).port;
    let running = 0;
    let maxRunning = 0;
    const probing: Suite = {
      id: 'p',
      title: 'p',
      kind: 'server',
      checks: [1, 2, 3].map((i) => ({
        id: `p.${i}`,
        title: 'p',
        run: async (ctx) => {
          running++;
          maxRunning = Math.max(maxRunning, running);
          const first = await ctx.noCert();
          await new Promise((r) => setTimeout(r, 50));
          running--;
          return { status: 'pass' as const, message: first.rejectedAt };
        },
      })),
    };
    const targets = Array.from({ length: 6 }, (_, i) => ({ ...target, name: `t${i}`, port }));
    const r = await runChecks({ targets, suites: [probing], concurrency: 2, timeoutMs: 2000 });
    expect(r.results).toHaveLength(18);
    expect(connections).toBe(6); // one no-cert probe per target, shared by its three checks
    expect(maxRunning).toBe(6); // two targets in lanes at once, three checks each
    // One target, connections bounded per target: capped probes of three versions, one at a time.
    connections = 0;
    maxOpen = 0;
    const capped: Suite = {
      id: 'c',
      title: 'c',
      kind: 'server',
      checks: (['TLSv1', 'TLSv1.1', 'TLSv1.2'] as const).map((v) => ({
        id: `c.${v}`,
        title: 'c',
        run: async (ctx) => ({ status: 'pass' as const, message: (await ctx.capped(v)).rejectedAt }),
      })),
    };
    await runChecks({ targets: [{ ...target, port }], suites: [capped], connectionsPerTarget: 1, timeoutMs: 2000 });
    srv.close();
    expect(connections).toBe(4); // the gate, then the three capped hellos
    expect(maxOpen).toBe(1);
  });

  it('a target that never answers costs one timeout: its other probes are not made (the reachability gate)', async () => {
    let connections = 0;
    const sockets = new Set<net.Socket>();
    const srv = net.createServer((s) => {
      connections++;
      sockets.add(s); // accept, never speak
    });
    await new Promise<void>((res) => srv.listen(0, '127.0.0.1', res));
    const port = (srv.address() as net.AddressInfo).port;
    const probing: Suite = {
      id: 'p',
      title: 'p',
      kind: 'server',
      checks: [
        { id: 'p.nocert', title: 'p', run: async (ctx) => ({ status: 'pass' as const, message: (await ctx.noCert()).reason }) },
        { id: 'p.capped', title: 'p', run: async (ctx) => ({ status: 'pass' as const, message: (await ctx.capped('TLSv1.1')).reason }) },
        { id: 'p.plain', title: 'p', run: async (ctx) => ({ status: 'pass' as const, message: (await ctx.plaintext(port, 'http1')).reason }) },
      ],
    };
    const r = await runChecks({ targets: [{ ...target, port }], suites: [probing], timeoutMs: 400 });
    for (const s of sockets) s.destroy();
    srv.close();
    expect(connections).toBe(1); // one connection, one timeout: the capped and plaintext probes were never made
    expect(r.results[0]!.message).toMatch(/never answered the TLS ClientHello within 400 ms/);
    expect(r.results[1]!.message).toMatch(/^not attempted: the first connection to this target failed \(the peer accepted/);
    expect(r.results[2]!.message).toMatch(/^not attempted: the first connection to this target failed/);
  });

  it('a target over its budget gets error for the checks still running; the other targets are unaffected', async () => {
    const slow: Suite = {
      id: 's',
      title: 's',
      kind: 'server',
      checks: [
        { id: 's.fast', title: 'fast', run: async () => ({ status: 'pass', message: 'fine' }) },
        { id: 's.slow', title: 'slow', run: async (ctx) => (ctx.target.name === 'slow' ? new Promise(() => undefined) : { status: 'pass', message: 'fine' }) },
      ],
    };
    const r = await runChecks({
      targets: [
        { ...target, name: 'slow' },
        { ...target, name: 'quick' },
      ],
      suites: [slow],
      timeoutMs: 100,
      targetTimeoutMs: 300,
    });
    expect(r.results.map((x) => [x.target, x.check, x.status])).toEqual([
      ['slow', 's.fast', 'pass'],
      ['slow', 's.slow', 'error'],
      ['quick', 's.fast', 'pass'],
      ['quick', 's.slow', 'pass'],
    ]);
    expect(r.results[1]!.message).toMatch(/did not finish within its budget \(--target-timeout 300 ms\)/);
  });

  it('an abort ends the run at once: finished results kept, the rest error "not finished", the report marked incomplete', async () => {
    const abort = new AbortController();
    const hang: Suite = {
      id: 'h',
      title: 'h',
      kind: 'server',
      checks: [
        { id: 'h.done', title: 'done', run: async () => ({ status: 'fail', message: 'a real verdict' }) },
        {
          id: 'h.hangs',
          title: 'hangs',
          run: async (ctx) => (ctx.target.name === 'quick' ? { status: 'pass', message: 'fine' } : new Promise(() => undefined)),
        },
      ],
    };
    setTimeout(() => abort.abort(new Error('the run was interrupted (Ctrl-C)')), 200);
    const t0 = performance.now();
    // Two lanes: quick finishes, second and third hang in theirs, queued never gets one.
    const r = await runChecks({
      targets: ['quick', 'second', 'third', 'queued'].map((name) => ({ ...target, name })),
      suites: [hang],
      concurrency: 2,
      signal: abort.signal,
    });
    expect(performance.now() - t0).toBeLessThan(1500);
    expect(r.results.map((x) => [x.target, x.check, x.status])).toEqual([
      ['quick', 'h.done', 'fail'],
      ['quick', 'h.hangs', 'pass'],
      ['second', 'h.done', 'fail'],
      ['second', 'h.hangs', 'error'],
      ['third', 'h.done', 'fail'],
      ['third', 'h.hangs', 'error'],
      ['queued', 'h.done', 'error'],
      ['queued', 'h.hangs', 'error'],
    ]);
    expect(r.results[3]!.message).toBe('not finished: the run was interrupted (Ctrl-C)');
    expect(r.incomplete).toEqual({ reason: 'the run was interrupted (Ctrl-C)', targetsFinished: 1, targetsTotal: 4 });
  });

  it('selects by suite and check id and rejects unknown ids', () => {
    expect(selectChecks([suite], undefined, ['s.ok']).map((c) => c.check.id)).toEqual(['s.ok']);
    expect(() => selectChecks([suite], ['nope'])).toThrow(/unknown suite "nope"; suites: s/);
    expect(() => selectChecks([suite], undefined, ['x.y'])).toThrow(/unknown check "x.y"/);
  });

  it('selects checks by glob, and excludes with !, on the real catalogue', () => {
    const ids = (patterns: string[]) => selectChecks([...SUITES], undefined, patterns).map((c) => c.check.id);
    const chain = SUITES.flatMap((x) => x.checks.map((c) => c.id)).filter((id) => id.startsWith('chain.'));
    expect(chain.length).toBeGreaterThan(3);
    expect(ids(['chain.*'])).toEqual(chain);
    expect(ids(['chain.*', '!chain.rejects-ca-as-client'])).toEqual(chain.filter((id) => id !== 'chain.rejects-ca-as-client'));
    // Only negations: everything else.
    const all = SUITES.flatMap((x) => x.checks.map((c) => c.id));
    expect(ids(['!chain.*', '!rotation.*'])).toEqual(all.filter((id) => !id.startsWith('chain.') && !id.startsWith('rotation.')));
    // A glob and an exact id together; a negation that wins over a positive match.
    expect(ids(['*.no-client-cert', 'expiry.server-cert'])).toEqual(all.filter((id) => id.endsWith('.no-client-cert') || id === 'expiry.server-cert'));
    expect(ids(['reject.*', '!reject.*'])).toEqual([]);
    // A pattern or a negation that matches nothing is a typo: exit 2, before anything runs.
    expect(() => ids(['chian.*'])).toThrow(/check pattern "chian\.\*" matches no check/);
    expect(() => ids(['!chain.rejects-everything'])).toThrow(/unknown check "!chain\.rejects-everything"/);
    expect(() => ids(['!'])).toThrow(/unknown check "!"/);
  });
});
