/**
 * `serve`'s Prometheus metrics (docs/serve.md "Metrics"): one prom-client Registry of its own (no
 * default process metrics), filled from each completed run's report. Per-target gauges are reset
 * and set anew, synchronously, when a run completes: a scrape sees one run's values, never a mix,
 * and a target or check that left the configuration leaves the exposition. Label values come from
 * the configuration, servers and certificates: printable (safeText) and bounded in length.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import type { CertSummary, Result, RunReport } from '../../core/model.js';
import { safeText } from '../../core/text.js';

/** The check whose verdict `mtls_client_cert_enforced` and `mtls_rejected_at` follow. */
export const ENFORCEMENT_CHECK = 'reject.no-client-cert';
/** The check whose evidence gives `mtls_handshake_duration_seconds`. */
export const HANDSHAKE_CHECK = 'handshake.accepts-valid-client-cert';

/** Label lengths: a target id, a certificate subject, a serial number, anything else. */
const MAX = { target: 128, subject: 128, serial: 64, other: 64 } as const;

/** A half of a surrogate pair alone (hostile text, or a cut): not UTF-8, replaced. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** A label value: unprintable characters replaced, at most `max` characters (and `…`), valid UTF-8. */
export function labelValue(s: string, max: number = MAX.other): string {
  return safeText(s, max).replace(LONE_SURROGATE, '\ufffd');
}

/**
 * `mtls_client_cert_enforced` of a verdict of reject.no-client-cert: 1 only for a pass (the judge
 * passes a refusal only while the valid client was accepted: the control), 0 for a fail (a
 * cert-less client was served, or refused only at the HTTP layer when the policy requires TLS),
 * -1 for anything else (inconclusive, unreachable, skipped): unknown, never 1.
 */
export function enforcementValue(r: Pick<Result, 'status'>): 1 | 0 | -1 {
  return r.status === 'pass' ? 1 : r.status === 'fail' ? 0 : -1;
}

export class ServeMetrics {
  /** The run's own metrics: small, rendered on each scrape. */
  readonly registry = new Registry();
  /**
   * The per-target metrics (every labelled gauge): they change only when a run completes, so their
   * text is rendered once then, between runs, and served from memory (1,000 targets × every check:
   * ~76,000 series, ~8 MB, seconds of CPU to render).
   */
  readonly targetRegistry = new Registry();
  private targetText: string | undefined;
  /** Bumped by every completed run: a rendering it overlapped is thrown away, never served. */
  private generation = 0;
  private readonly g = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
    new Gauge<L>({ name, help, labelNames, registers: [labelNames.length > 0 ? this.targetRegistry : this.registry] });
  private readonly c = (name: string, help: string) => new Counter({ name, help, registers: [this.registry] });

  readonly targetInfo = this.g('mtls_target_info', 'A configured target of the last completed run (always 1): its id, name, endpoint and kind', [
    'target',
    'name',
    'endpoint',
    'kind',
  ]);
  readonly checkStatus = this.g('mtls_check_status', "1 for each check's status in the last completed run (one series per target and check)", [
    'target',
    'check',
    'status',
  ]);
  readonly enforced = this.g(
    'mtls_client_cert_enforced',
    'reject.no-client-cert: 1 a cert-less client was refused while the valid client was accepted, 0 not enforced, -1 unknown (inconclusive, unreachable, skipped)',
    ['target'],
  );
  readonly rejectedAt = this.g(
    'mtls_rejected_at',
    "1 for where the cert-less client's connection ended, as the evidence records it: handshake, post-handshake, application, accepted, unreachable",
    ['target', 'phase'],
  );
  readonly notAfter = this.g(
    'mtls_cert_not_after_seconds',
    "A certificate's notAfter (Unix seconds): role leaf or chain (the server's), client (the harness's)",
    ['target', 'role', 'subject', 'serial'],
  );
  readonly warnDays = this.g('mtls_policy_warn_days', "The target's policy warnDays (expiry under it: warn)", ['target']);
  readonly failDays = this.g('mtls_policy_fail_days', "The target's policy failDays (expiry under it: fail)", ['target']);
  readonly handshake = this.g(
    'mtls_handshake_duration_seconds',
    "The valid client's accepted connection (connect, TLS handshake and the protocol's one exchange) in the last completed run",
    ['target'],
  );
  readonly targetErrors = this.g('mtls_target_check_errors', 'Checks of the target that ended in error in the last completed run', ['target']);
  readonly lastRunTime = this.g('mtls_last_run_timestamp_seconds', 'When the last completed run finished (Unix seconds)');
  readonly lastRunDuration = this.g('mtls_last_run_duration_seconds', 'How long the last completed run took');
  readonly lastRunSuccess = this.g('mtls_last_run_success', '1 when the last run completed, 0 when it failed to (the other metrics then hold the run before)');
  readonly inProgress = this.g('mtls_run_in_progress', '1 while a run is in progress');
  readonly startTime = this.g('mtls_serve_start_time_seconds', 'When serve started (Unix seconds)');
  readonly runs = this.c('mtls_runs_total', 'Runs started');
  readonly runFailures = this.c(
    'mtls_run_failures_total',
    'Runs that failed to complete (configuration no longer valid, a reference server not started, an internal error)',
  );
  readonly scrapeErrors = this.c('mtls_scrape_errors_total', 'Scrapes of /metrics that failed to collect (answered 500)');
  readonly overruns = this.c('mtls_run_overruns_total', 'Runs that outlasted the interval: the next run was delayed (runs never overlap)');

  constructor(now: Date = new Date()) {
    this.startTime.set(now.getTime() / 1000);
    this.lastRunSuccess.set(0);
    this.inProgress.set(0);
  }

  /** A run started. */
  started(): void {
    this.runs.inc();
    this.inProgress.set(1);
  }

  /** A run failed to complete: counted; the per-target metrics keep the last completed run's values. */
  failed(): void {
    this.runFailures.inc();
    this.lastRunSuccess.set(0);
    this.inProgress.set(0);
  }

  /** A completed run: every per-target metric replaced by this run's values, in one synchronous step. */
  completed(report: RunReport): void {
    this.targetText = undefined;
    this.generation++;
    this.targetRegistry.resetMetrics();
    for (const t of report.targets) {
      const target = labelValue(t.id, MAX.target);
      this.targetInfo.set({ target, name: labelValue(t.name, MAX.target), endpoint: labelValue(t.endpoint, MAX.target), kind: t.kind }, 1);
      if (t.policy) {
        this.warnDays.set({ target }, t.policy.warnDays);
        this.failDays.set({ target }, t.policy.failDays);
      }
      this.targetErrors.set({ target }, 0);
      const certs: [CertSummary, string][] = [
        ...(t.peerChain ?? []).map((c, i): [CertSummary, string] => [c, i === 0 ? 'leaf' : 'chain']),
        ...(t.clientChain ?? []).map((c): [CertSummary, string] => [c, 'client']),
      ];
      for (const [cert, role] of certs) this.setNotAfter(target, role, cert);
    }
    for (const r of report.results) this.result(r);
    this.lastRunTime.set(Date.parse(report.finishedAt) / 1000);
    this.lastRunDuration.set(report.durationMs / 1000);
    this.lastRunSuccess.set(1);
    this.inProgress.set(0);
  }

  private setNotAfter(target: string, role: string, cert: CertSummary): void {
    const seconds = Date.parse(cert.notAfter) / 1000;
    if (!Number.isFinite(seconds)) return;
    this.notAfter.set({ target, role, subject: labelValue(cert.subject, MAX.subject), serial: labelValue(cert.serialNumber, MAX.serial) }, seconds);
  }

  private result(r: Result): void {
    const target = labelValue(r.targetId, MAX.target);
    this.checkStatus.set({ target, check: labelValue(r.check), status: r.status }, 1);
    if (r.status === 'error') this.targetErrors.inc({ target });
    if (r.check === ENFORCEMENT_CHECK) {
      this.enforced.set({ target }, enforcementValue(r));
      const phase = r.evidence.rejectedAt;
      if (typeof phase === 'string') this.rejectedAt.set({ target, phase: labelValue(phase, 32) }, 1);
    }
    if (r.check === HANDSHAKE_CHECK && r.evidence.rejectedAt === 'accepted' && typeof r.evidence.durationMs === 'number')
      this.handshake.set({ target }, r.evidence.durationMs / 1000);
  }

  /** A run stopped before it completed (serve is stopping): nothing of it is published. */
  abandoned(): void {
    this.inProgress.set(0);
  }

  /** A run outlasted the interval. */
  overrun(): void {
    this.overruns.inc();
  }

  /** The text exposition of every metric, and its content type; the per-target part rendered once per completed run. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    const targets = await this.targetsText();
    return { contentType: this.registry.contentType, body: (await this.registry.metrics()) + targets };
  }

  /** The per-target text of one run (rendered again when a run completed while it was rendered). */
  private async targetsText(): Promise<string> {
    for (;;) {
      if (this.targetText !== undefined) return this.targetText;
      const generation = this.generation;
      const text = await this.targetRegistry.metrics();
      if (generation === this.generation) return (this.targetText = text);
    }
  }
}
