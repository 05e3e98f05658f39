// The HTML evidence report opened in a real browser: Debian's Chromium driven by playwright-core
// (never a downloaded browser). Reports come from the built CLI run against real TLS servers on
// 127.0.0.1: the node reference (passing; optional-client-cert and rotation-restart failing), a
// closed port, and a hostile server whose certificates and HTTP status text carry markup and script.
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintCertificate, mintFixturePki, type Credential } from '../src/pki/generate.js';
import { summarizeCertificate } from '../src/pki/inspect.js';
import { CHROMIUM_ARGS, findChromium } from '../src/report/pdf.js';
import { findBinary, freePort } from '../src/targets/reference/process.js';
import { certsInit } from '../src/pki/layouts.js';
import { clientConformance } from '../suites/client-conformance.js';
import { offlineAudit } from '../suites/offline-audit.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cliJs = path.join(root, 'dist/src/cli/main.js');
/** Screenshots and PDFs stay after the run, beside the JUnit output of the tests. */
const OUT = path.join(root, 'reports/test-results/html-report');

function chromiumOrSkip(): string | undefined {
  try {
    return findChromium();
  } catch (e) {
    if (process.env.MTLS_REQUIRE_BROWSER) throw new Error(`MTLS_REQUIRE_BROWSER is set but Chromium is missing: ${(e as Error).message}`);
    console.warn(`SKIPPED: the HTML report browser tests need Chromium (apt-get install chromium): ${(e as Error).message}`);
    return undefined;
  }
}
const CHROMIUM = chromiumOrSkip();
const PDFTOTEXT = findBinary('pdftotext');

/** Markup and script in every place a certificate or server can put text. */
const HOSTILE = {
  caCn: '<img src=x onerror=window.__pwned=1;alert(1)>',
  caO: '</script><script>window.__pwned=2;alert(2)</script>',
  leafCn: `"><svg onload=window.__pwned=3>'`,
  dns: `<img src=x onerror="window.__pwned=4">`,
  uri: 'javascript:window.__pwned=5',
  status: `<script>window.__pwned=6;alert(6)</script><img src=x onerror='window.__pwned=7'> "quoted" & more`,
};
/** RFC 4514 string form: `=` inside a value is escaped for the minting API. */
const dn = (s: string) => s.replace(/=/g, '\\=');

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

let tmp: string;
let hostile: tls.Server;
let hostilePort: number;
let closedPort: number;
let browser: Browser;
let hostileCaSubject: string;
let hostileLeafSubject: string;
const reports: Record<'passing' | 'failing' | 'probe', { html: string; json: string; pdf?: string; run: Ran }> = {} as never;

function cli(args: string[]): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [cliJs, ...args],
      { cwd: tmp, env: { ...process.env, NO_COLOR: '1' }, timeout: 90_000, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
      },
    );
  });
}

/** A TLS server that asks for a client certificate, presents a hostile chain, and answers 403 with a hostile reason phrase. */
async function startHostileServer(): Promise<{ server: tls.Server; port: number; ca: Credential }> {
  const now = Date.now();
  const ca = await mintCertificate({
    subject: `CN=${dn(HOSTILE.caCn)}, O=${dn(HOSTILE.caO)}`,
    ca: true,
    notBefore: new Date(now - 3600e3),
    notAfter: new Date(now + 400 * 86400e3),
  });
  const leaf = await mintCertificate({
    subject: `CN=${dn(HOSTILE.leafCn)}`,
    issuer: ca,
    notBefore: new Date(now - 3600e3),
    notAfter: new Date(now + 200 * 86400e3),
    sans: { dns: ['localhost', HOSTILE.dns], uri: [HOSTILE.uri] },
    eku: ['serverAuth'],
  });
  const server = tls.createServer({ cert: leaf.chainPem, key: leaf.keyPem, requestCert: true, rejectUnauthorized: false }, (socket) => {
    socket.on('error', () => undefined);
    socket.once('data', () => {
      const body = 'denied';
      socket.end(`HTTP/1.1 403 ${HOSTILE.status}\r\ncontent-type: text/plain\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`);
    });
  });
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  hostileCaSubject = summarizeCertificate(ca.cert).subject;
  hostileLeafSubject = summarizeCertificate(leaf.cert).subject;
  return { server, port: (server.address() as { port: number }).port, ca };
}

async function open(html: string): Promise<{ page: Page; requests: string[]; consoleErrors: string[]; dialogs: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  const requests: string[] = [];
  const consoleErrors: string[] = [];
  const dialogs: string[] = [];
  context.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') consoleErrors.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  await page.goto(`file://${html}`, { waitUntil: 'load' });
  return { page, requests, consoleErrors, dialogs };
}

describe.skipIf(!CHROMIUM)('HTML evidence report in Chromium', () => {
  beforeAll(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-html-'));
    await fs.mkdir(OUT, { recursive: true });
    const h = await startHostileServer();
    hostile = h.server;
    hostilePort = h.port;
    closedPort = await freePort();
    const pki = await mintFixturePki();
    await fs.writeFile(path.join(tmp, 'hostile-ca.pem'), h.ca.certPem);
    await fs.writeFile(path.join(tmp, 'client.pem'), pki.client.chainPem);
    await fs.writeFile(path.join(tmp, 'client-key.pem'), pki.client.keyPem, { mode: 0o600 });
    await fs.writeFile(
      path.join(tmp, 'failing.yaml'),
      [
        'targets:',
        '  - name: optional-client-cert',
        '    reference: { implementation: node, profile: optional-client-cert }',
        '  - name: rotation-restart',
        '    reference: { implementation: node, profile: rotation-restart }',
        '  - name: hostile-server',
        `    endpoint: 127.0.0.1:${hostilePort}`,
        '    servername: localhost',
        '    ca: hostile-ca.pem',
        '    cert: client.pem',
        '    key: client-key.pem',
        '  - name: closed-port',
        `    endpoint: 127.0.0.1:${closedPort}`,
        '',
      ].join('\n'),
    );
    const [passing, failing, probe] = await Promise.all([
      cli(['run', '--reference', 'node', '--profile', 'strict', '--json', 'passing.json', '--html', 'passing.html', '--pdf', 'passing.pdf']),
      cli(['run', '--config', 'failing.yaml', '--timeout', '2s', '--json', 'failing.json', '--html', 'failing.html', '--pdf', 'failing.pdf']),
      cli(['probe', `127.0.0.1:${hostilePort}`, '--servername', 'localhost', '--ca', 'hostile-ca.pem', '--html', 'probe.html']),
    ]);
    reports.passing = { html: path.join(tmp, 'passing.html'), json: path.join(tmp, 'passing.json'), pdf: path.join(tmp, 'passing.pdf'), run: passing };
    reports.failing = { html: path.join(tmp, 'failing.html'), json: path.join(tmp, 'failing.json'), pdf: path.join(tmp, 'failing.pdf'), run: failing };
    reports.probe = { html: path.join(tmp, 'probe.html'), json: '', run: probe };
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM!, headless: true, args: CHROMIUM_ARGS });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    hostile?.close();
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  });

  it('the runs end as expected and write every report', async () => {
    expect(reports.passing.run.code, reports.passing.run.stderr).toBe(0);
    expect(reports.failing.run.code, reports.failing.run.stderr).toBe(1);
    expect(reports.failing.run.stderr).toBe('');
    // The hostile server asks for a certificate and answers every client 403; probed without a valid
    // client to compare with, its refusal proves nothing: inconclusive (exit 1), never "enforced".
    expect(reports.probe.run.code, reports.probe.run.stderr).toBe(1);
    for (const r of [reports.passing, reports.failing]) {
      for (const f of [r.html, r.json, r.pdf!]) expect(existsSync(f), f).toBe(true);
    }
    expect(existsSync(reports.probe.html)).toBe(true);
  });

  it('carries the SHA-256 of the JSON report it belongs to, and embeds those exact bytes', async () => {
    for (const r of [reports.passing, reports.failing]) {
      const json = await fs.readFile(r.json);
      const html = await fs.readFile(r.html, 'utf8');
      const digest = createHash('sha256').update(json).digest('hex');
      expect(html).toContain(`SHA-256 ${digest}`);
      const embedded = /href="data:application\/json;base64,([A-Za-z0-9+/=]+)"/.exec(html);
      expect(embedded).not.toBeNull();
      expect(Buffer.from(embedded![1]!, 'base64').equals(json)).toBe(true);
    }
  });

  it('loads with no console errors and makes no network request (passing, failing, probe)', async () => {
    for (const r of [reports.passing, reports.failing, reports.probe]) {
      const { page, requests, consoleErrors } = await open(r.html);
      expect(consoleErrors, r.html).toEqual([]);
      // The only request is the file itself: no fonts, styles, scripts or images from anywhere.
      expect(requests).toEqual([`file://${r.html}`]);
      expect(await page.title()).toMatch(/^mTLS (conformance report|diagnosis) — (PASS|WARN|FAIL|ERROR)/);
      await page.context().close();
    }
  });

  it('shows the header an auditor needs: tool, times in UTC and local, duration, redacted command, policy, host, digest', async () => {
    const { page } = await open(reports.failing.html);
    const meta = await page.locator('table.meta').innerText();
    expect(meta).toMatch(/Tool\s+mtls-harness \d+\.\d+\.\d+/);
    expect(meta).toMatch(/Started\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \S+ \(GMT/);
    expect(meta).toMatch(/Duration\s+\d/);
    expect(meta).toContain('mtls-harness run --config failing.yaml --timeout 2s');
    expect(meta).toContain('TLS ≥ 1.2 · expiry: warn under 30 days, fail under 7');
    expect(meta).toContain(os.hostname());
    expect(meta).toMatch(/SHA-256 [0-9a-f]{64}/);
    // Summary: one row per target with its verdict; the matrix has the six suites.
    const verdicts = await page
      .locator('table.targets tbody tr')
      .evaluateAll((rows) => rows.map((r) => [r.querySelector('a')!.textContent, r.querySelector('.badge')!.getAttribute('data-status')]));
    expect(verdicts).toEqual([
      ['optional-client-cert', 'fail'],
      ['rotation-restart', 'fail'],
      ['hostile-server', 'error'],
      ['closed-port', 'error'],
    ]);
    expect(await page.locator('table.matrix thead th').allInnerTexts()).toEqual([
      'Target',
      'handshake-with-cert',
      'rejection-without-cert',
      'chain-validation',
      'san-validation',
      'expiry',
      'crafted-profiles',
      'mesh',
      'rotation-continuity',
    ]);
    await page.context().close();
  });

  it('shows each check with status, id, message, fix, references and the evidence of where it was refused', async () => {
    const json = JSON.parse(await fs.readFile(reports.failing.json, 'utf8')) as { results: { target: string; check: string; status: string }[] };
    const { page } = await open(reports.failing.html);
    // Every result is in its target's section: failures and errors as a block (article), the others
    // as a compact row, or named in the row of results the same as an earlier target's (data-checks).
    const rendered = await page.locator('section.target [data-check], section.target tr.same').evaluateAll((els) =>
      els.flatMap((e) => {
        const target = e.closest('section')!.getAttribute('data-target-name');
        const status = e.getAttribute('data-status');
        const checks = e.getAttribute('data-check') ?? e.getAttribute('data-checks')!;
        return checks.split(' ').map((c) => [target, c, status].join(' '));
      }),
    );
    expect(rendered.sort()).toEqual(json.results.map((r) => [r.target, r.check, r.status].join(' ')).sort());
    // Only failures and errors are blocks; the failing targets are open.
    const blocks = await page.locator('section.target article.check').evaluateAll((els) => els.map((e) => e.getAttribute('data-status')));
    expect(blocks.length).toBeGreaterThan(0);
    expect(blocks.every((s) => s === 'fail' || s === 'error')).toBe(true);
    expect(await page.locator('section.target > details[open]').count()).toBe(4);
    const noCert = page.locator('#t1 [data-check="reject.no-client-cert"]');
    const text = await noCert.innerText();
    expect(text).toContain('FAIL');
    expect(text).toMatch(/Fix: /);
    expect(text).toContain('RFC 8446 §4.4.2.4');
    expect(text).toMatch(/Outcome\s+accepted — the request was served/);
    expect(text).toMatch(/TLS version\s+TLSv1\.3/);
    expect(text).toMatch(/HTTP status\s+HTTP\/1\.1 200 OK/);
    const crafted = await page.locator('#t1 [data-check="chain.rejects-untrusted-ca-client"]').innerText();
    expect(crafted).toMatch(/Outcome:\s+post-handshake/);
    expect(crafted).toMatch(/Certificate presented: \(subject=CN=mtls-harness client/);
    // textContent: off-screen sections are laid out only when scrolled to (content-visibility: auto), innerText sees none of them.
    const closed = (await page.locator('#t4 [data-check="reject.no-client-cert"]').textContent())!;
    expect(closed).toContain('ERROR');
    expect(closed).toMatch(/Outcome\s*unreachable/);
    expect(closed).toMatch(/connection refused/);
    await page.context().close();
  });

  it('shows the certificates (never a key) and the chain as a diagram', async () => {
    const html = await fs.readFile(reports.failing.html, 'utf8');
    expect(html).not.toMatch(/PRIVATE KEY/);
    const { page } = await open(reports.failing.html);
    const chain = await page.locator('#t1 .chain .node').allInnerTexts();
    expect(chain.map((t) => t.split('\n')[0])).toEqual(['LEAF', 'INTERMEDIATE', 'TRUST ANCHOR (NOT SENT)']);
    const leaf = await page.locator('#t1 .cert').first().innerText();
    for (const field of ['Subject', 'Issuer', 'Serial', 'SANs', 'Extended key usage', 'Valid', 'Public key', 'Signature', 'SHA-256 fingerprint'])
      expect(leaf).toContain(field);
    expect(leaf).toMatch(/DNS:localhost, IP:127\.0\.0\.1/);
    expect(leaf).toMatch(/\d+ day\(s\) left/);
    expect(leaf).toMatch(/EC P-256/);
    expect(await page.locator('#t1 .cert').nth(2).innerText()).toContain('Client leaf');
    await page.context().close();
  });

  it('draws the rotation timeline as an inline SVG: one × per failed attempt, the leaf change marked', async () => {
    const json = JSON.parse(await fs.readFile(reports.failing.json, 'utf8')) as {
      results: { target: string; check: string; evidence: { failures: number; timeline: { attempts: unknown[] } } }[];
    };
    const rot = json.results.find((r) => r.target === 'rotation-restart' && r.check === 'rotation.continuity')!;
    expect(rot.evidence.failures).toBeGreaterThan(0);
    const { page } = await open(reports.failing.html);
    const chart = page.locator('#t2-rotation-chart svg');
    expect(await chart.count()).toBe(1);
    expect(await chart.locator('.fail-mark').count()).toBe(rot.evidence.failures);
    expect(await chart.locator('.ok').count()).toBe(rot.evidence.timeline.attempts.length - rot.evidence.failures);
    expect(await chart.locator('.leaf-change').count()).toBe(1);
    expect(await chart.locator('.outage').count()).toBeGreaterThan(0);
    expect(await chart.locator('title').first().textContent()).toContain(`${rot.evidence.failures} failed`);
    await chart.screenshot({ path: path.join(OUT, 'rotation-chart.png') });
    await page.context().close();
  });

  it('renders hostile certificate and server text as inert text: no script runs, no element is injected', async () => {
    for (const file of [reports.failing.html, reports.probe.html]) {
      const { page, dialogs, consoleErrors } = await open(file);
      expect(dialogs).toEqual([]);
      expect(await page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned)).toBeUndefined();
      // Nothing executable or injected anywhere in the document.
      expect(await page.locator('script, img, iframe, object, embed').count()).toBe(0);
      const withHandlers = await page.evaluate(
        () => Array.from(document.querySelectorAll('*')).filter((e) => Array.from(e.attributes).some((a) => a.name.toLowerCase().startsWith('on'))).length,
      );
      expect(withHandlers).toBe(0);
      const hrefs = await page.locator('a[href]').evaluateAll((as) => as.map((a) => a.getAttribute('href')!));
      expect(hrefs.filter((h) => !/^(#|https:\/\/|data:application\/json;base64,)/.test(h))).toEqual([]);
      // ... and the hostile text is shown, verbatim, as text.
      // textContent: the off-screen sections are not laid out (content-visibility: auto), their text is there.
      const text = (await page.locator('main').textContent())!;
      expect(text).toContain(HOSTILE.dns);
      expect(text).toContain(HOSTILE.uri);
      // Subjects and issuers are shown in their RFC 4514 form (`\<`, `\;`): markup all the same.
      expect(text).toContain(hostileCaSubject);
      expect(text).toContain(hostileLeafSubject);
      expect(hostileCaSubject).toContain('<img src=x onerror=window.__pwned=1');
      expect(hostileCaSubject).toContain('</script\\>\\<script\\>window.__pwned=2');
      expect(consoleErrors).toEqual([]);
      await page.context().close();
    }
    // The status line reaches the run report's evidence (a probe shows it in its findings too).
    const { page } = await open(reports.failing.html);
    expect(await page.locator('#t3').textContent()).toContain(`403 ${HOSTILE.status}`);
    await page.context().close();
  });

  it('saves screenshots of a passing and a failing run', async () => {
    for (const [name, r] of [
      ['passing', reports.passing],
      ['failing', reports.failing],
    ] as const) {
      const { page } = await open(r.html);
      const file = path.join(OUT, `${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      const png = await fs.readFile(file);
      expect(png.subarray(1, 4).toString()).toBe('PNG');
      expect(png.length).toBeGreaterThan(50_000);
      await page.context().close();
    }
  });

  it.skipIf(!PDFTOTEXT)('prints to PDF (run --pdf): every target is in it, in order, compact (no page per target, no near-empty page)', async () => {
    for (const [name, r, targets] of [
      ['passing', reports.passing, ['node:strict']],
      ['failing', reports.failing, ['optional-client-cert', 'rotation-restart', 'hostile-server', 'closed-port']],
    ] as const) {
      const pdf = await fs.readFile(r.pdf!);
      expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
      await fs.copyFile(r.pdf!, path.join(OUT, `${name}.pdf`));
      const pages = execFileSync(PDFTOTEXT!, ['-layout', r.pdf!, '-'], { encoding: 'utf8' })
        .split('\f')
        .filter((p) => p.trim());
      // Page 1 has the header and the summary naming every target.
      for (const t of targets) expect(pages[0], `${name}: ${t} in the summary`).toContain(t);
      // Each target's section follows the summary, in order (a passing one printed whole, though collapsed on screen).
      const text = pages.join('\n');
      const afterSummary = text.indexOf('Targets × suites');
      const at = targets.map((t) => text.indexOf(t, text.indexOf(t, afterSummary) + t.length));
      for (const [i, t] of targets.entries()) expect(at[i], `${name}: ${t}'s section`).toBeGreaterThan(afterSummary);
      expect([...at].sort((a, b) => a - b)).toEqual(at);
      if (name === 'passing') expect(text).toContain('Certificates only: this report never contains a private key.');
      // Compact: one target with the whole catalogue printed on 57 A4 pages before issue 21, 24 after.
      if (name === 'passing') expect(pages.length).toBeLessThan(40);
      // No near-empty page (a heading alone, a page per target): every page but the last holds more than 8 lines of text.
      for (const [i, p] of pages.slice(0, -1).entries()) expect(p.split('\n').filter((l) => l.trim()).length, `${name}: page ${i + 1}`).toBeGreaterThan(8);
      expect(text).not.toMatch(/PRIVATE KEY/);
    }
  });
});

if (!PDFTOTEXT) console.warn('SKIPPED: the PDF content test needs pdftotext (apt-get install poppler-utils)');

/**
 * Issue 17: the HTML report names every suite by its catalogue title, whatever its kind (the offline
 * audit's and client-conformance's included), as the JSON report's `suites` does. Real runs of the
 * built CLI: `audit` on files written by `certs init`, `client-test` with a node client.
 */
describe('suite titles in the HTML report come from the catalogue (audit, client-test)', () => {
  let dir: string;
  const run = (args: string[]) =>
    new Promise<Ran>((resolve) => {
      execFile(process.execPath, [cliJs, ...args], { cwd: dir, env: { ...process.env, NO_COLOR: '1' }, timeout: 90_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
      });
    });
  /** The section headings of the suites (h3) and the JSON report's suites. */
  const read = async (name: string) => ({
    headings: [...(await fs.readFile(path.join(dir, `${name}.html`), 'utf8')).matchAll(/<h3>([^<]*)<\/h3>/g)].map((m) => m[1]!),
    suites: (JSON.parse(await fs.readFile(path.join(dir, `${name}.json`), 'utf8')) as { suites: { id: string; title: string; kind: string }[] }).suites,
  });

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-html-titles-'));
  });
  afterAll(async () => {
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('audit: the offline-audit suite by its title', async () => {
    await certsInit({ out: path.join(dir, 'certs'), layout: 'kong' });
    const r = await run(['audit', 'certs', '--json', 'audit.json', '--html', 'audit.html']);
    expect([0, 1], r.stderr).toContain(r.code);
    const { headings, suites } = await read('audit');
    expect(suites).toEqual([{ id: offlineAudit.id, title: offlineAudit.title, kind: 'files' }]);
    expect(headings).toContain(offlineAudit.title);
    expect(headings).not.toContain(offlineAudit.id);
  });

  it('client-test: the client-conformance suite by its title (it was shown by its id)', async () => {
    const client = [
      process.execPath,
      path.join(root, 'fixtures/clients/node-https-client.mjs'),
      '--url',
      '{url}',
      '--host',
      '{host}',
      '--ca',
      '{ca}',
      '--cert',
      '{cert}',
      '--key',
      '{key}',
    ];
    const r = await run(['client-test', '--json', 'client.json', '--html', 'client.html', '--', ...client]);
    expect(r.code, r.stderr).toBe(0);
    const { headings, suites } = await read('client');
    expect(suites).toEqual([{ id: clientConformance.id, title: clientConformance.title, kind: 'client' }]);
    expect(headings).toContain(clientConformance.title);
    expect(headings).not.toContain(clientConformance.id);
  }, 60_000);
});
