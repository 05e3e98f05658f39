// A strict parser of the Prometheus text exposition format (version 0.0.4): # HELP and # TYPE
// lines, samples `name{label="value",...} value [timestamp]` with the label escapes \\, \" and \n.
// Anything else (a sample of no declared family, a duplicate series, a bad escape, a bad number,
// a TYPE after its samples) throws: the test reads what a Prometheus server would accept.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*/;

function unescapeHelp(s: string): string {
  return s.replace(/\\(\\|n)/g, (_, c: string) => (c === 'n' ? '\n' : '\\'));
}

function parseValue(s: string, line: number): number {
  if (s === '+Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  if (s === 'NaN') return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) throw new Error(`line ${line}: bad value "${s}"`);
  return Number(s);
}

/** The family a sample belongs to: its own name, or a histogram/summary's with a suffix. */
function familyOf(name: string, families: Map<string, Family>): Family | undefined {
  if (families.has(name)) return families.get(name);
  for (const suffix of ['_bucket', '_sum', '_count']) {
    const f = name.endsWith(suffix) ? families.get(name.slice(0, -suffix.length)) : undefined;
    if (f && (f.type === 'histogram' || f.type === 'summary')) return f;
  }
  return undefined;
}

export function parsePromText(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const seen = new Set<string>();
  if (text.length > 0 && !text.endsWith('\n')) throw new Error('the exposition does not end with a newline');
  text.split('\n').forEach((raw, i) => {
    const n = i + 1;
    if (raw.trim() === '') return;
    if (raw.startsWith('#')) {
      const m = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) ?(.*)$/.exec(raw);
      if (!m) return; // a comment
      const [, kind, name, rest] = m as unknown as [string, string, string, string];
      const f = families.get(name) ?? { name, help: '', type: 'untyped' as const, samples: [] };
      families.set(name, f);
      if (kind === 'HELP') f.help = unescapeHelp(rest);
      else {
        if (f.samples.length > 0) throw new Error(`line ${n}: TYPE of ${name} after its samples`);
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest)) throw new Error(`line ${n}: bad type "${rest}"`);
        f.type = rest as Family['type'];
      }
      return;
    }
    const nm = NAME.exec(raw);
    if (!nm) throw new Error(`line ${n}: no metric name`);
    const name = nm[0];
    let pos = name.length;
    const labels: Record<string, string> = {};
    if (raw[pos] === '{') {
      pos++;
      while (raw[pos] !== '}') {
        const lm = LABEL.exec(raw.slice(pos));
        if (!lm) throw new Error(`line ${n}: bad label name at ${pos}`);
        const label = lm[0];
        pos += label.length;
        if (raw.slice(pos, pos + 2) !== '="') throw new Error(`line ${n}: expected =" after ${label}`);
        pos += 2;
        let value = '';
        for (;;) {
          const c = raw[pos];
          if (c === undefined) throw new Error(`line ${n}: unterminated value of ${label}`);
          if (c === '"') break;
          if (c === '\\') {
            const e = raw[pos + 1];
            if (e === '\\') value += '\\';
            else if (e === '"') value += '"';
            else if (e === 'n') value += '\n';
            else throw new Error(`line ${n}: bad escape \\${e ?? ''} in ${label}`);
            pos += 2;
          } else {
            value += c;
            pos++;
          }
        }
        pos++;
        if (label in labels) throw new Error(`line ${n}: label ${label} twice`);
        labels[label] = value;
        if (raw[pos] === ',') pos++;
        else if (raw[pos] !== '}') throw new Error(`line ${n}: expected , or } at ${pos}`);
      }
      pos++;
    }
    if (raw[pos] !== ' ') throw new Error(`line ${n}: expected a space before the value`);
    const parts = raw
      .slice(pos + 1)
      .trim()
      .split(/ +/);
    if (parts.length > 2) throw new Error(`line ${n}: junk after the value`);
    const value = parseValue(parts[0]!, n);
    if (parts[1] !== undefined && !/^-?\d+$/.test(parts[1])) throw new Error(`line ${n}: bad timestamp`);
    const f = familyOf(name, families);
    if (!f) throw new Error(`line ${n}: sample ${name} of no declared family`);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seen.has(key)) throw new Error(`line ${n}: duplicate series ${key}`);
    seen.add(key);
    f.samples.push({ name, labels, value });
  });
  return families;
}

/** The samples of `name` whose labels include `match`. */
export function samples(fams: Map<string, Family>, name: string, match: Record<string, string> = {}): Sample[] {
  const f = familyOf(name, fams);
  return (f?.samples ?? []).filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v));
}

/** The one sample's value, undefined when there is none; throws when there are several. */
export function value(fams: Map<string, Family>, name: string, match: Record<string, string> = {}): number | undefined {
  const s = samples(fams, name, match);
  if (s.length > 1) throw new Error(`${name}${JSON.stringify(match)}: ${s.length} series`);
  return s[0]?.value;
}
