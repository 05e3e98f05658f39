import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { HarnessError } from '../core/errors.js';
import { importOptional } from '../io/optional.js';
import { writeFileAtomicStreamed, writePiecesTo, type ReportSink } from './sink.js';

/** Where Chromium is looked for, in order, after $MTLS_CHROMIUM. Never a downloaded browser. */
const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

/**
 * The Chromium executable for printing (`$MTLS_CHROMIUM`, else Debian's /usr/bin/chromium …).
 * Throws a usage error naming the fix when there is none, so `--pdf` fails before any check runs.
 */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string {
  const given = env.MTLS_CHROMIUM;
  const list = given ? [given] : CANDIDATES;
  for (const p of list) {
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  throw new HarnessError(
    'usage.invalid-value',
    given
      ? `--pdf: MTLS_CHROMIUM=${given} is not an executable file`
      : `--pdf needs Chromium to print the report (looked for ${CANDIDATES.join(', ')}): apt-get install chromium, or set MTLS_CHROMIUM to its path; --html needs nothing`,
  );
}

/** Chromium flags: headless, no sandbox (containers, root), and no background traffic of its own. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
  '--disable-default-apps',
  '--disable-extensions',
];

/**
 * Chromium's print parameters (Page.printToPDF) for A4, backgrounds, page numbers: what
 * playwright's page.pdf({ format: 'A4', margin: 12/14/10/10 mm, … }) sends (inches; 1 mm = 3.78 px
 * at 96 px per inch, as playwright converts).
 */
const mm = (n: number) => (n * 3.78) / 96;
const PRINT = {
  landscape: false,
  displayHeaderFooter: true,
  headerTemplate: '<span></span>',
  // Constant markup only: nothing from a target goes into Chromium's header/footer templates.
  footerTemplate:
    '<div style="font-size:8px;width:100%;text-align:center;color:#59636e">mtls-harness report · page <span class="pageNumber"></span> of <span class="totalPages"></span></div>',
  printBackground: true,
  scale: 1,
  paperWidth: 8.27,
  paperHeight: 11.7,
  marginTop: mm(12),
  marginBottom: mm(14),
  marginLeft: mm(10),
  marginRight: mm(10),
  pageRanges: '',
  preferCSSPageSize: false,
  generateTaggedPDF: false,
  generateDocumentOutline: false,
};

/** The PDF is read back from Chromium this many bytes at a time. */
const READ_SIZE = 1 << 20;

/**
 * Prints an HTML report file to PDF with Chromium's own print (A4, backgrounds, page numbers),
 * offline: the report file is the one request the page may make (every other is aborted, and the
 * report makes none), and the PDF is streamed into `out` as Chromium hands it over.
 */
export async function printHtmlFileToPdf(htmlFile: string, executablePath: string, out: ReportSink): Promise<void> {
  const { chromium } = await importOptional('playwright-core', () => import('playwright-core'));
  const browser = await chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
  try {
    const context = await browser.newContext({ offline: true });
    const url = pathToFileURL(htmlFile).href;
    await context.route('**/*', (route) => (route.request().url() === url && route.request().isNavigationRequest() ? route.continue() : route.abort()));
    const page = await context.newPage();
    await page.goto(url, { waitUntil: 'load' });
    await page.emulateMedia({ media: 'print' });
    const cdp = await context.newCDPSession(page);
    const { stream } = await cdp.send('Page.printToPDF', { ...PRINT, transferMode: 'ReturnAsStream' });
    if (!stream) throw new Error('Chromium returned no PDF stream');
    for (;;) {
      const r = await cdp.send('IO.read', { handle: stream, size: READ_SIZE });
      if (r.data) await out.write(Buffer.from(r.data, r.base64Encoded ? 'base64' : 'utf8'));
      if (r.eof) break;
    }
    await cdp.send('IO.close', { handle: stream });
  } finally {
    await browser.close().catch(() => undefined);
  }
}

/**
 * Prints an HTML report given as pieces: they are streamed into report.html (0600) in a private
 * temporary folder (0700), which Chromium loads as a file:// URL instead of a giant string sent
 * through the driver; the folder is removed afterwards.
 */
export async function printHtmlToPdfStreamed(html: Iterable<string>, executablePath: string, out: ReportSink): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'mtls-harness-pdf-'));
  try {
    const file = path.join(dir, 'report.html');
    await writeFileAtomicStreamed(file, (sink) => writePiecesTo(sink, html), 0o600);
    await printHtmlFileToPdf(file, executablePath, out);
  } finally {
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** Prints an HTML report (one string) to PDF; the PDF's bytes. */
export async function printHtmlToPdf(html: string, executablePath: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  await printHtmlToPdfStreamed([html], executablePath, { write: async (b) => void parts.push(typeof b === 'string' ? Buffer.from(b) : b) });
  return Buffer.concat(parts);
}
