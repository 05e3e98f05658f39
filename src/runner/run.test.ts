import * as net from 'node:net';
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, type Suite, type TargetConfig } from './types.js';
import { runChecks, selectChecks } from './run.js';

const target: TargetConfig = { name: 't', host: '127.0.0.1', port: 9, expectedNames: [], protocol: 'https', expect: {}, policy: DEFAULT_POLICY, plaintextPorts: [] };

const suite: Suite = {
  id: 's',
  title: 'test suite',
  checks: [
    { id: 's.ok', title: 'ok', run: async () => ({ status: 'pass', message: 'fine' }) },
    { id: 's.throws', title: 'throws', run: async () => { throw new Error('boom\u001b[31m'); } },
    { id: 's.skip', title: 'skip', run: async () => ({ status: 'skip', message: 'n/a' }) },
  ],
};

describe('runChecks', () => {
  it('a throw inside a check becomes status error with its message; the others are unaffected', async () => {
    const r = await runChecks({ targets: [target], suites: [suite] });
    expect(r.results.map((x) => [x.check, x.status])).toEqual([['s.ok', 'pass'], ['s.throws', 'error'], ['s.skip', 'skip']]);
    expect(r.results[1]!.message).toBe('the harness could not evaluate this check: boom?[31m');
    expect(r.summary).toEqual({ pass: 1, warn: 0, fail: 0, skip: 1, error: 1 });
  });

  it('bounds connections with the semaphore and shares one probe between checks', async () => {
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
    const probing: Suite = { id: 'p', title: 'p', checks: [1, 2, 3].map((i) => ({ id: `p.${i}`, title: 'p', run: async (ctx) => ({ status: 'pass' as const, message: (await ctx.noCert()).rejectedAt }) })) };
    const targets = Array.from({ length: 6 }, (_, i) => ({ ...target, name: `t${i}`, port }));
    const r = await runChecks({ targets, suites: [probing], concurrency: 2, timeoutMs: 2000 });
    srv.close();
    expect(r.results).toHaveLength(18);
    expect(connections).toBe(6); // one no-cert probe per target, shared by its three checks
    expect(maxOpen).toBeLessThanOrEqual(2);
  });

  it('selects by suite and check id and rejects unknown ids', () => {
    expect(selectChecks([suite], undefined, ['s.ok']).map((c) => c.check.id)).toEqual(['s.ok']);
    expect(() => selectChecks([suite], ['nope'])).toThrow(/unknown suite "nope"; suites: s/);
    expect(() => selectChecks([suite], undefined, ['x.y'])).toThrow(/unknown check "x.y"/);
  });
});
