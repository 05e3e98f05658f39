// Issue 21: the terminal table fits the width (80, 60, 120 …): no line wider, nothing cut in the
// table (long words broken, not truncated), `--compact` one line per check cut with …; hostile text.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { fixedRunReport, HOSTILE } from '../../test/helpers/report-model.js';
import { renderResultsTable } from './results-table.js';
import { makeStyle } from './style.js';
import { cutText, fitColumns, tableWidth, wrapText } from './table-fit.js';

const { strlen } = createRequire(import.meta.url)('cli-table3/src/utils.js') as { strlen(s: string): number };
const plain = makeStyle({ isTTY: false, env: {} });
const colour = makeStyle({ isTTY: true, env: {} });
const WIDTHS = [40, 60, 80, 100, 120, 200];
const widest = (text: string) => Math.max(...text.split('\n').map((l) => strlen(l)));
/** The lines that fit: all but the notes after the summary (a target's origin ←, its fix, its protocol), kept whole. */
const fitting = (text: string) =>
  text
    .split('\n')
    .filter((l) => !/ ← |^ {2}fix: |protocol: /.test(l))
    .join('\n');

describe('tableWidth', () => {
  it('$COLUMNS, then the terminal, then 120; at least 40', () => {
    expect(tableWidth(undefined, {})).toBe(120);
    expect(tableWidth(100, {})).toBe(100);
    expect(tableWidth(100, { COLUMNS: '80' })).toBe(80);
    expect(tableWidth(100, { COLUMNS: ' 60 ' })).toBe(60);
    expect(tableWidth(100, { COLUMNS: 'wide' })).toBe(100);
    expect(tableWidth(undefined, { COLUMNS: '0' })).toBe(120);
    expect(tableWidth(10, {})).toBe(40);
  });
});

describe('wrapText / cutText / fitColumns', () => {
  it('wraps words, breaks a word longer than the width, counts CJK and emoji as 2, keeps pairs whole', () => {
    const text = `short words then ${'x'.repeat(30)} 日本語の名前日本語の名前 😀😀😀😀😀😀😀 end\n  indented line`;
    for (const w of [5, 8, 13, 20]) {
      const out = wrapText(text, w);
      expect(widest(out), `width ${w}`).toBeLessThanOrEqual(w);
      expect(out.replace(/\s+/g, '')).toBe(text.replace(/\s+/g, '')); // nothing lost
      expect(out).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
    }
    expect(wrapText('  fix: a b', 20)).toBe('  fix: a b');
  });

  it('cuts with … at the width', () => {
    expect(cutText('abcdef', 6)).toBe('abcdef');
    expect(cutText('abcdefg', 6)).toBe('abcde…');
    expect(strlen(cutText('日本語の名前', 6))).toBeLessThanOrEqual(6);
    expect(cutText('😀😀😀😀', 5)).toBe('😀😀…');
  });

  it('columns and borders add up to the width', () => {
    for (const w of WIDTHS) {
      const cols = fitColumns(w, [{ weight: 2, min: 8, max: 24 }, { fixed: 7 }, { weight: 3, min: 12, max: 40 }, { weight: 6, min: 12 }]);
      expect(cols.reduce((a, c) => a + c, 0) + 5).toBe(Math.max(w, 8 + 7 + 12 + 12 + 5));
    }
  });
});

describe('the results table at a width', () => {
  // 3 targets: a row per check; 12: a row per target (PER_TARGET_ROWS_ABOVE). Hostile text everywhere.
  const few = fixedRunReport(3);
  const many = fixedRunReport(12);
  const one = { ...fixedRunReport(1) };

  it.each(WIDTHS)('no line wider than %i columns (one target, three, twelve; plain and coloured; quiet or not)', (w) => {
    for (const run of [one, few, many])
      for (const st of [plain, colour])
        for (const quiet of [false, true]) {
          const text = renderResultsTable(run, st, w, quiet).replace(/\u001b\[[0-9;]*m/g, '');
          expect(widest(fitting(text)), `${run.targets.length} targets, quiet ${quiet}`).toBeLessThanOrEqual(w);
        }
  });

  it('the table cuts nothing: every check id is there whole, broken over lines', () => {
    for (const w of [60, 80]) {
      const text = renderResultsTable(few, plain, w, false);
      expect(text).toMatch(/│ Status │ Check +│ Finding/); // (… only where safeText shortened a hostile name)
      // each row's Check cell, its lines joined (rows are separated by ├ lines)
      const checks: string[] = [];
      let cell = '';
      for (const line of text.split('\n')) {
        if (line.startsWith('│')) cell += line.split('│')[3]!.trim();
        else if (cell) [checks[checks.length], cell] = [cell, ''];
      }
      expect(checks.slice(1)).toEqual(few.results.map((r) => r.check)); // (the first: the head)
    }
  });

  it('hostile text stays inert: no escape or bidi characters reach the terminal', () => {
    const text = renderResultsTable(few, plain, 80, false);
    expect(HOSTILE).toMatch(/\u001b/);
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/);
  });

  it.each(WIDTHS)('--compact at %i: one line per check (per target above ten), each at most the width', (w) => {
    for (const run of [one, few, many]) {
      const text = renderResultsTable(run, colour, w, false, true).replace(/\u001b\[[0-9;]*m/g, '');
      expect(widest(fitting(text))).toBeLessThanOrEqual(w);
      const rows = text.split('\n').filter((l) => /^(PASS|WARN|FAIL|SKIP|ERROR) /.test(l));
      expect(rows).toHaveLength(run.targets.length > 10 ? run.targets.length : run.results.length);
    }
    const q = renderResultsTable(few, plain, w, true, true);
    expect(q.split('\n').filter((l) => /^(PASS|SKIP) /.test(l))).toEqual([]);
  });
});
