import { accessSync, constants } from 'node:fs';
import { HarnessError } from '../core/errors.js';

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
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run', '--disable-default-apps', '--disable-extensions'];

/**
 * Prints an HTML report to PDF with Chromium's own print (A4, backgrounds, page numbers), offline:
 * every request the page might make is aborted, and the report makes none.
 */
export async function printHtmlToPdf(html: string, executablePath: string): Promise<Buffer> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
  try {
    const context = await browser.newContext({ offline: true });
    await context.route('**/*', (route) => route.abort());
    const page = await context.newPage();
    await page.setContent(html, { waitUntil: 'load' });
    await page.emulateMedia({ media: 'print' });
    return await page.pdf({
      format: 'A4',
      printBackground: true,
      displayHeaderFooter: true,
      headerTemplate: '<span></span>',
      // Constant markup only: nothing from a target goes into Chromium's header/footer templates.
      footerTemplate: '<div style="font-size:8px;width:100%;text-align:center;color:#59636e">mtls-harness report · page <span class="pageNumber"></span> of <span class="totalPages"></span></div>',
      margin: { top: '12mm', bottom: '14mm', left: '10mm', right: '10mm' },
    });
  } finally {
    await browser.close().catch(() => undefined);
  }
}
