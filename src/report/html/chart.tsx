/**
 * The rotation timeline as an inline SVG chart: latency of every handshake attempt over time,
 * failures marked (× at their latency and a tick in the failure lane), outages shaded, the served
 * leaf's change and the trigger's marks as vertical lines. Shapes, not colours, tell successes of
 * the old leaf (●), of the new leaf (■) and failures (×) apart, so the chart survives greyscale.
 */

interface ChartAttempt {
  t: number;
  latencyMs: number;
  ok: boolean;
  leaf?: number;
  outcome?: string;
}

export interface ChartData {
  durationMs: number;
  attempts: ChartAttempt[];
  marks: { t: number; label: string }[];
  leaves: { fingerprintSha256: string; firstT: number; lastT: number; count: number }[];
  outages: { firstFailT: number; lastFailT: number; recoveredT?: number; failures: number; gapMs: number }[];
  changedAtT?: number;
}

const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Reads the chart's data out of rotation.continuity evidence; undefined when it is not there or malformed. */
export function chartDataOf(evidence: Record<string, unknown>): ChartData | undefined {
  const tl = evidence.timeline as { durationMs?: unknown; attempts?: unknown; marks?: unknown; certificates?: unknown } | undefined;
  if (!tl || typeof tl !== 'object' || !Array.isArray(tl.attempts) || tl.attempts.length === 0) return undefined;
  const attempts: ChartAttempt[] = [];
  for (const a of tl.attempts as Record<string, unknown>[]) {
    if (!a || !num(a.t) || !num(a.latencyMs)) continue;
    attempts.push({
      t: a.t,
      latencyMs: a.latencyMs,
      ok: a.ok === true,
      ...(num(a.leaf) ? { leaf: a.leaf } : {}),
      ...(typeof a.outcome === 'string' ? { outcome: a.outcome } : {}),
    });
  }
  if (attempts.length === 0) return undefined;
  const marks = Array.isArray(tl.marks)
    ? (tl.marks as Record<string, unknown>[])
        .filter((m) => m && num(m.t) && typeof m.label === 'string')
        .map((m) => ({ t: m.t as number, label: m.label as string }))
    : [];
  const leaves = Array.isArray(tl.certificates)
    ? (tl.certificates as Record<string, unknown>[])
        .filter((c) => c && typeof c.fingerprintSha256 === 'string')
        .map((c) => ({
          fingerprintSha256: c.fingerprintSha256 as string,
          firstT: num(c.firstT) ? c.firstT : 0,
          lastT: num(c.lastT) ? c.lastT : 0,
          count: num(c.count) ? c.count : 0,
        }))
    : [];
  const outages = Array.isArray(evidence.outages)
    ? (evidence.outages as Record<string, unknown>[])
        .filter((o) => o && num(o.firstFailT) && num(o.lastFailT))
        .map((o) => ({
          firstFailT: o.firstFailT as number,
          lastFailT: o.lastFailT as number,
          ...(num(o.recoveredT) ? { recoveredT: o.recoveredT } : {}),
          failures: num(o.failures) ? o.failures : 0,
          gapMs: num(o.gapMs) ? o.gapMs : 0,
        }))
    : [];
  const last = attempts.reduce((m, a) => Math.max(m, a.t + a.latencyMs), 0);
  return {
    durationMs: Math.max(num(tl.durationMs) ? tl.durationMs : 0, last, 1),
    attempts,
    marks,
    leaves,
    outages,
    ...(num(evidence.changedAtT) ? { changedAtT: evidence.changedAtT } : {}),
  };
}

/** A "nice" axis step (1, 2, 5 × 10^n) giving about `target` ticks. */
function niceStep(span: number, target: number): number {
  const raw = span / target;
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

const W = 960;
const H = 320;
const L = 58; // left margin (y labels)
const R = 16;
const T = 16;
const LANE = 18; // failure lane under the plot
const B = 72; // bottom: lane + x labels + mark numbers (three rows)
const PW = W - L - R;
const PH = H - T - B;

/** Successes per horizontal pixel beyond this are thinned to the lowest and highest of each pixel. */
const MAX_POINTS = 3000;

export function thinAttempts(attempts: ChartAttempt[], xOf: (t: number) => number): ChartAttempt[] {
  if (attempts.length <= MAX_POINTS) return attempts;
  const keep: ChartAttempt[] = attempts.filter((a) => !a.ok);
  const buckets = new Map<string, { lo: ChartAttempt; hi: ChartAttempt }>();
  for (const a of attempts) {
    if (!a.ok) continue;
    const key = `${Math.round(xOf(a.t))}:${a.leaf ?? -1}`;
    const b = buckets.get(key);
    if (!b) buckets.set(key, { lo: a, hi: a });
    else {
      if (a.latencyMs < b.lo.latencyMs) b.lo = a;
      if (a.latencyMs > b.hi.latencyMs) b.hi = a;
    }
  }
  for (const { lo, hi } of buckets.values()) keep.push(lo, ...(hi !== lo ? [hi] : []));
  return keep;
}

export function RotationChart({ data, caption, id }: { data: ChartData; caption: string; id: string }) {
  const maxLatency = Math.max(...data.attempts.map((a) => a.latencyMs), 1);
  const yStep = niceStep(maxLatency, 4);
  const yMax = Math.ceil(maxLatency / yStep) * yStep;
  const xStep = niceStep(data.durationMs, 8);
  const xOf = (t: number) => L + (Math.min(Math.max(t, 0), data.durationMs) / data.durationMs) * PW;
  const yOf = (ms: number) => T + PH - (Math.min(ms, yMax) / yMax) * PH;
  const laneY = T + PH + 4;
  const xTicks: number[] = [];
  for (let x = 0; x <= data.durationMs + 1e-9; x += xStep) xTicks.push(x);
  const yTicks: number[] = [];
  for (let y = 0; y <= yMax + 1e-9; y += yStep) yTicks.push(y);
  const secs = xStep >= 1000;
  const fmtX = (t: number) => (secs ? `${+(t / 1000).toFixed(1)} s` : `${Math.round(t)} ms`);
  const points = thinAttempts(data.attempts, xOf);
  const failures = data.attempts.filter((a) => !a.ok);
  const changeX = data.changedAtT !== undefined ? xOf(data.changedAtT) : undefined;
  const short = (fp: string) => `${fp.slice(0, 11)}…`;
  const titleId = `${id}-title`;
  return (
    <figure class="chart" id={id}>
      <svg
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-labelledby={titleId}
        xmlns="http://www.w3.org/2000/svg"
        font-family="system-ui, 'DejaVu Sans', sans-serif"
        font-size="11"
      >
        <title id={titleId}>{caption}</title>
        <defs>
          <pattern id={`${id}-hatch`} width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
            <rect width="6" height="6" fill="#ffebe9" />
            <line x1="0" y1="0" x2="0" y2="6" stroke="#cf222e" stroke-width="1.5" />
          </pattern>
        </defs>
        {/* outages: shaded (hatched) from the first to the last failure */}
        {data.outages.map((o) => (
          <rect
            class="outage"
            x={xOf(o.firstFailT)}
            y={T}
            width={Math.max(2, xOf(o.lastFailT) - xOf(o.firstFailT))}
            height={PH + LANE}
            fill={`url(#${id}-hatch)`}
            opacity="0.55"
          >
            <title>{`outage: ${o.failures} failed attempt(s), about ${Math.round(o.gapMs)} ms`}</title>
          </rect>
        ))}
        {/* axes and grid */}
        {yTicks.map((y) => (
          <g>
            <line x1={L} x2={W - R} y1={yOf(y)} y2={yOf(y)} stroke="#d1d9e0" stroke-width="1" />
            <text x={L - 6} y={yOf(y) + 4} text-anchor="end" fill="#59636e">{`${+y.toFixed(1)} ms`}</text>
          </g>
        ))}
        {xTicks.map((x) => (
          <g>
            <line x1={xOf(x)} x2={xOf(x)} y1={T + PH} y2={T + PH + LANE + 4} stroke="#59636e" stroke-width="1" />
            <text x={xOf(x)} y={T + PH + LANE + 16} text-anchor="middle" fill="#59636e">
              {fmtX(x)}
            </text>
          </g>
        ))}
        <line x1={L} x2={W - R} y1={T + PH} y2={T + PH} stroke="#1f2328" stroke-width="1" />
        <line x1={L} x2={L} y1={T} y2={T + PH} stroke="#1f2328" stroke-width="1" />
        <text x={14} y={T + PH / 2} transform={`rotate(-90 14 ${T + PH / 2})`} text-anchor="middle" fill="#1f2328">
          latency
        </text>
        <text x={L - 6} y={laneY + 11} text-anchor="end" fill="#cf222e">
          failed
        </text>
        {/* the served leaf changed */}
        {changeX !== undefined ? (
          <g class="leaf-change">
            <line x1={changeX} x2={changeX} y1={T} y2={T + PH + LANE} stroke="#1f2328" stroke-width="1.5" stroke-dasharray="6 3" />
            <text x={Math.min(changeX + 4, W - R - 150)} y={T + 11} fill="#1f2328">
              new leaf served
            </text>
          </g>
        ) : null}
        {/* trigger marks, numbered (the legend below names them) */}
        {data.marks.map((m, i) => (
          <g class="mark">
            <line x1={xOf(m.t)} x2={xOf(m.t)} y1={T} y2={T + PH} stroke="#0969da" stroke-width="1" stroke-dasharray="2 3" />
            <text x={xOf(m.t)} y={H - 4 - (i % 3) * 11} text-anchor="middle" fill="#0969da">
              {String(i + 1)}
            </text>
          </g>
        ))}
        {/* successful attempts: ● first leaf, ■ later leaves */}
        {points
          .filter((a) => a.ok)
          .map((a) =>
            (a.leaf ?? 0) === 0 ? (
              <circle class="ok" cx={xOf(a.t)} cy={yOf(a.latencyMs)} r="2.2" fill="#1a7f37" />
            ) : (
              <rect class="ok" x={xOf(a.t) - 2.2} y={yOf(a.latencyMs) - 2.2} width="4.4" height="4.4" fill="#0550ae" />
            ),
          )}
        {/* failed attempts: × at their latency, and a tick in the failure lane */}
        {failures.map((a) => {
          const x = xOf(a.t);
          const y = yOf(a.latencyMs);
          return (
            <g class="fail-mark">
              <path d={`M${x - 3.5} ${y - 3.5}L${x + 3.5} ${y + 3.5}M${x - 3.5} ${y + 3.5}L${x + 3.5} ${y - 3.5}`} stroke="#cf222e" stroke-width="1.8" />
              <line x1={x} x2={x} y1={laneY} y2={laneY + LANE - 6} stroke="#cf222e" stroke-width="1.5" />
            </g>
          );
        })}
      </svg>
      <figcaption>
        <div>{caption}</div>
        <div>
          ● successful handshake, first leaf{data.leaves[0] ? ` (${short(data.leaves[0].fingerprintSha256)})` : ''} · ■ successful handshake, new leaf
          {data.leaves[1] ? ` (${short(data.leaves[1].fingerprintSha256)})` : ''} · × failed attempt · hatched: outage · dashed line: the new leaf is first
          served
        </div>
        {data.marks.length > 0 ? (
          <ol class="marks">
            {data.marks.map((m) => (
              <li>
                <span class="mono">{`${Math.round(m.t)} ms`}</span> {m.label}
              </li>
            ))}
          </ol>
        ) : null}
      </figcaption>
    </figure>
  );
}
