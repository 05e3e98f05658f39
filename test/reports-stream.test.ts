// Issue 16 (hardening), "stream what can be streamed": every report is written to its file as it is
// generated, never held whole. These tests prove the bytes did not change: the reports of a fixed,
// realistic run (test/helpers/report-model.ts), streamed to real files, are byte for byte what the
// whole-string implementation wrote before the change (their SHA-256 was taken from it, at commit
// 42a9820, with the same host name, version and time zone as here) and what the one-string
// renderers give today; the HTML embeds the JSON file written in the same run and carries its
// SHA-256. And they prove the writers keep writeFileAtomic's semantics and never hand the file
// system a piece larger than a write plus one result.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

vi.mock('node:os', async (importOriginal) => ({ ...(await importOriginal<typeof import('node:os')>()), hostname: () => 'reports-test-host' }));
vi.mock('../src/io/version.js', () => ({ toolInfo: () => ({ name: 'mtls-harness', version: '0.0.0-test' }) }));
process.env.TZ = 'Europe/Berlin';

import { buildJsonReport, reportJsonChunks, reportJsonText } from '../src/report/json.js';
import { buildJunitXml } from '../src/report/junit.js';
import {
  buildRunHtml,
  modelOfPage,
  pageOfModel,
  probeHtmlPage,
  renderHtmlReport,
  runHtmlModel,
  sha256Hex,
  streamHtmlReport,
} from '../src/report/html/index.js';
import { jsonReportText, makeDocument, runDocument, writeReports } from '../src/report/outputs.js';
import { resolveReports } from '../src/report/reporters/index.js';
import { WRITE_SIZE, writeFileAtomicStreamed, type ReportSink } from '../src/report/sink.js';
import { diagnoseEndpoint } from '../src/probe/diagnose.js';
import { mintFixturePki } from '../src/pki/generate.js';
import { NodeReference } from '../src/targets/reference/node.js';
import type { RunReport } from '../src/core/model.js';
import { DEFAULT_POLICY } from '../src/core/target.js';
import { ARGV_HOSTILE, emptyRunReport, fixedAuditReport, fixedRunReport, FIXED_ARGV, HOSTILE } from './helpers/report-model.js';

/**
 * SHA-256 of the reports the whole-string implementation (commit 42a9820: reportJsonText,
 * buildJunitXml and buildRunHtml, each one string) gave for these models, hostname
 * reports-test-host, version 0.0.0-test, TZ Europe/Berlin. Change them only with a deliberate
 * change of a report's layout.
 *
 * Issue 17 changed the JSON on purpose (schemaVersion 2: targets' `id`, results' `targetId`, the
 * `suites` list; docs/reports.md): `json` and `html` were taken again then, `junit` did not change.
 * The HTML changed only by the JSON it embeds and that JSON's digest: `page` is the SHA-256 of the
 * HTML with the embedded bytes and every digest blanked (`withoutJson`), the same at 42a9820 and
 * after issue 17.
 *
 * Issue 19 changed them again on purpose: the run model's catalogue gained the crafted-profiles
 * suite, the OCSP-revoked client and client-CRL checks (its JSON `suites` list and its JUnit testsuites), and
 * every HTML page gained the style of the crafted-beside-control table (the run model's page also
 * the X509-SVID §4 reference of san.server-identity); audit and empty JSON and
 * JUnit did not change.
 *
 * Issue 20 changed the run model's again: the catalogue gained the mesh suite (its two checks,
 * `skip` on every non-mesh target) in the JSON `suites` list, the JUnit testsuites and the HTML
 * matrix; audit and empty did not change.
 *
 * Issue 21 (the HTML at fleet scale) changed every HTML page on purpose (`html` and `page`; JSON
 * and JUnit did not change): a target is a <details> (open when it fails), only failures and
 * errors are blocks, the other checks compact rows, results and certificates already shown are
 * links, the summary's badges and the matrix cells are text marks, and the stylesheet grew.
 *
 * Issue 21 changed the JUnit of the run and audit models on purpose: a warned check's testcase holds
 * its own status=warn property and system-out (`--junit-warn-as output`, the default); with
 * `--junit-warn-as suite` the JUnit is the default one without those testcase blocks (at commit
 * 94d6895 of branch gate, before the other parts of issue 21 merged: the bytes before issue 21,
 * hashes fb3daecf…, 3b169c16…, d57c299e… for run, audit, empty).
 */
const BEFORE: Record<string, { json: string; junit: string; html: string; page: string }> = {
  run: {
    json: 'd60d59e463e937c70bc51e6db259ca66c18adc782716b12b42da58b5491068f9',
    junit: 'fdf181875558fccc21714e817930c3c6ec6ca19d637022cc9f3a530ca71948a7',
    html: '73e172bd316865e3fae866c8cc23e897d656ae15320fba264f489fd4c77c4236',
    page: 'cd9162526e67ff58d87eec10df938662eb765755507498e8d975876cc924c7eb',
  },
  audit: {
    json: '2b8abd0c7c3a5f4ef176afc54aadc82e67936c131beedf4718ee05a55b5372e6',
    junit: 'dfa4d7505c3d27d3ea4e8580416a1e2cfb42bfe954a97e62828d45976cd726d1',
    html: '8b6a72c3b0267eaf240524cffeb1e5ff9fe811312e96e25fa7db552ec97c3ff5',
    page: 'ff0efef15935b7e3b87ed8a24a3e7737cca547be40e260721bfd6b441ac48031',
  },
  empty: {
    json: 'a3769c6200d3c0be5931a6738a88818ca6abeb27618f76638716414a5b682133',
    junit: 'd57c299e3639972fcf7a3e0783a1fd0976458a8bb6f392a175e30a5556e64210',
    html: '37f565fed219a11c373743c4046e705c8255364ef703989c2ae5873a8bb61015',
    page: '8ea788fc7ccc65bcd192eb62dd9a0d41cfbf51cb9e26c9a3a43edea167995edf',
  },
};
/** The default JUnit with each warned testcase's own properties and system-out taken out: what `--junit-warn-as suite` writes. */
const withoutWarnBlocks = (xml: string) =>
  xml.replace(
    /(<testcase [^>]*)>\n {6}<properties>\n {8}<property name="status" value="warn"\/>\n {6}<\/properties>\n {6}<system-out>[^<]*<\/system-out>\n {4}<\/testcase>/g,
    '$1/>',
  );
/** An HTML report without the JSON it embeds and without any SHA-256 (the digest it shows). */
const withoutJson = (html: Buffer) =>
  html
    .toString('utf8')
    .replace(/href="data:application\/json;base64,[A-Za-z0-9+/=]+"/, 'href=""')
    .replace(/\b[0-9a-f]{64}\b/g, '-');
const MODELS: [name: string, run: () => RunReport][] = [
  ['run', () => fixedRunReport()],
  ['audit', fixedAuditReport],
  ['empty', emptyRunReport],
];

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const quiet = { stdout: { write: () => true }, stderr: { write: (s: string) => void errors.push(s) } };
let errors: string[] = [];
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-reports-stream-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** Writes `names` for `run` as the CLI does (one writeReports call), into `sub`; the files' bytes. */
async function writeAll(run: RunReport, names: string[], sub: string, settings: Record<string, string> = {}): Promise<Record<string, Buffer>> {
  const ext: Record<string, string> = { json: 'json', junit: 'xml', html: 'html' };
  const values: Record<string, string> = { ...settings, ...Object.fromEntries(names.map((n) => [n, path.join(dir, sub, `report.${ext[n]}`)])) };
  errors = [];
  const ok = await writeReports(resolveReports('test', { values, env: {} }), runDocument(run, FIXED_ARGV), quiet);
  expect(errors).toEqual([]);
  expect(ok).toBe(true);
  const out: Record<string, Buffer> = {};
  for (const n of names) out[n] = await fs.readFile(values[n]!);
  return out;
}

/** The JSON bytes embedded (base64) in an HTML report, and the SHA-256 it shows. */
function embedded(html: Buffer): { json: Buffer; digest: string } {
  const text = html.toString('latin1');
  const b64 = /href="data:application\/json;base64,([A-Za-z0-9+/=]+)"/.exec(text)![1]!;
  const digest = /data-digest="sha256">SHA-256 ([0-9a-f]{64})</.exec(text)![1]!;
  return { json: Buffer.from(b64, 'base64'), digest };
}

describe('reports streamed to files: the same bytes as before', () => {
  it.each(MODELS)("%s: JUnit with --junit-warn-as suite is the default without the warned testcases' own blocks", async (name, make) => {
    const suite = await writeAll(make(), ['junit'], `suite-${name}`, { 'junit-warn-as': 'suite' });
    const output = await writeAll(make(), ['junit'], `output-${name}`);
    const warned = make().results.filter((r) => r.status === 'warn').length;
    expect(output.junit!.toString().match(/<property name="status" value="warn"\/>/g)?.length ?? 0).toBe(warned);
    expect(suite.junit!.toString()).toBe(withoutWarnBlocks(output.junit!.toString()));
  });

  it.each(MODELS)('%s: JSON, JUnit and HTML files equal the whole-string output of 42a9820 (JSON: of issue 17) and of today', async (name, make) => {
    const run = make();
    const files = await writeAll(run, ['json', 'junit', 'html'], `all-${name}`);
    // The bytes the old implementation wrote.
    expect({ json: sha(files.json!), junit: sha(files.junit!), html: sha(files.html!), page: sha(withoutJson(files.html!)) }).toEqual(BEFORE[name]);
    // The one-string renderers (collected) give the same bytes as the streamed files.
    const json = jsonReportText(run, FIXED_ARGV);
    expect(files.json!.equals(Buffer.from(json))).toBe(true);
    expect(files.junit!.equals(Buffer.from(buildJunitXml(run)))).toBe(true);
    expect(files.html!.equals(Buffer.from(buildRunHtml(run, FIXED_ARGV, json)))).toBe(true);
    // The HTML embeds exactly the JSON file written in the same run, and carries its SHA-256.
    const e = embedded(files.html!);
    expect(e.json.equals(files.json!)).toBe(true);
    expect(e.digest).toBe(sha(files.json!));
  });

  it('an HTML report written without the JSON report (its digest taken by its own pass) is the same file', async () => {
    const run = fixedRunReport();
    const alone = await writeAll(run, ['html'], 'html-alone');
    expect(sha(alone.html!)).toBe(BEFORE.run!.html);
    expect(embedded(alone.html!).json.equals(Buffer.from(jsonReportText(run, FIXED_ARGV)))).toBe(true);
  });

  it('the streamed HTML is the one-string render of the same page, for any number of targets (0, 1, many) and for probe diagnoses', async () => {
    for (const n of [0, 1, 2, 23]) {
      const run = n === 0 ? emptyRunReport() : fixedRunReport(n);
      const doc = runDocument(run, FIXED_ARGV);
      const page = await doc.htmlPage();
      const streamed = [...streamHtmlReport(page)].join('');
      expect(streamed === renderHtmlReport(modelOfPage(page)), `${n} targets`).toBe(true);
      expect(streamed === renderHtmlReport(runHtmlModel(run, FIXED_ARGV, jsonReportText(run, FIXED_ARGV))), `${n} targets`).toBe(true);
      // A model already built, streamed as a page: the same document again.
      expect([...streamHtmlReport(pageOfModel(modelOfPage(page)))].join('') === streamed).toBe(true);
    }
    const pki = await mintFixturePki();
    const refs = await Promise.all(['strict', 'optional-client-cert'].map((profile) => new NodeReference({ profile: profile as 'strict', pki }).start()));
    try {
      const ds = await Promise.all(
        refs.map((r) =>
          diagnoseEndpoint({
            host: r.endpoint.host,
            port: r.endpoint.port,
            servername: 'localhost',
            ca: pki.root.certPem,
            cert: pki.client.chainPem,
            key: pki.client.keyPem,
          }),
        ),
      );
      const value = { schemaVersion: 2, kind: 'probe', argv: ['probe', ARGV_HOSTILE], diagnoses: ds };
      const timing = { startedAt: '2026-11-23T10:00:00.000Z', finishedAt: '2026-11-23T10:00:01.000Z', durationMs: 1000 };
      const doc = makeDocument(
        'probe',
        () => reportJsonChunks(value),
        async (json) => probeHtmlPage(ds, ['probe', ARGV_HOSTILE], json, timing, DEFAULT_POLICY),
      );
      const page = await doc.htmlPage();
      const streamed = [...streamHtmlReport(page)].join('');
      expect(streamed === renderHtmlReport(modelOfPage(page))).toBe(true);
      expect(streamed).toContain(`SHA-256 ${sha256Hex(reportJsonText(value))}`);
    } finally {
      await Promise.all(refs.map((r) => r.stop()));
    }
  }, 60_000);

  it('reportJsonChunks is JSON.stringify(value, null, 2) with the unsafe characters escaped, whatever the value and the depth', () => {
    const date = new Date('2026-11-23T10:00:00.000Z');
    const nullProto = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1, b: [] });
    const values: unknown[] = [
      {},
      [],
      { a: undefined, b: () => 1, c: Symbol('s') },
      [undefined, () => 1, Symbol('s'), null, NaN, -0, Infinity],
      { nested: { empty: {}, list: [[], [{}], [[[]]]], deep: { a: { b: { c: { d: { e: [1, { f: 'g' }] } } } } } } },
      { date, list: [date, { toJSON: () => ({ replaced: [1, 2] }) }, { toJSON: () => undefined }], boxed: [Object(1), Object('s'), Object(false)] },
      { nullProto, map: new Map([[1, 2]]), set: new Set([1]) },
      { text: `${HOSTILE} \u007f\u0085\u00a0\u2028\u2029\u202e\u2066\ufeff \ud83d\ude00 \udc00\ud800`, 'key \u202e\n"': 'v' },
      'a string',
      42,
      null,
      [1, 'two', { three: 3 }],
      buildJsonReport(fixedRunReport(3), FIXED_ARGV),
    ];
    for (const [i, v] of values.entries()) {
      for (const depth of [0, 1, 2, 3, 8]) expect([...reportJsonChunks(v, depth)].join(''), `value ${i}, depth ${depth}`).toBe(reportJsonText(v));
    }
  });
});

describe('the writers never hold a whole report', () => {
  it("no piece a reporter hands the file is more than one target's worth: a result (JSON), a testsuite (JUnit), a target's section (HTML)", async () => {
    const targets = 40;
    const run = fixedRunReport(targets);
    // A result or a target as the JSON report holds it (two levels deep: four more spaces a line).
    const element = (x: unknown) => Buffer.byteLength(JSON.stringify(x, null, 2).replace(/\n/g, '\n    '));
    const largestElement = Math.max(...run.results.map(element), ...run.targets.map(element));
    for (const name of ['json', 'junit', 'html']) {
      const writes: number[] = [];
      // Records what the reporter hands the sink (the pieces, before they are gathered into writes).
      const sink: ReportSink = { write: async (p) => void writes.push(Buffer.byteLength(p)) };
      const [selected] = resolveReports('test', { values: { [name]: 'x' }, env: {} });
      await selected!.reporter.write(runDocument(run, FIXED_ARGV), sink, undefined);
      const total = writes.reduce((a, b) => a + b, 0);
      expect(writes.length, name).toBeGreaterThan(targets);
      expect(Math.max(...writes), name).toBeLessThan((2 * total) / targets);
      if (name === 'json') expect(Math.max(...writes)).toBeLessThanOrEqual(largestElement * 1.05);
    }
  });

  it('a report that fails half-way leaves no temporary file and the previous report untouched', async () => {
    const file = path.join(dir, 'half', 'r.json');
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, 'previous\n');
    const failing = writeFileAtomicStreamed(file, async (out) => {
      for (let i = 0; i < 50; i++) await out.write('x'.repeat(10_000));
      throw new Error('renderer failed');
    });
    await expect(failing).rejects.toThrow('renderer failed');
    expect(await fs.readFile(file, 'utf8')).toBe('previous\n');
    expect(await fs.readdir(path.dirname(file))).toEqual(['r.json']);
  });

  it('a high surrogate at the end of a write waits for its pair: the file holds the text encoded whole', async () => {
    const file = path.join(dir, 'surrogate.txt');
    const text = `${'a'.repeat(WRITE_SIZE - 1)}\ud83d\ude00 and a lone \ud800 at the end \ud83d`;
    await writeFileAtomicStreamed(file, async (out) => {
      // Split inside the pair: the first write ends with the high surrogate.
      await out.write(text.slice(0, WRITE_SIZE));
      await out.write(text.slice(WRITE_SIZE));
    });
    expect((await fs.readFile(file)).equals(Buffer.from(text))).toBe(true);
  });

  it("writing report files turns no event loop (as writeFileAtomic's did): an interrupted run's forced exit cannot cut one half-way", async () => {
    const run = fixedRunReport(12);
    const values = { json: path.join(dir, 'loop', 'r.json'), junit: path.join(dir, 'loop', 'r.xml'), html: path.join(dir, 'loop', 'r.html') };
    // Once, so that the renderer's modules are loaded (a report's first load imports them first).
    expect(await writeReports(resolveReports('test', { values, env: {} }), runDocument(run, FIXED_ARGV), quiet)).toBe(true);
    let fired = false;
    const timer = setTimeout(() => (fired = true), 0);
    const ok = await writeReports(resolveReports('test', { values, env: {} }), runDocument(run, FIXED_ARGV), quiet);
    clearTimeout(timer);
    expect(ok).toBe(true);
    expect(fired).toBe(false);
    expect((await fs.stat(values.html)).size).toBeGreaterThan(1_000_000);
  });

  it('stdout: text in order, a refused write waits for drain', async () => {
    const run = fixedRunReport(5);
    let out = '';
    const listeners: Record<string, (() => void)[]> = {};
    let refused = 0;
    const stdout = {
      write(s: string) {
        out += s;
        // Refuse every other write: the writer must wait for 'drain' before the next.
        if (refused++ % 2 === 0) {
          setTimeout(() => listeners.drain?.splice(0).forEach((f) => f()), 1);
          return false;
        }
        return true;
      },
      once(ev: string, f: () => void) {
        (listeners[ev] ??= []).push(f);
      },
      removeListener(ev: string, f: () => void) {
        listeners[ev] = (listeners[ev] ?? []).filter((g) => g !== f);
      },
    };
    errors = [];
    const ok = await writeReports(resolveReports('test', { values: { json: '-' }, env: {} }), runDocument(run, FIXED_ARGV), { stdout, stderr: quiet.stderr });
    expect(errors).toEqual([]);
    expect(ok).toBe(true);
    expect(refused).toBeGreaterThan(1);
    expect(out).toBe(jsonReportText(run, FIXED_ARGV));
  });
});
