// Fetches a CRL from a certificate's distribution point, only when the user asks (--fetch-crl): plain
// http (RFC 5280 §4.2.1.13: CRLs are signed, served over http), a time limit and a size limit. What
// comes back is hostile input: at most MAX_BYTES, parsed by the CRL reader, never shown raw.
import * as http from 'node:http';

export const MAX_CRL_BYTES = 4 * 1024 * 1024;

/** The CRL at `url` (http://… only), or why it could not be fetched. */
export function fetchCrl(url: string, timeoutMs = 5000): Promise<{ der: Buffer } | { error: string }> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return Promise.resolve({ error: 'not a URL' });
  }
  if (u.protocol !== 'http:') return Promise.resolve({ error: `only http:// distribution points are fetched, not ${u.protocol}` });
  return new Promise((resolve) => {
    const req = http.get(u, { timeout: timeoutMs }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        resolve({ error: `HTTP ${res.statusCode ?? '?'}` });
        return;
      }
      const parts: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_CRL_BYTES) {
          req.destroy();
          resolve({ error: `larger than ${MAX_CRL_BYTES} bytes` });
          return;
        }
        parts.push(c);
      });
      res.on('end', () => resolve({ der: Buffer.concat(parts) }));
      res.on('error', (e) => resolve({ error: e.message }));
    });
    req.on('timeout', () => {
      req.destroy();
      resolve({ error: `no answer within ${timeoutMs} ms` });
    });
    req.on('error', (e) => resolve({ error: e.message }));
  });
}
