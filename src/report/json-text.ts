/**
 * A report's JSON text: JSON.stringify's layout with the characters that display as something
 * else escaped, whole or in pieces. Shared by every JSON document (the run report, `probe --json`);
 * it loads nothing else, so `probe` does not load the catalogue to write its document.
 */

/**
 * Characters a JSON report escapes as `\uXXXX` although JSON.stringify leaves them raw: C1
 * controls, DEL, bidi embeddings/overrides/isolates and marks, zero-width characters, the line and
 * paragraph separators and the BOM. Certificates and servers are hostile text: a raw U+202E in a
 * subject makes the report display as something else in a terminal or editor. Escaped, the file
 * shows `\u202e` while every JSON parser still reads back the exact value.
 */
const JSON_UNSAFE = /[\u007f-\u009f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2069\ufeff]/g;

const escapeUnsafe = (s: string) => s.replace(JSON_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** A report's JSON text (2-space indent, final newline) with JSON_UNSAFE characters escaped. */
export function reportJsonText(value: unknown): string {
  return escapeUnsafe(JSON.stringify(value, null, 2)) + '\n';
}

/**
 * The same text as `reportJsonText(value)`, byte for byte, in pieces: the containers down to
 * `depth` (default 2: the report object and its arrays) are written here, everything below them
 * with JSON.stringify one element at a time. A 3,000-target report is then never one 90 MB string:
 * the largest piece is one result (or one target) as JSON.
 */
export function* reportJsonChunks(value: unknown, depth = 2): Generator<string> {
  for (const piece of jsonPieces(value, '', depth)) yield escapeUnsafe(piece);
  yield '\n';
}

/** What JSON.stringify leaves out of an object (and writes as null in an array). */
const omitted = (v: unknown) => v === undefined || typeof v === 'function' || typeof v === 'symbol';

/** A value after `toJSON`, as JSON.stringify calls it (once, with the property name or index). */
function toJsonValue(v: unknown, key: string): unknown {
  return v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function'
    ? (v as { toJSON(k: string): unknown }).toJSON(key)
    : v;
}

/** Only plain arrays and objects without toJSON are opened here; anything else goes to JSON.stringify whole. */
function isPlainContainer(v: unknown): v is Record<string, unknown> | unknown[] {
  if (v === null || typeof v !== 'object') return false;
  if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return false;
  if (Array.isArray(v)) return true;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * JSON.stringify(value, null, 2) at `indent`, in pieces: JSON.stringify's layout is the same at
 * every level (a nested value's lines carry its parent's indent), so a value stringified on its
 * own and re-indented is exactly its text inside the whole. String contents never hold a raw line
 * break (JSON escapes it), so re-indenting touches layout only. `value` is never an omitted one
 * (undefined, a function, a symbol) below the top: the containers below leave those out (or write
 * null) as JSON.stringify does.
 */
function* jsonPieces(value: unknown, indent: string, depth: number): Generator<string> {
  if (depth <= 0 || !isPlainContainer(value)) {
    const text = JSON.stringify(value, null, 2);
    yield indent && text.includes('\n') ? text.replace(/\n/g, `\n${indent}`) : text;
    return;
  }
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) {
      yield '[]';
      return;
    }
    yield `[\n${inner}`;
    for (let i = 0; i < value.length; i++) {
      if (i > 0) yield `,\n${inner}`;
      const item = value[i];
      if (omitted(toJsonValue(item, String(i)))) yield 'null';
      else yield* jsonPieces(item, inner, depth - 1);
    }
    yield `\n${indent}]`;
    return;
  }
  let first = true;
  for (const k of Object.keys(value)) {
    const item = value[k];
    if (omitted(toJsonValue(item, k))) continue;
    yield `${first ? '{\n' : ',\n'}${inner}${JSON.stringify(k)}: `;
    first = false;
    yield* jsonPieces(item, inner, depth - 1);
  }
  yield first ? '{}' : `\n${indent}}`;
}
