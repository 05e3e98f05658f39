/** (Rendered only as JSX text, as render.tsx: never markup by string concatenation.)
 * `mtls-harness diff --html FILE`: one self-contained page (the report's stylesheet, no scripts,
 * the same Content-Security-Policy) holding the "Changes since baseline" section of the diff. */
import { renderToString } from 'preact-render-to-string';
import type { RunDiff } from '../../core/diff.js';
import { redactArgv } from '../../core/redact.js';
import { safeText } from '../../core/text.js';
import { DiffSection } from './diff.js';
import { shellJoin } from './parts.js';
import { REPORT_CSS } from './style.js';

/** The page of a diff; `argv` the command as typed (secrets redacted here). */
export function renderDiffPage(d: RunDiff, tool: { name: string; version: string }, argv: string[]): string {
  const csp = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";
  const verdict = d.summary.new > 0 ? `${d.summary.new} NEW` : 'no new findings';
  return `<!DOCTYPE html>\n${renderToString(
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta http-equiv="Content-Security-Policy" content={csp} />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="generator" content={`${tool.name} ${tool.version}`} />
        <title>{`mTLS changes since baseline — ${verdict}`}</title>
        <style dangerouslySetInnerHTML={{ __html: REPORT_CSS }} />
      </head>
      <body>
        <main>
          <header class="report">
            <div class="muted">{`${tool.name} ${tool.version}`}</div>
            <h1>mTLS changes since baseline</h1>
            <code class="cmd wrap">{safeText(shellJoin(['mtls-harness', ...redactArgv(argv)]), 4000)}</code>
          </header>
          <DiffSection d={d} />
        </main>
      </body>
    </html>,
  )}\n`;
}
