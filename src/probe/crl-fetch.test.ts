// fetchCrl against a real loopback HTTP server: redirects (at most 3, http only), Content-Length
// and body size limits, one deadline for the whole fetch (a server dripping bytes), a close mid-body.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchCrl, MAX_CRL_BYTES } from './crl-fetch.js';

const BODY = Buffer.from('0123456789');
let server: http.Server;
let base = '';
let hits = 0;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    hits++;
    const url = req.url ?? '/';
    const hop = /^\/r\/(\d+)$/.exec(url);
    if (url === '/crl') return res.writeHead(200).end(BODY);
    if (hop) return res.writeHead(302, { location: Number(hop[1]) <= 1 ? '/crl' : `/r/${Number(hop[1]) - 1}` }).end();
    if (url === '/to-https') return res.writeHead(301, { location: 'https://127.0.0.1:1/crl' }).end();
    if (url === '/no-location') return res.writeHead(307).end();
    if (url === '/declared-huge') return res.writeHead(200, { 'content-length': String(MAX_CRL_BYTES + 1) }).end();
    if (url === '/huge') {
      res.writeHead(200); // chunked: no Content-Length, the bytes counted
      const chunk = Buffer.alloc(1 << 20);
      const more = () => {
        while (res.write(chunk));
      };
      res.on('drain', more);
      more();
      return;
    }
    if (url === '/drip') {
      res.writeHead(200);
      const t = setInterval(() => res.write('x'), 50);
      res.on('close', () => clearInterval(t));
      return;
    }
    if (url === '/cut') {
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial');
      setTimeout(() => res.destroy(), 20);
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  return new Promise<void>((r) => server.close(() => r()));
});

describe('fetchCrl', () => {
  it('reads the body; follows up to 3 redirects, not a 4th', async () => {
    expect(await fetchCrl(`${base}/crl`)).toEqual({ der: BODY });
    expect(await fetchCrl(`${base}/r/3`)).toEqual({ der: BODY });
    expect(await fetchCrl(`${base}/r/4`)).toEqual({ error: 'more than 3 redirects' });
  });
  it('fetches only http: a https:// point, a redirect to https, a redirect without Location, a 404', async () => {
    hits = 0;
    expect(await fetchCrl('https://127.0.0.1:1/ca.crl')).toEqual({ error: 'only http:// distribution points are fetched, not https:' });
    expect(await fetchCrl('ldap://ldap.example/cn=CA?certificateRevocationList')).toMatchObject({ error: /not ldap:/ });
    expect(hits).toBe(0);
    expect(await fetchCrl(`${base}/to-https`)).toEqual({ error: 'HTTP 301: only http:// distribution points are fetched, not https:' });
    expect(await fetchCrl(`${base}/no-location`)).toEqual({ error: 'HTTP 307: a redirect without a Location' });
    expect(await fetchCrl(`${base}/nope`)).toEqual({ error: 'HTTP 404' });
  });
  it('refuses a declared Content-Length over the limit before reading, and stops reading past the limit', async () => {
    expect(await fetchCrl(`${base}/declared-huge`)).toEqual({ error: `Content-Length ${MAX_CRL_BYTES + 1}: larger than ${MAX_CRL_BYTES} bytes` });
    expect(await fetchCrl(`${base}/huge`)).toEqual({ error: `larger than ${MAX_CRL_BYTES} bytes` });
  });
  it('one deadline for the whole fetch: a server that drips a byte every 50 ms is cut off; a body cut short is an error', async () => {
    expect(await fetchCrl(`${base}/drip`, 300)).toEqual({ error: 'no complete answer within 300 ms' });
    expect(await fetchCrl(`${base}/cut`)).toMatchObject({ error: expect.any(String) });
  });
});
