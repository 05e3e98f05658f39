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
