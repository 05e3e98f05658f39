/**
 * Remediation advice that names the right stack.
 *
 * "Advice starts stack-neutral, then names the line for the stack in use": every piece of advice is
 * one stack-neutral sentence (what to achieve), then one sentence with the setting of the stack the
 * harness recognised (from the reference implementation, the HTTP `Server` header, the gRPC
 * `server` header), or, when nothing was recognised, the lines of at most four common stacks.
 *
 * Pure functions, no I/O. Typical use:
 *
 * ```ts
 * const found = recognizeStack({ reference: target.reference, httpServer: outcome.httpServer, protocol: target.protocol });
 * const remediation = advise('require-client-cert', found?.stack);
 * const evidence = { advice: advisedStackNote(found) };
 * ```
 *
 * Where a stack has no knob for something, the line says so instead of inventing one (Go checks
 * dates and EKU by default: a Go server that accepts an expired client runs custom verification).
 */
import type { TlsVersion } from '../core/target.js';

/** The server stacks the harness can recognise and give specific advice for. */
export type Stack =
  | 'nginx'
  | 'haproxy'
  | 'envoy'
  | 'istio'
  | 'apache'
  | 'caddy'
  | 'traefik'
  | 'kong'
  | 'lighttpd'
  | 'iis'
  | 'dotnet'
  | 'go'
  | 'java'
  | 'python'
  | 'node'
  | 'grpc'
  | 'openssl'
  | 'gnutls'
  | 'stunnel';

/** Every stack, in a stable order. */
export const STACKS: readonly Stack[] = ['nginx', 'haproxy', 'envoy', 'istio', 'apache', 'caddy', 'traefik', 'kong', 'lighttpd', 'iis', 'dotnet', 'go', 'java', 'python', 'node', 'grpc', 'openssl', 'gnutls', 'stunnel'];

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
 * certificate, the server certificate, protocol, and operations (rotation).
 */
export type Topic =
  // Client authentication (the server's configuration)
  | 'require-client-cert'
  | 'verify-client-cert'
  | 'check-client-eku'
  | 'reject-ca-as-client'
  | 'check-client-dates'
  | 'authorize-client-identity'
  | 'allow-intermediate-clients'
  | 'trust-client-ca'
  | 'refuse-in-tls'
  // The user's own client certificate was refused
  | 'client-cert-revoked'
  | 'client-cert-expired-own'
  | 'client-cert-refused'
  | 'client-cert-renew'
  // The server certificate
  | 'send-full-chain'
  | 'server-chain-order'
  | 'trust-anchor-missing'
  | 'server-cert-untrusted'
  | 'server-leaf-profile'
  | 'san-coverage'
  | 'server-cert-renew'
  | 'cert-not-yet-valid'
  // Protocol
  | 'min-tls-version'
  | 'alpn-h2'
  | 'grpc-health'
  | 'plaintext-port'
  // Operations: certificate and CA rotation
  | 'graceful-reload'
  | 'rollout-overlap'
  | 'ca-rotation-overlap'
  | 'reload-client-ca'
  | 'cert-files-delivered'
  | 'prober-rate';

/** Every topic, in a stable order. */
export const TOPICS: readonly Topic[] = [
  'require-client-cert', 'verify-client-cert', 'check-client-eku', 'reject-ca-as-client', 'check-client-dates', 'authorize-client-identity', 'allow-intermediate-clients', 'trust-client-ca', 'refuse-in-tls',
  'client-cert-revoked', 'client-cert-expired-own', 'client-cert-refused', 'client-cert-renew',
  'send-full-chain', 'server-chain-order', 'trust-anchor-missing', 'server-cert-untrusted', 'server-leaf-profile', 'san-coverage', 'server-cert-renew', 'cert-not-yet-valid',
  'min-tls-version', 'alpn-h2', 'grpc-health', 'plaintext-port',
  'graceful-reload', 'rollout-overlap', 'ca-rotation-overlap', 'reload-client-ca', 'cert-files-delivered', 'prober-rate',
];

/** Optional details some topics use. Everything else about a finding belongs in its message. */
export interface AdviceParams {
  /** `min-tls-version`: the policy minimum (default TLSv1.2). */
  minTlsVersion?: TlsVersion;
  /** `san-coverage`: the names the certificate must cover (IPs become `IP:`, others `DNS:`, URIs `URI:`). */
  names?: string[];
}

/** What {@link recognizeStack} looks at. Every field is optional; header values are hostile input. */
export interface StackHints {
  /** The harness's reference implementation in use (`node`, `node-grpc`, `openssl`, `nginx`, `haproxy`, `stunnel`, `gnutls`, `caddy`, …). */
  reference?: string;
  /** The HTTP `Server` response header. */
  httpServer?: string;
  /** The ALPN protocol the server chose (shown in the evidence of a gRPC guess; identifies no stack on its own). */
  alpn?: string;
  /** The target's protocol: `grpc` with no proxy identified means advice for the gRPC libraries. */
  protocol?: 'https' | 'tls' | 'grpc';
  /** The `server` header of a gRPC response (proxies such as Envoy or nginx set it; gRPC libraries do not). */
  grpcServer?: string;
}

/** A recognised stack and what gave it away (printable ASCII, at most 60 characters of any header). */
export interface RecognizedStack {
  stack: Stack;
  evidence: string;
}

// ---------------------------------------------------------------------------------------------
// Recognition

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
function clip(s: string, max = 60): string {
  const clean = s.replace(/[^\x20-\x7e]/g, '?').trim();
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

/** The stack a Server header names, or undefined. Only the first product token is read. */
function stackFromServerHeader(header: string): Stack | undefined {
  const head = header.replace(/[^\x20-\x7e]/g, '?').trim().slice(0, 200);
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
    const name = hints.reference.trim().toLowerCase().split(/[/:\s(]/)[0] ?? '';
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

// ---------------------------------------------------------------------------------------------
// Per-stack settings

/** The settings of one stack that advice is built from. A missing entry means "no specific line". */
interface StackProfile {
  /** Make a client certificate mandatory (and verified). */
  require: string;
  /** Verify against the CA rather than accept any certificate. */
  verify: string;
  /** Noun phrase: where the client-CA bundle is configured ("the ca option of tls.createServer"). */
  caFile: string;
  /** Intermediate-issued clients: depth limit, or none. */
  depth: string;
  eku: string;
  caLeaf: string;
  dates: string;
  identity: string;
  /** Where the revocation list the server checks comes from. */
  crl: string;
  /** Clock / date handling for a refusal of the user's own certificate as expired. */
  clock?: string;
  minVersion: (v: TlsVersion) => string;
  /** Full statement: how the server's chain file must look. */
  chainFile: string;
  /** Noun phrase: where the served certificate is configured. */
  serverCert: string;
  /** Full statement: how a new server certificate is put in place. */
  installCert: string;
  /** Imperative fragment: reload certificates without dropping connections. */
  reload: string;
  /** Imperative fragment: make a changed client-CA bundle take effect (default: reload). */
  reloadCa?: string;
  alpnH2?: string;
  grpcHealth?: string;
  tlsRefusal: string;
  plaintext?: string;
}

const MINOR: Record<TlsVersion, number> = { TLSv1: 0, 'TLSv1.1': 1, 'TLSv1.2': 2, 'TLSv1.3': 3 };
/** The versions at or above `v`, in node's spelling: TLSv1.2 → ["TLSv1.2", "TLSv1.3"]. */
const atLeast = (v: TlsVersion): TlsVersion[] => (['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as TlsVersion[]).filter((x) => MINOR[x] >= MINOR[v]);
/** The versions below `v`. */
const below = (v: TlsVersion): TlsVersion[] => (['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as TlsVersion[]).filter((x) => MINOR[x] < MINOR[v]);
/** "1.2", "1.0" */
const num = (v: TlsVersion): string => `1.${MINOR[v]}`;
/** "12", "10" */
const compact = (v: TlsVersion): string => `1${MINOR[v]}`;

const PROFILES: Readonly<Record<Stack, StackProfile>> = {
  nginx: {
    require: 'ssl_verify_client on + ssl_client_certificate ca.pem',
    verify: 'ssl_verify_client on with ssl_client_certificate ca.pem (never optional_no_ca)',
    caFile: 'the ssl_client_certificate file',
    depth: 'raise ssl_verify_depth to 2 or more (the default 1 allows no intermediate)',
    eku: 'OpenSSL checks the clientAuth EKU under ssl_verify_client on, so one getting through means optional_no_ca (or optional without checking $ssl_client_verify)',
    caLeaf: 'no directive for it (OpenSSL does not refuse CA:TRUE leaves by itself), so refuse it in the application or keep the client CA from issuing sub-CAs',
    dates: 'OpenSSL checks dates under ssl_verify_client on, so an expired client getting through means optional_no_ca (or a wrong server clock)',
    identity: 'map $ssl_client_s_dn to an allow-list and return 403 for the rest',
    crl: 'the revocation list is the ssl_crl file (reload nginx after updating it)',
    minVersion: (v) => `ssl_protocols ${atLeast(v).join(' ')}`,
    chainFile: 'ssl_certificate must name the full-chain file (leaf first, then the intermediates)',
    serverCert: 'the ssl_certificate and ssl_certificate_key files',
    installCert: 'put the new files where ssl_certificate and ssl_certificate_key point, then run nginx -s reload',
    reload: 'run nginx -s reload (old workers finish their connections)',
    alpnH2: 'http2 on (or listen … ssl http2 before 1.25.1) with grpc_pass to the backend',
    grpcHealth: 'check that the location uses grpc_pass (not proxy_pass) to a live gRPC backend',
    tlsRefusal: 'nginx answers 400 by design under ssl_verify_client on and has no handshake-level refusal, so terminate mTLS in front of it if the policy needs one',
    plaintext: 'remove the plain listen server for this site or make it return 444',
  },
  haproxy: {
    require: 'verify required ca-file ca.pem on the bind line',
    verify: 'verify required with ca-file on the bind line (no ca-ignore-err or crt-ignore-err)',
    caFile: 'the ca-file of the bind line',
    depth: 'haproxy sets no depth limit of its own, so have the client send its intermediate or add the intermediate to ca-file',
    eku: 'OpenSSL checks the clientAuth EKU under verify required, so one getting through means verify optional or crt-ignore-err',
    caLeaf: 'no bind option for it (OpenSSL does not refuse CA:TRUE leaves by itself), so refuse it in the backend or keep the client CA from issuing sub-CAs',
    dates: 'OpenSSL checks dates under verify required, so an expired client getting through means crt-ignore-err (or a wrong server clock)',
    identity: 'http-request deny unless { ssl_c_s_dn(CN) -m str <allowed> }',
    crl: 'the revocation list is the crl-file of the bind line (reload haproxy after updating it)',
    minVersion: (v) => `ssl-min-ver TLSv${num(v)} on the bind line (or ssl-default-bind-options)`,
    chainFile: 'the crt PEM must hold the leaf, then the intermediates, then the key',
    serverCert: 'the crt file of the bind line',
    installCert: 'replace the crt file of the bind line, then reload haproxy',
    reload: 'reload haproxy in master-worker mode (old processes finish their connections)',
    alpnH2: 'alpn h2,http/1.1 on the bind line and proto h2 on the gRPC server line',
    grpcHealth: 'check that the backend server line uses proto h2 and points at a live gRPC server',
    tlsRefusal: 'verify required refuses in the handshake (instead of verify optional plus an http-request deny)',
    plaintext: 'remove the plain bind (e.g. bind :80) or make its frontend deny every request',
  },
  envoy: {
    require: 'DownstreamTlsContext require_client_certificate: true with validation_context.trusted_ca',
    verify: 'validation_context.trusted_ca set to your CA (no trust_chain_verification: ACCEPT_UNTRUSTED)',
    caFile: 'validation_context.trusted_ca',
    depth: 'Envoy allows intermediates by default (depth 100) unless max_verify_depth is set lower, so raise it or have the client send its intermediate (or add it to trusted_ca)',
    eku: 'no EKU setting, so check that no custom_validator_config or ACCEPT_UNTRUSTED relaxes verification and filter on the certificate in an RBAC or Lua filter if needed',
    caLeaf: 'no setting for it, so refuse CA:TRUE clients in an ext_authz or Lua filter or keep the client CA from issuing sub-CAs',
    dates: 'remove allow_expired_certificate: true from the validation_context (and check the clock)',
    identity: 'match_typed_subject_alt_names in the validation_context (or an RBAC filter on the principal)',
    crl: 'the revocation list is validation_context.crl (delivered by file or SDS)',
    minVersion: (v) => `common_tls_context.tls_params.tls_minimum_protocol_version: TLSv1_${MINOR[v]}`,
    chainFile: 'tls_certificates.certificate_chain must hold the leaf, then the intermediates',
    serverCert: 'tls_certificates (or the SDS secret)',
    installCert: 'update the file or SDS secret behind tls_certificates (SDS updates apply without a restart)',
    reload: 'deliver certificates through SDS (a watched file or an SDS server) so listeners update without a restart',
    reloadCa: 'deliver the validation context through SDS (a watched file or an SDS server) so a new bundle applies without a restart',
    alpnH2: 'alpn_protocols: [h2] in common_tls_context with an HTTP/2-capable HTTP connection manager',
    grpcHealth: 'check that the route goes to a cluster with HTTP/2 (http2_protocol_options) and a live gRPC backend',
    tlsRefusal: 'require_client_certificate: true refuses in the handshake (instead of an RBAC or ext_authz filter)',
    plaintext: 'remove the listener without a transport_socket',
  },
  istio: {
    require: 'Gateway server tls.mode: MUTUAL with a credentialName Secret holding ca.crt (sidecars: PeerAuthentication mtls.mode STRICT)',
    verify: 'tls.mode: MUTUAL (not OPTIONAL_MUTUAL) with ca.crt in the credentialName Secret',
    caFile: 'ca.crt in the Gateway credentialName Secret',
    depth: 'no depth limit, so have the client send its intermediate or include the intermediate in ca.crt',
    eku: 'no Gateway setting for it, so check that no EnvoyFilter relaxes certificate validation',
    caLeaf: 'no Gateway setting for it, so refuse CA:TRUE clients in the application or keep the client CA from issuing sub-CAs',
    dates: 'no Gateway setting skips date checks, so look for an EnvoyFilter setting allow_expired_certificate (and check the clock)',
    identity: 'list the allowed client SANs in the Gateway tls.subjectAltNames (or an AuthorizationPolicy on principals)',
    crl: 'the revocation list is the one the gateway loads (the ca.crl key of the credentialName Secret)',
    minVersion: (v) => `Gateway tls.minProtocolVersion: TLSV1_${MINOR[v]} (mesh: meshConfig.meshMTLS.minProtocolVersion)`,
    chainFile: 'tls.crt in the credentialName Secret must hold the leaf, then the intermediates',
    serverCert: 'tls.crt and tls.key in the credentialName Secret',
    installCert: 'update tls.crt and tls.key in the credentialName Secret (the gateway picks them up without a restart)',
    reload: 'update the credentialName Secret (the gateway picks it up through SDS without a restart)',
    alpnH2: 'name the Service port grpc-… (or appProtocol: grpc) so the gateway speaks HTTP/2 to it',
    grpcHealth: 'check that the VirtualService routes to the gRPC Service and its port is named grpc-… (or appProtocol: grpc)',
    tlsRefusal: 'tls.mode: MUTUAL refuses in the handshake',
    plaintext: 'remove the plain HTTP server from the Gateway',
  },
  apache: {
    require: 'SSLVerifyClient require + SSLCACertificateFile ca.pem',
    verify: 'SSLVerifyClient require with SSLCACertificateFile ca.pem (never optional_no_ca)',
    caFile: 'SSLCACertificateFile',
    depth: 'raise SSLVerifyDepth to 2 or more (the default 1 allows no intermediate)',
    eku: 'OpenSSL checks the clientAuth EKU under SSLVerifyClient require, so one getting through means optional_no_ca',
    caLeaf: 'no directive for it (OpenSSL does not refuse CA:TRUE leaves by itself), so refuse it in the application or keep the client CA from issuing sub-CAs',
    dates: 'OpenSSL checks dates under SSLVerifyClient require, so an expired client getting through means optional_no_ca (or a wrong server clock)',
    identity: 'Require expr with %{SSL_CLIENT_S_DN_CN} (or SSL_CLIENT_SAN_*) against an allow-list',
    crl: 'the revocation list is SSLCARevocationFile (with SSLCARevocationCheck chain)',
    minVersion: (v) => `SSLProtocol -all ${atLeast(v).map((x) => `+${x}`).join(' ')}`,
    chainFile: 'SSLCertificateFile must hold the leaf, then the intermediates',
    serverCert: 'SSLCertificateFile and SSLCertificateKeyFile',
    installCert: 'replace SSLCertificateFile and SSLCertificateKeyFile, then run apachectl graceful',
    reload: 'run apachectl graceful',
    alpnH2: 'Protocols h2 http/1.1 (mod_http2) and proxy gRPC with an h2:// backend',
    grpcHealth: 'check that ProxyPass uses an h2:// backend that is a live gRPC server',
    tlsRefusal: 'SSLVerifyClient require at server or virtual-host level refuses in the handshake (in a Location it renegotiates and answers 403)',
    plaintext: 'remove the VirtualHost on the plain port (or make it serve nothing)',
  },
  caddy: {
    require: 'tls client_auth with mode require_and_verify and trusted_ca_cert_file ca.pem (trust_pool file in Caddy 2.8+)',
    verify: 'client_auth mode require_and_verify (require and request do not verify)',
    caFile: 'client_auth trusted_ca_cert_file (trust_pool file in Caddy 2.8+)',
    depth: 'Caddy sets no depth limit, so have the client send its intermediate or add the intermediate to the trusted CA file',
    eku: 'Caddy (Go) checks the clientAuth EKU under require_and_verify, so one getting through means mode require or request',
    caLeaf: 'no setting for it (Go does not refuse CA:TRUE leaves by itself), so add a client_auth verifier module or keep the client CA from issuing sub-CAs',
    dates: 'Caddy (Go) checks dates under require_and_verify, so an expired client getting through means mode require or request',
    identity: 'pin allowed clients with trusted_leaf_cert_file, or match {http.request.tls.client.subject} and respond 403 to the rest',
    crl: 'Caddy loads no CRL itself, so the revocation comes from a client_auth verifier module or a proxy in front',
    minVersion: (v) => `tls { protocols tls${num(v)} }`,
    chainFile: 'the certificate file given to the tls directive must hold the leaf, then the intermediates',
    serverCert: 'the files given to the tls directive',
    installCert: 'replace the files given to the tls directive, then run caddy reload',
    reload: 'run caddy reload',
    alpnH2: 'Caddy offers h2 by default, so do not restrict the server protocols or tls alpn to http/1.1 and proxy gRPC with reverse_proxy h2c:// or transport http versions 2',
    grpcHealth: 'check that reverse_proxy reaches a live gRPC backend over HTTP/2 (h2c:// or transport http versions 2)',
    tlsRefusal: 'mode require_and_verify refuses in the handshake',
    plaintext: 'remove http:// site blocks that serve content',
  },
  traefik: {
    require: 'a TLSOption with clientAuth.clientAuthType: RequireAndVerifyClientCert and clientAuth.caFiles (Kubernetes: secretNames)',
    verify: 'clientAuthType RequireAndVerifyClientCert (not RequireAnyClientCert or RequestClientCert)',
    caFile: 'the TLSOption clientAuth.caFiles (or secretNames)',
    depth: 'Traefik (Go) sets no depth limit, so have the client send its intermediate or add the intermediate to caFiles',
    eku: 'Traefik (Go) checks the clientAuth EKU under RequireAndVerifyClientCert, so one getting through means RequireAnyClientCert',
    caLeaf: 'no setting for it (Go does not refuse CA:TRUE leaves by itself), so refuse it in the backend or keep the client CA from issuing sub-CAs',
    dates: 'Traefik (Go) checks dates under RequireAndVerifyClientCert, so an expired client getting through means RequireAnyClientCert',
    identity: 'Traefik has no allow-list, so forward the certificate with the PassTLSClientCert middleware and authorize the subject in the backend',
    crl: 'clientAuth has no CRL setting, so the revocation comes from a plugin or the backend',
    minVersion: (v) => `TLSOption minVersion: VersionTLS${compact(v)}`,
    chainFile: 'the certFile (or the Secret tls.crt) must hold the leaf, then the intermediates',
    serverCert: 'the tls.certificates certFile and keyFile (or the Secret)',
    installCert: 'replace the certFile and keyFile (or the Secret), which Traefik reloads without a restart',
    reload: 'update the dynamic TLS configuration or Secret (Traefik reloads it without a restart)',
    alpnH2: 'keep h2 in the TLSOption alpnProtocols (the default) and use an h2c:// or https service for gRPC',
    grpcHealth: 'check that the service uses scheme h2c (or https) to a live gRPC backend',
    tlsRefusal: 'RequireAndVerifyClientCert refuses in the handshake',
    plaintext: 'remove routers on the plain entryPoint (web)',
  },
  kong: {
    require: 'the mtls-auth plugin with config.ca_certificates (or nginx_proxy_ssl_verify_client = on with nginx_proxy_ssl_client_certificate in kong.conf)',
    verify: 'mtls-auth config.ca_certificates set to your CA certificates only',
    caFile: 'the mtls-auth config.ca_certificates',
    depth: 'have the client send its intermediate, or add the intermediate as a CA Certificate with config.allow_partial_chain',
    eku: 'no mtls-auth setting for it, so refuse such clients in a plugin or the backend',
    caLeaf: 'no mtls-auth setting for it, so refuse CA:TRUE clients in a plugin or the backend',
    dates: 'mtls-auth has no option to skip dates, so check the clock on the Kong nodes',
    identity: 'map clients to Consumers with mtls-auth (consumer_by username or custom_id) and restrict routes with the acl plugin',
    crl: 'the revocation check is mtls-auth config.revocation_check_mode (the CRL or OCSP responder it consults lists the certificate)',
    minVersion: (v) => `ssl_protocols = ${atLeast(v).join(' ')} in kong.conf`,
    chainFile: 'the Certificate entity (or ssl_cert in kong.conf) must hold the leaf, then the intermediates',
    serverCert: 'the Certificate entity (or ssl_cert and ssl_cert_key in kong.conf)',
    installCert: 'update the Certificate entity (or ssl_cert and ssl_cert_key in kong.conf, then kong reload)',
    reload: 'update the Certificate entity (applied without a restart) or run kong reload',
    alpnH2: 'a proxy_listen with the http2 flag (e.g. 0.0.0.0:8443 http2 ssl) and a route with protocols grpcs',
    grpcHealth: 'check that the route has protocols grpcs and its service (protocol grpc or grpcs) is a live gRPC server',
    tlsRefusal: 'mtls-auth refuses at the HTTP layer by design, so refuse in TLS with nginx_proxy_ssl_verify_client = on in kong.conf',
    plaintext: 'remove the plain proxy_listen address',
  },
  lighttpd: {
    require: 'ssl.verifyclient.activate = "enable" + ssl.verifyclient.enforce = "enable" + ssl.verifyclient.ca-file',
    verify: 'ssl.verifyclient.enforce = "enable" with ssl.verifyclient.ca-file set to your CA',
    caFile: 'ssl.verifyclient.ca-file (ssl.ca-file before 1.4.60)',
    depth: 'raise ssl.verifyclient.depth so it covers the intermediate',
    eku: 'OpenSSL checks the clientAuth EKU when ssl.verifyclient.enforce is enabled, so one getting through means enforce is off',
    caLeaf: 'no setting for it (OpenSSL does not refuse CA:TRUE leaves by itself), so refuse it in the application or keep the client CA from issuing sub-CAs',
    dates: 'OpenSSL checks dates when ssl.verifyclient.enforce is enabled, so an expired client getting through means enforce is off (or a wrong clock)',
    identity: 'ssl.verifyclient.username = "SSL_CLIENT_S_DN_CN" with mod_auth require "user=…" for the allowed clients',
    crl: 'the revocation list is ssl.verifyclient.ca-crl-file (ssl.ca-crl-file before 1.4.60)',
    minVersion: (v) => `ssl.openssl.ssl-conf-cmd = ("MinProtocol" => "TLSv${num(v)}")`,
    chainFile: 'ssl.pemfile must hold the leaf, then the intermediates',
    serverCert: 'ssl.pemfile and ssl.privkey',
    installCert: 'replace ssl.pemfile and ssl.privkey, then send lighttpd SIGUSR1',
    reload: 'send lighttpd SIGUSR1 (graceful restart)',
    alpnH2: 'keep server.h2proto enabled (the default since 1.4.59)',
    tlsRefusal: 'ssl.verifyclient.enforce = "enable" refuses in the handshake',
    plaintext: 'remove the $SERVER["socket"] blocks without ssl.engine',
  },
  iis: {
    require: 'SSL Settings: Require SSL + Client certificates Require (sslFlags "Ssl, SslNegotiateCert, SslRequireCert")',
    verify: 'trust only your CA for clients: list it in a CTL store bound with netsh http add sslcert … sslctlstorename=',
    caFile: 'the machine Trusted Root Certification Authorities store (and the binding CTL store if one is set)',
    depth: 'Windows sets no depth limit, so put the intermediate in the machine Intermediate Certification Authorities store',
    eku: 'no IIS setting for it, so check the EKU in the application or with Client Certificate Mapping rules',
    caLeaf: 'no IIS setting for it, so refuse CA:TRUE clients in the application',
    dates: 'Windows checks dates when building the client chain, so check the server clock and any application code that accepts the certificate anyway',
    identity: 'Client Certificate Mapping Authentication (one-to-one or many-to-one rules) to allowed accounts',
    crl: 'Windows checks the CRL published at the certificate CRL distribution point (certstorename and revocation flags of netsh http sslcert)',
    minVersion: (v) => `disable ${below(v).map((x) => `TLS ${num(x)}`).join(' and ') || 'older protocols'} under the SCHANNEL Protocols registry key (Server Enabled=0)`,
    chainFile: 'Windows sends the intermediates it finds, so import them into the machine Intermediate Certification Authorities store',
    serverCert: 'the https binding certificate',
    installCert: 'import the new certificate and switch the https binding to it',
    reload: 'switch the https binding to the new certificate (no restart needed)',
    alpnH2: 'IIS offers HTTP/2 over TLS by default since Windows Server 2016, so check it is not disabled on the binding',
    tlsRefusal: 'IIS refuses missing certificates with HTTP 403.7 by design, so terminate mTLS in front of it if the policy needs a handshake refusal',
    plaintext: 'remove the http binding',
  },
  dotnet: {
    require: 'ClientCertificateMode = ClientCertificateMode.RequireCertificate in HttpsConnectionAdapterOptions',
    verify: 'validate in ClientCertificateValidation with an X509Chain whose ChainPolicy.TrustMode is CustomRootTrust over your CA (never return true unconditionally)',
    caFile: 'ChainPolicy.CustomTrustStore of the X509Chain in ClientCertificateValidation',
    depth: 'no depth limit, so have the client send its intermediate or add it to ChainPolicy.ExtraStore',
    eku: 'add the clientAuth OID 1.3.6.1.5.5.7.3.2 to ChainPolicy.ApplicationPolicy',
    caLeaf: 'refuse certificates whose X509BasicConstraintsExtension has CertificateAuthority set in ClientCertificateValidation',
    dates: 'remove VerificationFlags.IgnoreNotTimeValid from the ChainPolicy (and check the clock)',
    identity: 'authorize the subject or SAN in CertificateAuthenticationEvents.OnCertificateValidated against an allow-list',
    crl: 'the revocation check follows ChainPolicy.RevocationMode and the CRL at the certificate distribution point',
    minVersion: (v) => `SslProtocols = ${atLeast(v).map((x) => `SslProtocols.Tls${compact(x)}`).join(' | ')}`,
    chainFile: 'load the certificate with its intermediates (PEM chain or PFX) so Kestrel sends them',
    serverCert: 'the Kestrel endpoint Certificate',
    installCert: 'replace the Kestrel endpoint certificate (reloadOnChange or a ServerCertificateSelector picks it up)',
    reload: 'load certificates from configuration with reloadOnChange (or a ServerCertificateSelector) instead of restarting',
    alpnH2: 'Protocols = HttpProtocols.Http2 (or Http1AndHttp2) on the endpoint',
    grpcHealth: 'map the health service with MapGrpcHealthChecksService',
    tlsRefusal: 'RequireCertificate with ClientCertificateValidation refuses in the handshake',
    plaintext: 'remove the http:// URL from the Kestrel endpoints (ASPNETCORE_URLS)',
  },
  go: {
    require: 'tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}',
    verify: 'ClientAuth tls.RequireAndVerifyClientCert with ClientCAs (not RequireAnyClientCert), and no VerifyPeerCertificate that accepts everything',
    caFile: 'tls.Config ClientCAs',
    depth: 'Go sets no depth limit, so have the client send its intermediate or add the intermediate to ClientCAs',
    eku: 'Go requires the clientAuth EKU under RequireAndVerifyClientCert and cannot be told to skip it, so remove the custom verification (RequireAnyClientCert plus VerifyPeerCertificate) that accepted it',
    caLeaf: 'crypto/tls does not refuse a CA:TRUE client leaf by itself, so refuse cs.PeerCertificates[0].IsCA in tls.Config.VerifyConnection',
    dates: 'Go checks dates under RequireAndVerifyClientCert and cannot be told to skip them, so remove the custom verification that accepted it (or fix tls.Config.Time)',
    identity: 'check cs.PeerCertificates[0].URIs or DNSNames against an allow-list in tls.Config.VerifyConnection',
    crl: 'crypto/tls checks no CRL itself, so the revocation comes from the server code (VerifyPeerCertificate or VerifyConnection)',
    clock: 'the check uses the server clock (or tls.Config.Time if set)',
    minVersion: (v) => `MinVersion: tls.VersionTLS${compact(v)}`,
    chainFile: 'the certificate file given to tls.LoadX509KeyPair must hold the leaf, then the intermediates',
    serverCert: 'tls.Config Certificates (or GetCertificate)',
    installCert: 'replace the files and serve them through tls.Config.GetCertificate so they are read without a restart',
    reload: 'serve certificates through tls.Config.GetCertificate that re-reads the files instead of restarting',
    reloadCa: 'ClientCAs is read once, so rebuild the pool in tls.Config.GetConfigForClient (or restart with overlap)',
    alpnH2: 'NextProtos: []string{"h2"} (net/http ServeTLS and grpc-go set it unless TLSNextProto disables HTTP/2)',
    grpcHealth: 'register health.NewServer() with healthpb.RegisterHealthServer on the grpc.Server',
    tlsRefusal: 'RequireAndVerifyClientCert refuses in the handshake (instead of checking r.TLS.PeerCertificates in the handler)',
    plaintext: 'remove the plain http.ListenAndServe listener',
  },
  java: {
    require: 'setNeedClientAuth(true) on the SSLServerSocket or SSLEngine with a truststore holding your CA (Spring Boot: server.ssl.client-auth=need)',
    verify: 'a TrustManager built from a truststore holding only your CA (no trust-all X509TrustManager), Spring Boot server.ssl.trust-store',
    caFile: 'the truststore (javax.net.ssl.trustStore, Spring Boot server.ssl.trust-store)',
    depth: 'PKIX sets no practical depth limit, so have the client send its intermediate or add the intermediate to the truststore',
    eku: 'SunJSSE checks the clientAuth EKU by default, so one getting through means a custom X509TrustManager that skips checks: remove it',
    caLeaf: 'no setting for it, so refuse getBasicConstraints() != -1 on the client leaf in a wrapping X509TrustManager',
    dates: 'SunJSSE checks dates by default, so a custom X509TrustManager that skips them must go (or fix the clock)',
    identity: 'authorize the subject or getSubjectAlternativeNames() after the handshake (Spring Security x509() with a UserDetailsService allow-list)',
    crl: 'the revocation check is the PKIX one (com.sun.net.ssl.checkRevocation, ocsp.enable or the CRL distribution point)',
    minVersion: (v) => `setEnabledProtocols to ${atLeast(v).join(', ')} (Spring Boot server.ssl.enabled-protocols, or jdk.tls.disabledAlgorithms)`,
    chainFile: 'the keystore key entry must hold the full certificate chain (leaf, then the intermediates)',
    serverCert: 'the keystore key entry (Spring Boot server.ssl.key-store or an SSL bundle)',
    installCert: 'replace the keystore entry (a Spring Boot SSL bundle with reload-on-update: true picks it up)',
    reload: 'use a Spring Boot SSL bundle with reload-on-update: true (or swap the SSLContext) instead of restarting',
    alpnH2: 'enable HTTP/2 (Spring Boot server.http2.enabled=true, grpc-java NettyServerBuilder with GrpcSslContexts)',
    grpcHealth: 'add the grpc-services HealthStatusManager health service to the server',
    tlsRefusal: 'setNeedClientAuth(true) refuses in the handshake (setWantClientAuth plus a check in the servlet refuses only at HTTP)',
    plaintext: 'remove the plain HTTP connector',
  },
  python: {
    require: 'ctx.verify_mode = ssl.CERT_REQUIRED with ctx.load_verify_locations(cafile="ca.pem") (uvicorn --ssl-cert-reqs 2 --ssl-ca-certs, gunicorn --cert-reqs 2 --ca-certs)',
    verify: 'ssl.CERT_REQUIRED (not CERT_OPTIONAL) with load_verify_locations of your CA only',
    caFile: 'ctx.load_verify_locations(cafile=…)',
    depth: 'no practical depth limit, so have the client send its intermediate or add the intermediate to the CA file',
    eku: 'OpenSSL checks the clientAuth EKU under ssl.CERT_REQUIRED, so one getting through means CERT_OPTIONAL or CERT_NONE',
    caLeaf: 'no setting for it, so refuse CA:TRUE clients after the handshake by parsing getpeercert(binary_form=True)',
    dates: 'OpenSSL checks dates under ssl.CERT_REQUIRED, so an expired client getting through means CERT_OPTIONAL or CERT_NONE (or a wrong clock)',
    identity: "check getpeercert()['subjectAltName'] against an allow-list after the handshake",
    crl: 'the revocation list is the CRL loaded with load_verify_locations under verify_flags ssl.VERIFY_CRL_CHECK_LEAF',
    minVersion: (v) => `ctx.minimum_version = ssl.TLSVersion.TLSv1_${MINOR[v]}`,
    chainFile: 'the certfile given to ctx.load_cert_chain must hold the leaf, then the intermediates',
    serverCert: 'the files given to ctx.load_cert_chain',
    installCert: 'replace the files given to ctx.load_cert_chain and load them into a new SSLContext (gunicorn: HUP)',
    reload: 'build a new SSLContext for new connections (gunicorn: send HUP for a graceful reload)',
    alpnH2: 'ctx.set_alpn_protocols(["h2"]) (grpcio does it itself)',
    grpcHealth: 'add grpc_health.v1 HealthServicer with add_HealthServicer_to_server',
    tlsRefusal: 'ssl.CERT_REQUIRED refuses in the handshake',
    plaintext: 'remove the plain HTTP listener',
  },
  node: {
    require: 'tls.createServer({ requestCert: true, rejectUnauthorized: true, ca })',
    verify: 'rejectUnauthorized: true with ca set to your CA (not rejectUnauthorized: false with a check of socket.authorized that can be missed)',
    caFile: 'the ca option of tls.createServer',
    depth: 'Node sets no depth limit, so have the client send its intermediate or add the intermediate to ca',
    eku: 'OpenSSL checks the clientAuth EKU under rejectUnauthorized: true, so one getting through means rejectUnauthorized: false',
    caLeaf: 'no option for it, so refuse socket.getPeerCertificate().ca === true on secureConnection',
    dates: 'OpenSSL checks dates under rejectUnauthorized: true, so an expired client getting through means rejectUnauthorized: false (or a wrong clock)',
    identity: 'check socket.getPeerCertificate().subjectaltname against an allow-list on secureConnection',
    crl: 'the revocation list is the crl option of tls.createServer',
    minVersion: (v) => `minVersion: 'TLSv${num(v)}'`,
    chainFile: 'the cert option must hold the leaf, then the intermediates',
    serverCert: 'the cert and key options',
    installCert: 'replace the files and call server.setSecureContext({ cert, key, ca })',
    reload: 'call server.setSecureContext({ cert, key, ca }) when the files change',
    alpnH2: 'http2.createSecureServer (ALPN h2)',
    grpcHealth: 'add the grpc-health-check service to the server',
    tlsRefusal: 'rejectUnauthorized: true refuses in the handshake',
    plaintext: 'remove the plain http.createServer listener',
  },
  grpc: {
    require: 'grpc-js ServerCredentials.createSsl(ca, keyCertPairs, true), grpc-go credentials.NewTLS with ClientAuth: tls.RequireAndVerifyClientCert',
    verify: 'grpc-js createSsl with checkClientCertificate true and your CA as rootCerts, grpc-go RequireAndVerifyClientCert (not RequireAnyClientCert)',
    caFile: 'the rootCerts of ServerCredentials.createSsl (grpc-go: tls.Config ClientCAs)',
    depth: 'gRPC libraries set no depth limit, so have the client send its intermediate or add the intermediate to the client CA certificates',
    eku: 'grpc-js and grpc-go check the clientAuth EKU when client certificates are verified, so one getting through means checkClientCertificate false or RequireAnyClientCert',
    caLeaf: 'no option for it, so refuse CA:TRUE clients in an interceptor (grpc-go: VerifyConnection checking PeerCertificates[0].IsCA)',
    dates: 'gRPC libraries check dates when client certificates are verified, so an expired client getting through means verification is off or customised',
    identity: 'authorize the peer certificate in an interceptor (grpc-go: peer.FromContext and credentials.TLSInfo)',
    crl: 'grpc-js loads no CRL, grpc-go checks one only through advancedtls revocation options',
    minVersion: (v) => `grpc-go MinVersion: tls.VersionTLS${compact(v)} (grpc-js follows Node --tls-min-v${num(v)})`,
    chainFile: 'the cert_chain of keyCertPairs (grpc-go: the certificate file) must hold the leaf, then the intermediates',
    serverCert: 'the keyCertPairs of createSsl (grpc-go: tls.Config Certificates)',
    installCert: 'replace the keyCertPairs certificate and restart with overlap (grpc-go: GetCertificate re-reads the files)',
    reload: 'start a new server on the new certificate and tryShutdown the old one (grpc-go: GetCertificate re-reading the files)',
    alpnH2: 'gRPC servers negotiate h2 themselves, so check that a TLS proxy in front forwards HTTP/2',
    grpcHealth: 'register the grpc.health.v1 Health service (grpc-health-check, grpc-go health.NewServer)',
    tlsRefusal: 'checkClientCertificate true (grpc-go RequireAndVerifyClientCert) refuses in the handshake',
    plaintext: 'do not also listen with ServerCredentials.createInsecure() (grpc-go insecure.NewCredentials())',
  },
  openssl: {
    require: '-Verify 1 -verify_return_error -CAfile ca.pem (capital -Verify requires a certificate)',
    verify: '-verify_return_error with -CAfile ca.pem (without it s_server logs the error and continues)',
    caFile: '-CAfile',
    depth: 'raise the number after -Verify to 2 or more',
    eku: 'OpenSSL checks the clientAuth EKU, so one getting through means -verify_return_error is missing',
    caLeaf: 'no option for it (OpenSSL does not refuse CA:TRUE leaves by itself)',
    dates: 'dates are checked unless -no_check_time or -attime is given, and only refused with -verify_return_error',
    identity: 'no allow-list option (it is a test server)',
    crl: 'the revocation list is -CRL crl.pem with -crl_check',
    minVersion: (v) => `-min_protocol TLSv${num(v)}`,
    chainFile: '-cert_chain must name the intermediates (or -cert the full chain)',
    serverCert: '-cert and -key',
    installCert: 'replace -cert and -key and restart it',
    reload: 'restart it (a test server has no reload)',
    alpnH2: '-alpn h2',
    grpcHealth: 'it is a TLS test server, not a gRPC server, so point the harness at the gRPC port',
    tlsRefusal: '-Verify with -verify_return_error refuses in the handshake',
  },
  gnutls: {
    require: '--require-client-cert --verify-client-cert --x509cafile ca.pem',
    verify: '--verify-client-cert with --x509cafile ca.pem',
    caFile: '--x509cafile',
    depth: 'no depth option, so have the client send its intermediate or add it to --x509cafile',
    eku: 'not possible: it verifies with no key purpose even with --verify-client-cert; a GnuTLS server must pass GNUTLS_KP_TLS_WWW_CLIENT as the purpose (gnutls_certificate_verify_peers with GNUTLS_DT_KEY_PURPOSE_OID)',
    caLeaf: 'no option for it',
    dates: 'dates are checked with --verify-client-cert, so check it is given (and the clock)',
    identity: 'no allow-list option (it is a test server)',
    crl: 'the revocation list is --x509crlfile',
    minVersion: (v) => `--priority NORMAL${below(v).map((x) => `:-VERS-TLS${num(x)}`).join('')}`,
    chainFile: '--x509certfile must hold the leaf, then the intermediates',
    serverCert: '--x509certfile and --x509keyfile',
    installCert: 'replace --x509certfile and --x509keyfile and restart it',
    reload: 'restart it (a test server has no reload)',
    alpnH2: '--alpn h2',
    grpcHealth: 'it is a TLS test server, not a gRPC server, so point the harness at the gRPC port',
    tlsRefusal: '--require-client-cert --verify-client-cert refuses in the handshake',
  },
  stunnel: {
    require: 'verifyChain = yes + CAfile = ca.pem (requireCert follows)',
    verify: 'verifyChain = yes with CAfile (verifyPeer alone only pins certificates)',
    caFile: 'CAfile',
    depth: 'have the client send its intermediate or add the intermediate to CAfile',
    eku: 'OpenSSL checks the clientAuth EKU under verifyChain = yes, so check it is set',
    caLeaf: 'no option for it (OpenSSL does not refuse CA:TRUE leaves by itself)',
    dates: 'OpenSSL checks dates under verifyChain = yes, so check it is set (and the clock)',
    identity: 'checkHost or checkEmail restrict the accepted client names',
    crl: 'the revocation list is CRLfile (or CRLpath)',
    minVersion: (v) => `sslVersionMin = TLSv${num(v)}`,
    chainFile: 'the cert file must hold the leaf, then the intermediates',
    serverCert: 'cert and key',
    installCert: 'replace cert and key, then send stunnel SIGHUP',
    reload: 'send stunnel SIGHUP (it reloads the configuration and certificates)',
    tlsRefusal: 'verifyChain = yes refuses in the handshake',
  },
};

// ---------------------------------------------------------------------------------------------
// Topics

interface TopicSpec {
  /** The stack-neutral sentence (ends with a full stop). */
  neutral: (p: AdviceParams) => string;
  /** The line for a stack, or undefined when it has none (then `generic` is used). */
  line: (s: StackProfile, p: AdviceParams) => string | undefined;
  /** A line for a stack without a specific one. */
  generic?: (label: string) => string;
  /** Stacks listed when none was recognised (at most four, the most common first). */
  fallback?: readonly Stack[];
  /** Advice to the harness user: no server change, so no list of stacks when none is recognised. */
  user?: boolean;
}

const DEFAULT_FALLBACK: readonly Stack[] = ['nginx', 'haproxy', 'envoy', 'go'];
const GRPC_FALLBACK: readonly Stack[] = ['grpc', 'envoy', 'nginx', 'go'];
/** Reissuing a certificate is the same everywhere: where it is loaded matters less, so fewer lines. */
const CERT_FALLBACK: readonly Stack[] = ['nginx', 'haproxy', 'envoy'];

const withVersion = (p: AdviceParams): TlsVersion => p.minTlsVersion ?? 'TLSv1.2';

function sanEntry(name: string): string {
  const n = clip(name, 100);
  if (n.includes('://')) return `URI:${n}`;
  if (/^\d{1,3}(?:\.\d{1,3}){3}$/.test(n) || n.includes(':')) return `IP:${n}`;
  return `DNS:${n}`;
}

const TOPIC_SPECS: Readonly<Record<Topic, TopicSpec>> = {
  'require-client-cert': {
    neutral: () => 'Require a client certificate on this listener and verify it against your CA.',
    line: (s) => s.require,
  },
  'verify-client-cert': {
    neutral: () => 'Verify client certificates against your CA, not just ask for one: a certificate from another issuer, or self-signed, must be refused.',
    line: (s) => s.verify,
  },
  'check-client-eku': {
    neutral: () => 'Refuse client certificates whose extended key usage lacks clientAuth.',
    line: (s) => s.eku,
  },
  'reject-ca-as-client': {
    neutral: () => 'Refuse CA certificates (CA:TRUE) presented as client certificates.',
    line: (s) => s.caLeaf,
  },
  'check-client-dates': {
    neutral: () => 'Refuse expired and not-yet-valid client certificates (never disable the time check) and keep the server clock in sync.',
    line: (s) => s.dates,
  },
  'authorize-client-identity': {
    neutral: () => 'After verifying the chain, authorize the client identity (SAN or SPIFFE ID) against an allow-list, not only its CA.',
    line: (s) => s.identity,
  },
  'allow-intermediate-clients': {
    neutral: () => 'Accept client certificates issued by an intermediate of your CA when the client sends that intermediate.',
    line: (s) => s.depth,
  },
  'trust-client-ca': {
    neutral: () => 'Make the server trust the CA that issued the client certificate.',
    line: (s) => `add that CA to ${s.caFile}`,
  },
  'refuse-in-tls': {
    neutral: () => 'Refuse clients without a valid certificate in the TLS handshake, not only with an HTTP error.',
    line: (s) => s.tlsRefusal,
  },
  'client-cert-revoked': {
    neutral: () => 'Your client certificate itself is revoked (alert 44 certificate_revoked): reissue it with a new key, or, if it should not be revoked, check the revocation list the server loads.',
    line: (s) => s.crl,
  },
  'client-cert-expired-own': {
    neutral: () => 'The server finds your client certificate expired (alert 45 certificate_expired): renew it, and if its dates are valid, check the server clock.',
    line: (s) => s.clock,
    generic: (label) => `${label} judges the dates by the server host clock (check NTP there)`,
    fallback: [],
  },
  'client-cert-refused': {
    neutral: () => "Check that your client certificate is issued by a CA in the server's client-CA bundle, is within its validity dates and has the clientAuth EKU, and that --cert includes any intermediate.",
    line: (s) => `the server's client-CA bundle is ${s.caFile}`,
  },
  'client-cert-renew': {
    neutral: () => 'Renew your client certificate before it expires (cert-manager: check the Certificate is Ready and renewBefore is long enough).',
    line: () => undefined,
    generic: () => 'nothing to change on the server',
    user: true,
  },
  'send-full-chain': {
    neutral: () => "Send the intermediate certificate(s) after the server's leaf.",
    line: (s) => s.chainFile,
  },
  'server-chain-order': {
    neutral: () => 'Serve the leaf first, then each issuer in turn, without unrelated certificates or the root.',
    line: (s) => s.chainFile,
  },
  'trust-anchor-missing': {
    neutral: () => "The server's chain is complete but ends at a CA the harness was not given: pass that CA bundle with --ca.",
    line: () => undefined,
    generic: () => 'nothing to change on the server',
    user: true,
  },
  'server-cert-untrusted': {
    neutral: () => 'Serve a certificate issued by the CA your clients trust, with every certificate of its chain valid (or pass the right CA with --ca if the harness was given the wrong one).',
    line: (s) => `the served certificate is ${s.serverCert}`,
  },
  'server-leaf-profile': {
    neutral: () => 'Reissue the server certificate as a TLS server certificate: CA:FALSE, EKU serverAuth, RSA 2048+ or EC P-256+, signed with SHA-256 or better.',
    line: (s) => s.installCert,
    fallback: CERT_FALLBACK,
  },
  'san-coverage': {
    neutral: (p) => `Reissue the server certificate with subjectAltName entries for every name clients use${p.names?.length ? ` (${p.names.slice(0, 8).map(sanEntry).join(', ')})` : ''}.`,
    line: (s) => s.installCert,
    fallback: CERT_FALLBACK,
  },
  'server-cert-renew': {
    neutral: () => "Renew the expiring certificate of the server's chain (leaf or intermediate) and load it before the old one expires (cert-manager: check the Certificate is Ready and renewBefore is long enough).",
    line: (s) => s.installCert,
    fallback: CERT_FALLBACK,
  },
  'cert-not-yet-valid': {
    neutral: () => "Reissue the certificate with a notBefore in the past and check the issuing machine's clock.",
    line: (s) => s.installCert,
    fallback: CERT_FALLBACK,
  },
  'min-tls-version': {
    neutral: (p) => `Set the server's minimum TLS version to ${withVersion(p)} and disable older protocols.`,
    line: (s, p) => s.minVersion(withVersion(p)),
  },
  'alpn-h2': {
    neutral: () => 'Serve gRPC over HTTP/2: the TLS port must negotiate ALPN h2.',
    line: (s) => s.alpnH2,
    generic: (label) => `${label}: check that it negotiates ALPN h2 with clients, or terminate TLS in a gRPC-capable server or proxy`,
    fallback: GRPC_FALLBACK,
  },
  'grpc-health': {
    neutral: () => 'Check that this port serves gRPC (not another protocol), that the server is up, and that it answers grpc.health.v1 Health/Check.',
    line: (s) => s.grpcHealth,
    generic: (label) => `${label}: check that it passes gRPC to a live gRPC server over HTTP/2`,
    fallback: GRPC_FALLBACK,
  },
  'plaintext-port': {
    neutral: () => 'Close plaintext listeners (HTTP/1.1 and h2c): only the mTLS port should serve data.',
    line: (s) => s.plaintext,
    generic: (label) => `${label} serves only TLS, so find the other process listening on that port (ss -ltnp) and close it`,
  },
  'graceful-reload': {
    neutral: () => 'Rotate certificates with a reload in place, without dropping connections, instead of a restart.',
    line: (s) => s.reload,
  },
  'rollout-overlap': {
    neutral: () => 'Roll out with overlap: keep old instances serving until new ones are ready (maxUnavailable: 0, readiness probes, a preStop delay), or reload certificates in place.',
    line: (s) => `to reload in place, ${s.reload}`,
  },
  'ca-rotation-overlap': {
    neutral: () => 'During a CA rotation, trust the old and the new CA together (one bundle the server has reloaded) until every client has a certificate from the new CA, and keep the new CA afterwards.',
    line: (s) => `put both CAs in ${s.caFile}`,
  },
  'reload-client-ca': {
    neutral: () => 'Reload the server after changing its client-CA bundle: the old trust stays in memory until then.',
    line: (s) => s.reloadCa ?? s.reload,
  },
  'cert-files-delivered': {
    neutral: () => 'Make sure the new certificate files reach the server (a Secret mounted as a volume, not with subPath, which never updates) and that it reloads them.',
    line: (s) => `once they are there, ${s.reload}`,
  },
  'prober-rate': {
    neutral: () => 'Lower --rate, raise --in-flight, or run the harness on a less loaded machine.',
    line: () => undefined,
    generic: () => 'nothing to change on the server',
    user: true,
  },
};

/**
 * The parts of a piece of advice: the stack-neutral sentence and the stack line(s) that follow it
 * (one for a recognised stack; for none, up to four common stacks, or none for advice to the user).
 */
export function adviceParts(topic: Topic, stack?: Stack, params: AdviceParams = {}): { neutral: string; lines: { stack: Stack; label: string; line: string }[] } {
  const spec = TOPIC_SPECS[topic];
  const neutral = spec.neutral(params);
  const lineFor = (s: Stack): string | undefined => spec.line(PROFILES[s], params) ?? spec.generic?.(STACK_LABELS[s]);
  if (stack) {
    const line = lineFor(stack) ?? `no ${STACK_LABELS[stack]} setting is known to the harness for this`;
    return { neutral, lines: [{ stack, label: STACK_LABELS[stack], line }] };
  }
  if (spec.user) return { neutral, lines: [] };
  const lines = (spec.fallback ?? DEFAULT_FALLBACK)
    .slice(0, 4)
    .flatMap((s) => {
      const line = spec.line(PROFILES[s], params);
      return line ? [{ stack: s, label: STACK_LABELS[s], line }] : [];
    });
  return { neutral, lines };
}

/**
 * One or two sentences of remediation: the stack-neutral instruction first, then the setting for
 * `stack` ("nginx: ssl_verify_client on + ssl_client_certificate ca.pem."), or, with no stack
 * recognised, the settings of up to four common stacks ("Common stacks: nginx: …; haproxy: …").
 * Advice to the harness user (`trust-anchor-missing`, `client-cert-renew`, `prober-rate`) lists no stacks, and with a
 * recognised stack says there is nothing to change on that server.
 */
export function advise(topic: Topic, stack?: Stack, params: AdviceParams = {}): string {
  const { neutral, lines } = adviceParts(topic, stack, params);
  if (lines.length === 0) return neutral;
  if (stack) {
    return `${neutral} ${labelled(lines[0]!)}.`;
  }
  return `${neutral} Common stacks: ${lines.map(labelled).join('; ')}.`;
}

/** "nginx: ssl_…", or the line itself when it already starts with the stack's name ("haproxy sets no depth limit, …"). */
function labelled(l: { label: string; line: string }): string {
  return l.line.startsWith(l.label) ? l.line : `${l.label}: ${l.line}`;
}
