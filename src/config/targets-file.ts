import { readFileSync } from 'node:fs';
import { HarnessError } from '../errors.js';
import { parseEndpoint, type Endpoint } from '../probe/endpoint.js';
import { safeText } from '../text.js';
import { checkHostName } from './validate.js';

/** One line of a targets file. */
export interface TargetLine extends Endpoint {
  servername?: string;
  /** The line it came from (for messages). */
  line: number;
}

/** More targets than this in one file is almost certainly the wrong file. */
const MAX_TARGETS = 100_000;

/**
 * Parses a targets file: one `host:port[,servername]` per line (`[v6]:port` too); blank lines and
 * `#` comments are ignored. Any bad line is a `config.invalid` error naming file and line (exit 2).
 */
export function parseTargetsText(text: string, file: string): TargetLine[] {
  const out: TargetLine[] = [];
  const lines = text.split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) continue;
    const where = `${file}:${i + 1}`;
    const parts = line.split(',').map((p) => p.trim());
    if (parts.length > 2 || !parts[0]) throw new HarnessError('config.invalid', `${where}: expected host:port or host:port,servername, not "${safeText(line, 80)}"`);
    let endpoint: Endpoint;
    try {
      endpoint = parseEndpoint(parts[0]);
    } catch (e) {
      throw new HarnessError('config.invalid', `${where}: ${safeText((e as Error).message, 200)}`);
    }
    const servername = parts[1];
    if (servername !== undefined) checkHostName(`${where}: servername`, servername, 'config.invalid');
    out.push({ ...endpoint, ...(servername ? { servername } : {}), line: i + 1 });
    if (out.length > MAX_TARGETS) throw new HarnessError('config.invalid', `${file}: more than ${MAX_TARGETS} targets`);
  }
  if (out.length === 0) throw new HarnessError('config.invalid', `${file}: no targets (one host:port[,servername] per line; # starts a comment)`);
  return out;
}

/** Reads a targets file (see `parseTargetsText`). */
export function loadTargetsFile(file: string): TargetLine[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new HarnessError('config.invalid', code === 'ENOENT' ? `targets file not found: ${file}` : `cannot read targets file ${file}: ${code ?? 'error'}`);
  }
  return parseTargetsText(text, file);
}
