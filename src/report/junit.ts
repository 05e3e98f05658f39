import { hostname } from 'node:os';
import type { Result, RunReport } from '../core/model.js';
import { declaredText, originText } from './origin.js';
import { provenanceProperties } from './junit-provenance.js';

/**
 * XML 1.0 cannot carry most control characters, even escaped: replace them, and the bidi/zero-width
 * characters that make hostile certificate text display as something else.
 */
function xmlSafe(s: string): string {
  return s.replace(/[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]|[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/gu, '?');
}

/** The schema's timestamp: ISO 8601 without a zone or fraction (UTC). */
function timestamp(iso: string): string {
  return iso.slice(0, 19);
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

/**
 * Flattens evidence into `name=value` properties (JSON for nested values). A rotation timeline
 * (thousands of attempts) stays in the JSON report; JUnit says how many attempts it holds.
 */
function evidenceProperties(r: Result): [string, string][] {
  const props: [string, string][] = [
    [`${r.check}.status`, r.status],
    [`${r.check}.message`, r.message],
  ];
  if (r.remediation) props.push([`${r.check}.remediation`, r.remediation]);
  if (r.waiver) props.push([`${r.check}.waiver`, waiverLine(r.waiver)]);
  for (const [k, v] of Object.entries(r.evidence)) {
    if (k === 'timeline' && v && typeof v === 'object' && Array.isArray((v as { attempts?: unknown }).attempts)) {
      props.push([`${r.check}.evidence.timeline`, `${(v as { attempts: unknown[] }).attempts.length} attempts: the full timeline is in the JSON report`]);
      continue;
    }
    if (v === undefined) continue; // as the JSON report: an undefined value is no value
    props.push([`${r.check}.evidence.${k}`, typeof v === 'string' ? v : JSON.stringify(v)]);
  }
  return props;
}

/** A waiver as one line: reason, owner, last day, entry. */
function waiverLine(w: NonNullable<Result['waiver']>): string {
  return `${w.reason} (owner ${w.owner}, until ${w.expires}; ${w.file} waivers[${w.index}])`;
}

/** XML text: `&`, `<` and `>` escaped (every `&`, also one that looks like an entity). */
function text(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** An attribute value: as text, and `"` too. */
function attr(s: string): string {
  return text(s).replace(/"/g, '&quot;');
}

/** `<name a="v" …` (attribute values escaped; names are ours). */
function open(name: string, attrs: Record<string, string>): string {
  let out = `<${name}`;
  for (const [k, v] of Object.entries(attrs)) out += ` ${k}="${attr(v)}"`;
  return out;
}

/**
 * How a warned check is rendered (`--junit-warn-as`, docs/reports.md): `output` (default) a passed
 * testcase carrying its own `<properties>` (status=warn) and `<system-out>` (the warning and its fix);
 * `failure` a `<failure type="warn">` (GitLab and Jenkins show a failing testcase's text; counted in
 * `failures`); `suite` a plain passed testcase (the warning only in the testsuite's system-out and
 * properties, as before issue 21: the strict Ant schema allows nothing inside a passed testcase).
 */
export const JUNIT_WARN_AS = ['output', 'failure', 'suite'] as const;
export type JunitWarnAs = (typeof JUNIT_WARN_AS)[number];

export interface JunitOptions {
  warnAs?: JunitWarnAs;
}

/**
 * JUnit XML valid against the Apache Ant schema (shared/external/junit/JUnit.xsd): one testsuite per
 * (target, suite), named by the target's id (`targetId`: two targets at one address stay two
 * testsuites; the id is the target's name unless an earlier target has it, and then a `targetId`
 * property joins `target`), one testcase per check; fail → failure, error → error, skip → skipped, warn
 * as `opts.warnAs` says; the evidence of each check as testsuite properties. A warned testcase's own
 * properties and system-out (`output`, the default) are beyond the Ant schema: the report is then valid
 * against fixtures/junit/JUnit-testcase-output.xsd (Ant's, with them allowed in a testcase).
 * Written as text, line by line, with every attribute and text node escaped (the layout
 * xmlbuilder2's pretty printer gave): a DOM of a 3,000-target run held ~500 MB for 36 MB of XML.
 */
export function buildJunitXml(run: RunReport, opts: JunitOptions = {}): string {
  let out = '';
  for (const chunk of junitChunks(run, opts)) out += chunk;
  return out;
}

/**
 * The text of `buildJunitXml(run)`, byte for byte, one testsuite (one target's suite) at a time:
 * the report is written as it is generated, never held whole.
 */
export function* junitChunks(run: RunReport, opts: JunitOptions = {}): Generator<string> {
  const warnAs = opts.warnAs ?? 'output';
  const host = hostname() || 'localhost';
  const groups = new Map<string, Result[]>();
  for (const r of run.results) {
    const key = `${r.targetId}\u0000${r.suite}`;
    const list = groups.get(key);
    if (list) list.push(r);
    else groups.set(key, [r]);
  }
  yield '<?xml version="1.0" encoding="UTF-8"?>\n';
  if (groups.size === 0) {
    yield '<testsuites/>\n';
    return;
  }
  yield '<testsuites>\n';
  const appProtocols = new Map(run.targets.map((t) => [t.id, t.appProtocol]));
  const origins = new Map(run.targets.map((t) => [t.id, t.origin]));
  let id = 0;
  for (const results of groups.values()) {
    const out: string[] = [];
    const leaf = (indent: string, name: string, attrs: Record<string, string>, body = '') =>
      out.push(body ? `${indent}${open(name, attrs)}>${text(body)}</${name}>` : `${indent}${open(name, attrs)}/>`);
    const { targetId, target, suite } = results[0]!;
    // A waived fail or error is a passing testcase (it does not fail the run); its property and system-out say so.
    const count = (s: Result['status']) => results.filter((r) => r.status === s && !r.waiver).length;
    out.push(
      `  ${open('testsuite', {
        name: xmlSafe(`${targetId} ${suite}`),
        package: xmlSafe(`mtls-harness.${suite}`),
        id: String(id++),
        timestamp: timestamp(run.startedAt),
        hostname: xmlSafe(host),
        tests: String(results.length),
        failures: String(count('fail') + (warnAs === 'failure' ? count('warn') : 0)),
        errors: String(count('error')),
        skipped: String(count('skip')),
        time: seconds(results.reduce((a, r) => Math.max(a, r.durationMs), 0)),
      })}>`,
    );
    out.push('    <properties>');
    leaf('      ', 'property', { name: 'target', value: xmlSafe(target) });
    if (targetId !== target) leaf('      ', 'property', { name: 'targetId', value: xmlSafe(targetId) });
    leaf('      ', 'property', { name: 'suite', value: suite });
    const app = appProtocols.get(targetId);
    if (app) leaf('      ', 'property', { name: 'protocol', value: xmlSafe(app.detected ? `${app.name} (${app.detected})` : app.name) });
    const origin = origins.get(targetId);
    if (origin) {
      leaf('      ', 'property', { name: 'origin', value: xmlSafe(originText(origin)) });
      if (origin.declared) leaf('      ', 'property', { name: 'origin.declared', value: xmlSafe(declaredText(origin)) });
    }
    if (run.incomplete)
      leaf('      ', 'property', {
        name: 'incomplete',
        value: xmlSafe(`${run.incomplete.reason}; ${run.incomplete.targetsFinished} of ${run.incomplete.targetsTotal} target(s) finished`),
      });
    for (const [name, value] of provenanceProperties(run, targetId)) leaf('      ', 'property', { name, value: xmlSafe(value) });
    for (const r of results) for (const [name, value] of evidenceProperties(r)) leaf('      ', 'property', { name: xmlSafe(name), value: xmlSafe(value) });
    out.push('    </properties>');
    for (const r of results) {
      const tc = { name: r.check, classname: xmlSafe(`${targetId}.${suite}`), time: seconds(r.durationMs) };
      const body = xmlSafe([r.message, r.remediation ? `Fix: ${r.remediation}` : ''].filter(Boolean).join('\n'));
      const warned = r.status === 'warn' && warnAs !== 'suite';
      // A waived fail or error is a passing testcase; a waived warning keeps its output, never a failure.
      if ((r.status !== 'fail' && r.status !== 'error' && r.status !== 'skip' && !warned) || (r.waiver && r.status !== 'warn')) {
        leaf('    ', 'testcase', tc);
        continue;
      }
      out.push(`    ${open('testcase', tc)}>`);
      if (r.status === 'warn' && warnAs === 'failure' && !r.waiver) leaf('      ', 'failure', { message: xmlSafe(r.message), type: 'warn' }, body);
      else if (r.status === 'warn') {
        out.push('      <properties>');
        leaf('        ', 'property', { name: 'status', value: 'warn' });
        out.push('      </properties>');
        leaf('      ', 'system-out', {}, `WARN ${body}`);
      } else if (r.status === 'skip') leaf('      ', 'skipped', { message: xmlSafe(r.message) });
      else leaf('      ', r.status === 'fail' ? 'failure' : 'error', { message: xmlSafe(r.message), type: r.status }, body);
      out.push('    </testcase>');
    }
    const warns = results.filter((r) => r.status === 'warn');
    const waived = results.filter((r) => r.waiver).map((r) => `WAIVED ${r.status.toUpperCase()} ${r.check}: ${r.message}\n  waiver: ${waiverLine(r.waiver!)}`);
    leaf('    ', 'system-out', {}, xmlSafe([...warns.map((r) => `WARN ${r.check}: ${r.message}`), ...waived].join('\n')));
    leaf('    ', 'system-err', {});
    out.push('  </testsuite>');
    yield out.join('\n') + '\n';
  }
  yield '</testsuites>\n';
}
