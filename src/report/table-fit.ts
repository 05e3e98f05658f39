// The terminal tables fit the terminal (issue 21): the width ($COLUMNS, else the tty's, else 120),
// cells wrapped here to their column (words, then a word longer than the column cut into pieces, by
// display width: CJK and emoji count 2), so cli-table3 never truncates and no line is wider than the
// width; and `--compact`: one line per row, cut with … at the width.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const utils = require('cli-table3/src/utils.js') as { strlen(s: string): number };
/** Printable ASCII is one column a character: measured without string-width (the common case, 3,000-target tables). */
const strlen = (s: string): number => (/^[\x20-\x7e]*$/.test(s) ? s.length : utils.strlen(s));

/** The narrowest table drawn: below it the columns could not hold a status and a word. */
export const MIN_TABLE_WIDTH = 40;
/** When neither $COLUMNS nor the terminal says (a pipe, a CI log). */
export const DEFAULT_TABLE_WIDTH = 120;

/** The width the tables fit: $COLUMNS (a whole number) wins, then the tty's columns, else 120; at least 40. */
export function tableWidth(ttyColumns: number | undefined, env: NodeJS.ProcessEnv): number {
  const fromEnv = /^\s*\d+\s*$/.test(env.COLUMNS ?? '') ? Number(env.COLUMNS) : 0;
  const w = fromEnv > 0 ? fromEnv : ttyColumns && ttyColumns > 0 ? ttyColumns : DEFAULT_TABLE_WIDTH;
  return Math.min(Math.max(w, MIN_TABLE_WIDTH), 1000);
}

/** The display width of plain text (no escape codes: the text went through safeText). */
export const displayWidth = (s: string): number => strlen(s);

/**
 * `word` cut into pieces of at most `width` columns (by code point: a surrogate pair stays whole),
 * after a `.`, `-`, `/`, `:`, `_` or `,` when one is in the piece's last two thirds
 * (`handshake.` / `accepts-valid-` / `client-cert`).
 */
function pieces(word: string, width: number): string[] {
  const out: string[] = [];
  let cur = '';
  let w = 0;
  for (const ch of word) {
    const cw = strlen(ch);
    if (w + cw > width && cur) {
      const at = Math.max(...['.', '-', '/', ':', '_', ','].map((c) => cur.lastIndexOf(c))) + 1;
      const cut = at >= width / 3 && at < cur.length ? at : cur.length;
      out.push(cur.slice(0, cut));
      cur = cur.slice(cut);
      w = strlen(cur);
    }
    cur += ch;
    w += cw;
  }
  if (cur) out.push(cur);
  return out;
}

/**
 * Plain text wrapped to `width` columns: each line's words greedily, a word longer than the
 * width cut into pieces. Every line of the result is at most `width` wide.
 */
export function wrapText(text: string, width: number): string {
  const w = Math.max(1, width);
  const lines: string[] = [];
  for (const para of text.split('\n')) {
    const indent = /^ */.exec(para)![0].slice(0, Math.floor(w / 2)); // kept on the paragraph's first line
    let line = indent;
    let lw = indent.length;
    for (const word of para.split(' ')) {
      if (word === '') continue;
      for (const piece of pieces(word, w)) {
        const pw = strlen(piece);
        const sep = line.trim() === '' ? 0 : 1;
        if (sep > 0 && lw + 1 + pw > w) {
          lines.push(line);
          line = '';
          lw = 0;
        }
        if (sep === 0 && lw + pw > w) [line, lw] = ['', 0]; // no room for the indent
        const gap = line.trim() === '' ? '' : ' ';
        line += gap + piece;
        lw += gap.length + pw;
      }
    }
    lines.push(line);
  }
  return lines.join('\n');
}

/** Plain text cut to `width` columns, ending in … when cut. */
export function cutText(text: string, width: number): string {
  if (strlen(text) <= width) return text;
  let out = '';
  let w = 0;
  for (const ch of text) {
    const cw = strlen(ch);
    if (w + cw > width - 1) break;
    out += ch;
    w += cw;
  }
  return `${out}…`;
}

/**
 * Column widths (cli-table3's: content + 1 space each side) for a table `width` wide with
 * `fixed` columns as given and the `flexible` ones sharing the rest by `weights`, each at least
 * `min`, at most `max`, the last flexible one taking what is left.
 */
export function fitColumns(width: number, columns: ({ fixed: number } | { weight: number; min: number; max?: number })[]): number[] {
  const borders = columns.length + 1;
  const fixed = columns.reduce((a, c) => a + ('fixed' in c ? c.fixed : 0), 0);
  let left = width - borders - fixed;
  const flex = columns.filter((c): c is { weight: number; min: number; max?: number } => !('fixed' in c));
  const total = flex.reduce((a, c) => a + c.weight, 0);
  const avail = left;
  const lastFlex = columns.map((c) => !('fixed' in c)).lastIndexOf(true);
  return columns.map((c, i) => {
    if ('fixed' in c) return c.fixed;
    if (i === lastFlex) return Math.max(c.min, left);
    const w = Math.max(c.min, Math.min(c.max ?? Infinity, Math.floor((avail * c.weight) / total)));
    left -= w;
    return w;
  });
}

/** A cell's text for a column `colWidth` wide (cli-table3 pads 1 each side). */
export const fitCell = (text: string, colWidth: number): string => wrapText(text, colWidth - 2);
