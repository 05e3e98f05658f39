// serve's metrics from a fixed report (every status, hostile text in names, subjects and endpoints)
// read back through a strict parser of the text exposition format, and its schedule with a pinned
// clock and a pinned jitter: runs never overlap, an overrun is counted, stop ends the loop.
import { describe, expect, it } from 'vitest';
import { ENFORCEMENT_CHECK, enforcementValue, HANDSHAKE_CHECK, labelValue, ServeMetrics } from '../src/app/serve/metrics.js';
import { listen } from '../src/app/serve/http.js';
import { Schedule } from '../src/app/serve/schedule.js';
import { fixedRunReport, HOSTILE } from './helpers/report-model.js';
import { parsePromText, samples, value } from './helpers/prom-text.js';

describe('the exposition parser', () => {
  it('reads escapes and refuses what Prometheus would', () => {
    const f = parsePromText('# HELP a x\\ny\n# TYPE a gauge\na{l="q\\"\\\\\\n"} 1.5\n');
    expect(f.get('a')!.help).toBe('x\ny');
    expect(value(f, 'a')).toBe(1.5);
    expect(samples(f, 'a')[0]!.labels.l).toBe('q"\\\n');
    expect(() => parsePromText('# TYPE a gauge\na{l="x\\t"} 1\n')).toThrow(/bad escape/);
    expect(() => parsePromText('b 1\n')).toThrow(/no declared family/);
    expect(() => parsePromText('# TYPE a gauge\na 1\na 2\n')).toThrow(/duplicate/);
    expect(() => parsePromText('# TYPE a gauge\na one\n')).toThrow(/bad value/);
    expect(() => parsePromText('# TYPE a gauge\na{l="x} 1\n')).toThrow(/unterminated/);
  });
});

describe('serve metrics of a run', () => {
  it('one series per target and check at 1 for its status; enforcement follows the judge; bounded, printable labels', async () => {
    const report = fixedRunReport(9);
    const m = new ServeMetrics();
    m.started();
    m.completed(report);
    const { body, contentType } = await m.exposition();
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    const fams = parsePromText(body);
    // No default process metrics: only serve's own families.
    expect([...fams.keys()].every((n) => n.startsWith('mtls_'))).toBe(true);
    expect(fams.get('mtls_runs_total')!.type).toBe('counter');
    expect(value(fams, 'mtls_runs_total')).toBe(1);
    expect(value(fams, 'mtls_last_run_success')).toBe(1);
    expect(value(fams, 'mtls_run_in_progress')).toBe(0);
    expect(value(fams, 'mtls_last_run_timestamp_seconds')).toBe(Date.parse(report.finishedAt) / 1000);
    expect(samples(fams, 'mtls_check_status')).toHaveLength(report.results.length);
    for (const r of report.results) {
      const target = labelValue(r.targetId, 128);
      expect(value(fams, 'mtls_check_status', { target, check: r.check, status: r.status })).toBe(1);
      if (r.check === ENFORCEMENT_CHECK) expect(value(fams, 'mtls_client_cert_enforced', { target })).toBe(enforcementValue(r));
    }
    // Never 1 unless the judge passed it; a fail is 0, anything else unknown.
    expect(enforcementValue({ status: 'pass' })).toBe(1);
    expect(enforcementValue({ status: 'fail' })).toBe(0);
    for (const s of ['warn', 'skip', 'error'] as const) expect(enforcementValue({ status: s })).toBe(-1);
    for (const t of report.targets) {
      const target = labelValue(t.id, 128);
      const errors = report.results.filter((r) => r.targetId === t.id && r.status === 'error').length;
      expect(value(fams, 'mtls_target_check_errors', { target })).toBe(errors);
      expect(samples(fams, 'mtls_cert_not_after_seconds', { target })).toHaveLength((t.peerChain?.length ?? 0) + (t.clientChain?.length ?? 0));
      if (t.peerChain) expect(value(fams, 'mtls_cert_not_after_seconds', { target, role: 'leaf' })).toBe(Date.parse(t.peerChain[0]!.notAfter) / 1000);
      expect(value(fams, 'mtls_policy_warn_days', { target })).toBe(t.policy!.warnDays);
    }
    // Hostile text: no control character, no lone surrogate, bounded length.
    const labels = [...fams.values()].flatMap((f) => f.samples.flatMap((s) => Object.values(s.labels)));
    expect(labels.some((l) => l.includes('onerror'))).toBe(true);
    for (const l of labels) {
      expect(l).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202e]/);
      expect(l.length).toBeLessThanOrEqual(129);
      expect(Buffer.from(l, 'utf8').toString('utf8')).toBe(l);
    }
    expect(labelValue(HOSTILE, 1000)).toContain('\ufffd');
    expect(labelValue('\ud83d\ude00\ud83d\ude00', 3)).toBe('\ud83d\ude00\ufffd…');
  });

  it('a later run replaces the per-target series; a failed run is counted and keeps them', async () => {
    const m = new ServeMetrics();
    m.started();
    m.completed(fixedRunReport(9));
    const one = fixedRunReport(1);
    m.started();
    m.completed(one);
    let fams = parsePromText((await m.exposition()).body);
    expect(new Set(samples(fams, 'mtls_check_status').map((s) => s.labels.target))).toEqual(new Set([one.targets[0]!.id]));
    // A run that completes while a scrape renders: the scrape serves one run's series, the new one's.
    m.completed(fixedRunReport(9));
    const pending = m.exposition();
    m.completed(one);
    const mixed = parsePromText((await pending).body);
    expect(samples(mixed, 'mtls_check_status')).toHaveLength(one.results.length);
    expect(samples(mixed, 'mtls_target_info')).toHaveLength(1);
    m.started();
    m.failed();
    fams = parsePromText((await m.exposition()).body);
    expect(value(fams, 'mtls_run_failures_total')).toBe(1);
    expect(value(fams, 'mtls_last_run_success')).toBe(0);
    expect(samples(fams, 'mtls_check_status')).toHaveLength(one.results.length);
    expect(value(fams, 'mtls_handshake_duration_seconds', { target: one.targets[0]!.id })).toBe(
      (() => {
        const r = one.results.find((x) => x.check === HANDSHAKE_CHECK)!;
        return r.evidence.rejectedAt === 'accepted' && typeof r.evidence.durationMs === 'number' ? r.evidence.durationMs / 1000 : undefined;
      })(),
    );
  });
});

describe('serve schedule', () => {
  it('waits interval + jitter from the start of the run before; an overrun starts the next at once', () => {
    const s = new Schedule({ intervalMs: 1000, jitterMs: 500, run: async () => undefined, random: () => 0.5 });
    expect(s.nextWait(0, 200)).toBe(1050);
    expect(s.nextWait(0, 1000)).toBe(250);
    expect(s.nextWait(0, 1001)).toBeUndefined();
    expect(new Schedule({ intervalMs: 1000, jitterMs: 0, run: async () => undefined }).nextWait(0, 0)).toBe(1000);
  });

  it('never runs two at once, counts overruns, and stop aborts the run in progress', async () => {
    let clock = 0;
    let active = 0;
    let most = 0;
    let runs = 0;
    let overruns = 0;
    let aborted: string | undefined;
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => (release = r));
    const s = new Schedule({
      intervalMs: 1000,
      jitterMs: 0,
      now: () => clock,
      onOverrun: () => overruns++,
      run: async (signal) => {
        active++;
        most = Math.max(most, active);
        runs++;
        clock += 5000; // each run outlasts the interval
        if (runs === 3) {
          release();
          await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
          aborted = String((signal.reason as Error).message);
        }
        active--;
        if (runs === 2) throw new Error('a run that fails does not stop the schedule');
      },
    });
    s.start();
    await held;
    await s.stop(new Error('stopping'));
    expect(runs).toBe(3);
    expect(most).toBe(1);
    expect(overruns).toBe(2);
    expect(aborted).toBe('stopping');
  });
});

describe('serve HTTP', () => {
  it('a scrape that fails to collect is 500 with one line, the error said to onError only', async () => {
    const errors: unknown[] = [];
    const http = await listen(
      { host: '127.0.0.1', port: 0 },
      {
        metrics: async () => {
          throw new Error('secret detail /etc/key.pem');
        },
        report: () => undefined,
        onError: (e) => errors.push(e),
      },
    );
    try {
      const r = await fetch(`${http.url}/metrics`);
      expect(r.status).toBe(500);
      expect(await r.text()).toBe('the metrics could not be collected\n');
      expect(errors).toHaveLength(1);
      const report = await fetch(`${http.url}/report`);
      expect(report.status).toBe(503);
      expect(report.headers.get('retry-after')).toBe('5');
    } finally {
      await http.close();
    }
  });
});
