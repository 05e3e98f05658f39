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

/** Edit distance ≤ 2 or a case-insensitive match: enough for typos such as "endpont" or "servername". */
export function similar(a: string, b: string): boolean {
  if (a.toLowerCase() === b.toLowerCase()) return true;
  const dp = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) dp[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      dp[i]![j] = Math.min(dp[i - 1]![j]! + 1, dp[i]![j - 1]! + 1, dp[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return dp[a.length]![b.length]! <= 2;
}

/** The candidate most like `word` (see `similar`), for a "did you mean" hint; undefined when none is close. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  return candidates.find((c) => c.toLowerCase() === word.toLowerCase()) ?? candidates.find((c) => similar(c, word));
}
