// Fetches a CRL from a certificate's distribution point, only when the user asks (--fetch-crl): plain
// http (RFC 5280 §4.2.1.13: CRLs are signed, served over http), one deadline for the whole fetch, a
// size limit checked on Content-Length and on the bytes, at most MAX_REDIRECTS redirects that stay
// http. What comes back is hostile input: at most MAX_CRL_BYTES, parsed by the CRL reader, never
// shown raw.
import * as http from 'node:http';

export const MAX_CRL_BYTES = 4 * 1024 * 1024;
export const MAX_REDIRECTS = 3;

export type CrlFetch = { der: Buffer } | { error: string };

function httpUrl(url: string, base?: URL): URL | string {
  let u: URL;
  try {
    u = new URL(url, base);
  } catch {
    return 'not a URL';
  }
  if (u.protocol !== 'http:') return `only http:// distribution points are fetched, not ${u.protocol}`;
  return u;
}

/** The CRL at `url` (http://… only), or why it could not be fetched, within `timeoutMs` in all. */
export function fetchCrl(url: string, timeoutMs = 5000): Promise<CrlFetch> {
  const first = httpUrl(url);
  if (typeof first === 'string') return Promise.resolve({ error: first });
  return new Promise((resolve) => {
    let req: http.ClientRequest | undefined;
    let done = false;
    const finish = (r: CrlFetch) => {
      if (done) return;
      done = true;
      clearTimeout(deadline);
      req?.destroy();
      resolve(r);
    };
    const deadline = setTimeout(() => finish({ error: `no complete answer within ${timeoutMs} ms` }), timeoutMs);
    const get = (u: URL, redirects: number) => {
      req = http.get(u, (res) => {
        const status = res.statusCode ?? 0;
        if ([301, 302, 303, 307, 308].includes(status)) {
          res.resume();
          const next = res.headers.location ? httpUrl(res.headers.location, u) : 'a redirect without a Location';
          if (typeof next === 'string') return finish({ error: `HTTP ${status}: ${next}` });
          if (redirects >= MAX_REDIRECTS) return finish({ error: `more than ${MAX_REDIRECTS} redirects` });
          return get(next, redirects + 1);
        }
        if (status !== 200) {
          res.resume();
          return finish({ error: `HTTP ${status || '?'}` });
        }
        const declared = Number(res.headers['content-length']);
        if (declared > MAX_CRL_BYTES) return finish({ error: `Content-Length ${declared}: larger than ${MAX_CRL_BYTES} bytes` });
        const parts: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_CRL_BYTES) return finish({ error: `larger than ${MAX_CRL_BYTES} bytes` });
          parts.push(c);
        });
        res.on('end', () => finish({ der: Buffer.concat(parts) }));
        res.on('close', () => finish(res.complete ? { der: Buffer.concat(parts) } : { error: 'the connection closed before the CRL was complete' }));
        res.on('error', (e) => finish({ error: e.message }));
      });
      req.on('error', (e) => finish({ error: e.message }));
    };
    get(first, 0);
  });
}
