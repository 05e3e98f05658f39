/**
 * `serve`'s HTTP server (docs/serve.md "Endpoints"): GET or HEAD of /metrics (the text exposition),
 * /healthz (200 once listening) and /report (the last completed run's HTML report, read-only);
 * any other path is 404, any other method 405. Nothing a request carries is read besides its
 * method and path, and nothing of it is echoed back.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatEndpoint, type Endpoint } from '../../core/endpoint.js';

/**
 * The report page's policy: the report is self-contained (inline CSS, no script, no external
 * request), so nothing else is allowed; it cannot be framed.
 */
export const REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Every response: not sniffed, not cached, not sent a referrer. */
const COMMON_HEADERS = { 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' } as const;

export interface ServeHandlers {
  metrics(): Promise<{ contentType: string; body: string }>;
  /** The last completed run's HTML report, undefined before the first run completes. */
  report(): Buffer | undefined;
  /** A scrape failed (the error is not shown to the client). */
  onError?(e: unknown): void;
}

export interface ServeHttp {
  /** The address bound (the port the system chose when 0 was asked for). */
  address: Endpoint;
  url: string;
  close(): Promise<void>;
}

function send(res: http.ServerResponse, head: boolean, status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}): void {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  res.writeHead(status, { ...COMMON_HEADERS, 'Content-Type': type, 'Content-Length': String(bytes.length), ...extra });
  res.end(head ? undefined : bytes);
}

const TEXT = 'text/plain; charset=utf-8';

export async function handle(req: http.IncomingMessage, res: http.ServerResponse, h: ServeHandlers): Promise<void> {
  const head = req.method === 'HEAD';
  let path: string;
  try {
    path = new URL(req.url ?? '/', 'http://serve.invalid').pathname;
  } catch {
    return send(res, head, 400, TEXT, 'bad request\n');
  }
  const known = path === '/metrics' || path === '/healthz' || path === '/report';
  if (!known) return send(res, head, 404, TEXT, 'not found: /metrics, /healthz, /report\n');
  if (req.method !== 'GET' && !head) return send(res, false, 405, TEXT, 'method not allowed: GET or HEAD\n', { Allow: 'GET, HEAD' });
  if (path === '/healthz') return send(res, head, 200, TEXT, 'ok\n');
  if (path === '/report') {
    const html = h.report();
    if (!html) return send(res, head, 503, TEXT, 'no run has completed yet\n', { 'Retry-After': '5' });
    return send(res, head, 200, 'text/html; charset=utf-8', html, { 'Content-Security-Policy': REPORT_CSP, 'X-Frame-Options': 'DENY' });
  }
  try {
    const m = await h.metrics();
    send(res, head, 200, m.contentType, m.body);
  } catch (e) {
    h.onError?.(e);
    send(res, head, 500, TEXT, 'the metrics could not be collected\n');
  }
}

/** Listens on `at` (port 0: any free port); rejects with the system's error (EADDRINUSE, EACCES …). */
export async function listen(at: Endpoint, h: ServeHandlers): Promise<ServeHttp> {
  const server = http.createServer({ requestTimeout: 30_000, headersTimeout: 10_000 }, (req, res) => {
    // Drained, never read: a request body is ignored.
    req.resume();
    void handle(req, res, h);
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(at.port, at.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const a = server.address() as AddressInfo;
  const address = { host: a.address, port: a.port };
  return {
    address,
    url: `http://${formatEndpoint(address)}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
