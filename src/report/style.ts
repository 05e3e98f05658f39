/** Terminal styling that respects NO_COLOR (https://no-color.org) and non-TTY output. */
export interface Style {
  color: boolean;
  ok(s: string): string;
  warn(s: string): string;
  bad(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

export function makeStyle(opts: { isTTY?: boolean; env?: NodeJS.ProcessEnv }): Style {
  const env = opts.env ?? process.env;
  const color = !!opts.isTTY && env.NO_COLOR === undefined && env.TERM !== 'dumb';
  const wrap = (open: number, close: number) => (s: string) => (color ? `\u001b[${open}m${s}\u001b[${close}m` : s);
  return { color, ok: wrap(32, 39), warn: wrap(33, 39), bad: wrap(31, 39), dim: wrap(2, 22), bold: wrap(1, 22) };
}
