/**
 * The server stacks advice can name, and how the harness recognises the one in use: from the
 * reference implementation it started, the HTTP `Server` header, a gRPC response's `server` header,
 * or a gRPC target with no proxy identified. Pure, no I/O.
 */

import type { Protocol } from '../protocols/names.js';

/** Every stack the harness can recognise and give specific advice for, in a stable order. */
export const STACKS = [
  'nginx',
  'haproxy',
  'envoy',
  'istio',
  'apache',
  'caddy',
  'traefik',
  'kong',
  'lighttpd',
  'iis',
  'dotnet',
  'go',
  'java',
  'python',
  'node',
  'grpc',
  'openssl',
  'gnutls',
  'stunnel',
] as const;

/** A server stack the harness can recognise and give specific advice for. */
export type Stack = (typeof STACKS)[number];

/** How each stack is named in advice ("nginx: …", "Go crypto/tls: …"). */
export const STACK_LABELS: Readonly<Record<Stack, string>> = {
  nginx: 'nginx',
  haproxy: 'haproxy',
  envoy: 'Envoy',
  istio: 'Istio',
  apache: 'Apache',
  caddy: 'Caddy',
  traefik: 'Traefik',
  kong: 'Kong',
  lighttpd: 'lighttpd',
  iis: 'IIS',
  dotnet: 'ASP.NET Core Kestrel',
  go: 'Go crypto/tls',
  java: 'Java JSSE',
  python: 'Python ssl',
  node: 'Node tls',
  grpc: 'gRPC',
  openssl: 'openssl s_server',
  gnutls: 'gnutls-serv',
  stunnel: 'stunnel',
};

/**
 * What a piece of advice is about. Server-configuration topics first, then the user's own client

/** What {@link recognizeStack} looks at. Every field is optional; header values are hostile input. */
export interface StackHints {
  /** The harness's reference implementation in use (`node`, `node-grpc`, `openssl`, `nginx`, `haproxy`, `stunnel`, `gnutls`, `caddy`, …). */
  reference?: string;
  /** The HTTP `Server` response header. */
  httpServer?: string;
  /** The ALPN protocol the server chose (shown in the evidence of a gRPC guess; identifies no stack on its own). */
  alpn?: string;
  /** The target's protocol: `grpc` with no proxy identified means advice for the gRPC libraries. */
  protocol?: Protocol;
  /** The `server` header of a gRPC response (proxies such as Envoy or nginx set it; gRPC libraries do not). */
  grpcServer?: string;
}

/** A recognised stack and what gave it away (printable ASCII, at most 60 characters of any header). */
export interface RecognizedStack {
  stack: Stack;
  evidence: string;
}

/** Reference implementation names of the harness (src/targets/reference) and the stack each is. */
const REFERENCES: Readonly<Record<string, Stack>> = {
  node: 'node',
  'node-grpc': 'grpc',
  openssl: 'openssl',
  nginx: 'nginx',
  haproxy: 'haproxy',
  stunnel: 'stunnel',
  gnutls: 'gnutls',
  caddy: 'caddy',
  envoy: 'envoy',
  apache: 'apache',
  go: 'go',
};

/**
 * Server header products, matched at the start of the header as a whole product token
 * (`name`, `name/version`, then a space or the end): `nginx-evil` or `nginxx` match nothing.
 * Order matters: `Apache-Coyote` (Tomcat) before `Apache`, `istio-envoy` before `envoy`.
 */
const SERVER_PRODUCTS: readonly { product: RegExp; stack: Stack }[] = [
  { product: /^(?:nginx|openresty)$/i, stack: 'nginx' },
  { product: /^kong$/i, stack: 'kong' },
  { product: /^istio-envoy$/i, stack: 'istio' },
  { product: /^envoy$/i, stack: 'envoy' },
  { product: /^haproxy$/i, stack: 'haproxy' },
  { product: /^caddy$/i, stack: 'caddy' },
  { product: /^traefik$/i, stack: 'traefik' },
  { product: /^(?:apache-coyote|jetty(?:\(.*\))?|wildfly|undertow)$/i, stack: 'java' },
  { product: /^apache$/i, stack: 'apache' },
  { product: /^(?:microsoft-iis|microsoft-httpapi)$/i, stack: 'iis' },
  { product: /^kestrel$/i, stack: 'dotnet' },
  { product: /^lighttpd$/i, stack: 'lighttpd' },
  { product: /^(?:werkzeug|gunicorn|uvicorn|hypercorn|tornadoserver|waitress|python|basehttp)$/i, stack: 'python' },
  { product: /^stunnel$/i, stack: 'stunnel' },
];

/** Hostile header text made safe for evidence: printable ASCII, trimmed, at most `max` characters. */
export function clip(s: string, max = 60): string {
  const clean = s.replace(/[^\x20-\x7e]/g, '?').trim();
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

/** The stack a Server header names, or undefined. Only the first product token is read. */
function stackFromServerHeader(header: string): Stack | undefined {
  const head = header
    .replace(/[^\x20-\x7e]/g, '?')
    .trim()
    .slice(0, 200);
  // "Apache Tomcat/9" is two words; every other product is one token.
  if (/^apache tomcat(?:\/\S*)?(?:\s|$)/i.test(head)) return 'java';
  const m = /^([^\s/]+)(?:\/\S*)?(?:\s|$)/.exec(head);
  if (!m) return undefined;
  return SERVER_PRODUCTS.find((p) => p.product.test(m[1]!))?.stack;
}

/**
 * Recognises the server stack from what the harness saw, most certain first: the reference
 * implementation it started, the HTTP `Server` header, a gRPC response's `server` header, then
 * a gRPC target with no proxy identified (advice for the gRPC libraries, grpc-js and grpc-go).
 * Conservative: an unknown or absent header gives `undefined` (HAProxy and Go send no `Server`
 * header by default; `Go-http-client` is a client's User-Agent, not a server). The evidence quotes
 * at most 60 printable characters of a header.
 */
export function recognizeStack(hints: StackHints): RecognizedStack | undefined {
  if (hints.reference) {
    const name =
      hints.reference
        .trim()
        .toLowerCase()
        .split(/[/:\s(]/)[0] ?? '';
    const stack = REFERENCES[name];
    if (stack) return { stack, evidence: `reference implementation ${name}` };
  }
  if (hints.httpServer) {
    const stack = stackFromServerHeader(hints.httpServer);
    if (stack) return { stack, evidence: `Server: ${clip(hints.httpServer)}` };
  }
  if (hints.grpcServer) {
    const stack = stackFromServerHeader(hints.grpcServer);
    if (stack) return { stack, evidence: `gRPC server: ${clip(hints.grpcServer)}` };
  }
  if (hints.protocol === 'grpc') return { stack: 'grpc', evidence: `gRPC target${hints.alpn ? ` (ALPN ${clip(hints.alpn, 20)})` : ''}, no proxy identified` };
  return undefined;
}

/**
 * A short phrase for a result's evidence saying which stack the advice names and why:
 * "advice for nginx (Server: nginx/1.22.1)", or, with nothing recognised,
 * "advice for common stacks (server stack not recognised)".
 */
export function advisedStackNote(found: RecognizedStack | undefined): string {
  return found ? `advice for ${STACK_LABELS[found.stack]} (${found.evidence})` : 'advice for common stacks (server stack not recognised)';
}
