import { redactText } from './redact.js';

/**
 * Text from certificates and servers is hostile: it may carry terminal escape sequences, bidi
 * overrides or megabytes of junk. `safeText` keeps ordinary Unicode, drops control and
 * direction-override characters, and bounds the length. HTML escaping is the HTML reporter's job.
 */
export function safeText(s: string, max = 300): string {
  // C0/C1 controls (incl. ESC), DEL, bidi embeddings/overrides/isolates, zero-width joiners used for spoofing.
  const clean = s.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g, '?');
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

/**
 * The last `lines` lines of a command's output, for evidence: secrets and private keys redacted first
 * (`redactText`, before cutting, so a cut block is still recognised), lines joined with " | ", bounded by `max` characters
 * and passed through `safeText`. Undefined for empty output.
 */
export function outputTail(text: string | undefined, lines = 10, max = 1000): string | undefined {
  if (!text || !text.trim()) return undefined;
  const tail = redactText(text).trimEnd().split('\n').slice(-lines).join('\n').replace(/\r?\n/g, ' | ');
  return safeText(tail.length > max ? `…${tail.slice(-max)}` : tail, max + 1);
}
