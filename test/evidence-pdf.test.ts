// Issue 21, "Evidence auditors can verify alone": the PDF report of a real run (the built CLI
// against the node reference on 127.0.0.1, printed by Debian's Chromium) carries the JSON report's
// exact bytes as an attachment, and the SHA-256 it prints is theirs and the JSON file's written by
// the same run. pdf-lib extracts the attachment; poppler's pdfdetach and pdftotext, where
// installed, are what docs/evidence.md tells an auditor to use, and are checked to agree.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findChromium } from '../src/report/pdf.js';
import { readPdfAttachments } from '../src/report/pdf-attach.js';
import { findBinary } from '../src/targets/reference/process.js';
import { spawnCli } from './helpers/cli.js';

function chromiumOrSkip(): string | undefined {
  try {
    return findChromium();
  } catch (e) {
    if (process.env.MTLS_REQUIRE_BROWSER) throw new Error(`MTLS_REQUIRE_BROWSER is set but Chromium is missing: ${(e as Error).message}`);
    console.warn(`SKIPPED: the PDF evidence tests need Chromium (apt-get install chromium): ${(e as Error).message}`);
    return undefined;
  }
}
const CHROMIUM = chromiumOrSkip();
const PDFTOTEXT = findBinary('pdftotext');
const PDFDETACH = findBinary('pdfdetach');
if (!PDFTOTEXT || !PDFDETACH) console.warn('SKIPPED (in part): the poppler cross-checks need pdftotext and pdfdetach (apt-get install poppler-utils)');

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe.skipIf(!CHROMIUM)('the PDF report embeds the JSON report and prints its digest', () => {
  let dir: string;
  let json: Buffer;
  let pdf: Buffer;
  let html: string;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-evidence-pdf-'));
    const r = await spawnCli(
      ['run', '--reference', 'node', '--profile', 'optional-client-cert', '--json', 'r.json', '--html', 'r.html', '--pdf', 'r.pdf'],
      dir,
      { MTLS_OPERATOR: 'auditor-test@ci' },
      120_000,
    );
    expect(r.code, r.stderr).toBe(1); // optional-client-cert: reject.no-client-cert fails
    [json, pdf, html] = await Promise.all([
      fs.readFile(path.join(dir, 'r.json')),
      fs.readFile(path.join(dir, 'r.pdf')),
      fs.readFile(path.join(dir, 'r.html'), 'utf8'),
    ]);
  }, 180_000);

  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('report.json attached: the exact bytes of the JSON report written by the same run, the digest the HTML prints', async () => {
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    const attached = await readPdfAttachments(pdf);
    expect([...attached.keys()]).toEqual(['report.json']);
    const bytes = attached.get('report.json')!;
    expect(sha256(bytes)).toBe(sha256(json));
    expect(bytes.equals(json)).toBe(true);
    const printed = /data-digest="sha256">SHA-256 ([0-9a-f]{64})</.exec(html)?.[1];
    expect(printed).toBe(sha256(json));
    // The attached report carries its provenance (and so the digest covers it).
    expect((JSON.parse(bytes.toString('utf8')) as { run: { provenance: { operator: string } } }).run.provenance.operator).toBe('auditor-test@ci');
    expect((await fs.stat(path.join(dir, 'r.pdf'))).mode & 0o777).toBe(0o600);
  });

  it.skipIf(!PDFTOTEXT || !PDFDETACH)('an auditor alone: pdftotext shows the digest, pdfdetach extracts bytes with that SHA-256', async () => {
    const text = execFileSync(PDFTOTEXT!, [path.join(dir, 'r.pdf'), '-'], { encoding: 'utf8' }).replace(/\s+/g, '');
    const digest = /SHA-256([0-9a-f]{64})/.exec(text)?.[1];
    expect(digest).toBe(sha256(json));
    expect(text).toContain('auditor-test@ci');
    const list = execFileSync(PDFDETACH!, ['-list', path.join(dir, 'r.pdf')], { encoding: 'utf8' });
    expect(list).toMatch(/1: report\.json/);
    const out = path.join(dir, 'detached.json');
    execFileSync(PDFDETACH!, ['-save', '1', '-o', out, path.join(dir, 'r.pdf')]);
    expect(sha256(await fs.readFile(out))).toBe(digest);
  });
});
