import { describe, expect, it } from 'vitest';
import { adviceParts, advise, advisedStackNote, recognizeStack, STACK_LABELS, STACKS, TOPICS, type Stack, type Topic } from './advice.js';

/** Settings only one stack has: seeing one in another stack's advice means the wrong stack is named. */
const TOKENS: Record<Stack, RegExp[]> = {
  nginx: [/ssl_verify_client/, /ssl_client_certificate/, /ssl_verify_depth/, /ssl_protocols/, /ssl_crl/, /grpc_pass/, /nginx -s reload/, /\$ssl_client/],
  haproxy: [/(?<![\w.-])ca-file/, /ssl-min-ver/, /(?<![\w.-])crl-file/, /verify required/, /ssl_c_s_dn/, /bind line/],
  envoy: [
    /require_client_certificate/,
    /validation_context/,
    /trusted_ca(?!_)/,
    /match_typed_subject_alt_names/,
    /tls_minimum_protocol_version/,
    /allow_expired_certificate/,
    /\bSDS\b/,
  ],
  istio: [/credentialName/, /\bMUTUAL\b/, /PeerAuthentication/, /Gateway tls/, /meshConfig/],
  apache: [/SSLVerifyClient/, /SSLCACertificateFile/, /SSLVerifyDepth/, /SSLProtocol/, /SSLCARevocation/, /apachectl/],
  caddy: [/require_and_verify/, /trusted_ca_cert_file/, /trust_pool/, /caddy reload/],
  traefik: [/clientAuthType/, /caFiles/, /TLSOption/, /PassTLSClientCert/],
  kong: [/mtls-auth/, /kong\.conf/, /kong reload/],
  lighttpd: [/ssl\.verifyclient/, /ssl\.pemfile/, /SIGUSR1/],
  iis: [/sslFlags/, /SCHANNEL/, /netsh/],
  dotnet: [/ClientCertificateMode/, /ChainPolicy/, /SslProtocols\./, /HttpProtocols/],
  go: [/tls\.Config/, /ClientCAs/, /tls\.RequireAndVerifyClientCert/, /tls\.VersionTLS/, /VerifyConnection/, /GetCertificate/, /LoadX509KeyPair/],
  java: [/setNeedClientAuth/, /trustStore/, /trust-store/, /X509TrustManager/, /SunJSSE/, /server\.ssl\./],
  python: [/ssl\.CERT_REQUIRED/, /CERT_OPTIONAL/, /load_verify_locations/, /load_cert_chain/, /ssl\.TLSVersion/, /getpeercert/],
  node: [/requestCert/, /rejectUnauthorized/, /tls\.createServer/, /setSecureContext/, /getPeerCertificate/],
  grpc: [/createSsl/, /keyCertPairs/, /checkClientCertificate/, /grpc-js/],
  openssl: [/-verify_return_error/, /-CAfile/, /-Verify\b/, /-min_protocol/, /-crl_check/, /-cert_chain/],
  gnutls: [/--x509cafile/, /--require-client-cert/, /--verify-client-cert/, /--x509crlfile/, /--priority/, /--x509certfile/],
  stunnel: [/verifyChain/, /(?<!-)CAfile/, /CRLfile/, /sslVersionMin/, /checkHost/],
};

/** Stacks built on another one, whose advice may legitimately use the other's settings. */
const BUILT_ON: Partial<Record<Stack, Stack[]>> = { kong: ['nginx'], istio: ['envoy'], grpc: ['go'] };

const ALL: (Stack | undefined)[] = [...STACKS, undefined];

describe('advise', () => {
  it('every topic × every stack (and none) starts with the same stack-neutral sentence and is one or two sentences', () => {
    for (const topic of TOPICS) {
      const neutral = adviceParts(topic).neutral;
      expect(neutral).toMatch(/^[A-Z].*\.$/);
      for (const stack of ALL) {
        const text = advise(topic, stack);
        expect(text.startsWith(neutral), `${topic}/${stack}: ${text}`).toBe(true);
        expect(text.length).toBeGreaterThan(neutral.length - 1);
        expect(text.endsWith('.'), `${topic}/${stack}`).toBe(true);
        expect(text).not.toMatch(/undefined|\[object/);
      }
    }
  });

  it('names the recognised stack, with a real line for every topic (no "not known" placeholder)', () => {
    for (const topic of TOPICS) {
      for (const stack of STACKS) {
        const text = advise(topic, stack);
        const rest = text.slice(adviceParts(topic).neutral.length);
        expect(rest.trimStart().startsWith(STACK_LABELS[stack]), `${topic}/${stack}: ${text}`).toBe(true);
        expect(text, `${topic}/${stack}`).not.toMatch(/setting is known to the harness/);
      }
    }
  });

  it("leaks no other stack's settings into a recognised stack's advice", () => {
    for (const topic of TOPICS) {
      for (const stack of STACKS) {
        const text = advise(topic, stack);
        for (const other of STACKS) {
          if (other === stack || BUILT_ON[stack]?.includes(other)) continue;
          for (const token of TOKENS[other]) expect(text, `${topic}/${stack} mentions ${other}'s ${token}`).not.toMatch(token);
        }
      }
    }
  });

  it("the leak check is not vacuous: every stack's tokens occur in its own advice", () => {
    for (const stack of STACKS) {
      const own = TOPICS.map((t) => advise(t, stack)).join('\n');
      for (const token of TOKENS[stack]) expect(own, `${stack} ${token}`).toMatch(token);
    }
  });

  it('with no stack recognised, lists at most four common stacks, most common first, and user advice lists none', () => {
    for (const topic of TOPICS) {
      const { lines } = adviceParts(topic);
      expect(lines.length, topic).toBeLessThanOrEqual(4);
      for (const l of lines) expect(l.line, `${topic}/${l.stack}`).not.toMatch(/;/);
    }
    const text = advise('require-client-cert');
    expect(text).toBe(
      'Require a client certificate on this listener and verify it against your CA. Common stacks: nginx: ssl_verify_client on + ssl_client_certificate ca.pem; haproxy: verify required ca-file ca.pem on the bind line; Envoy: DownstreamTlsContext require_client_certificate: true with validation_context.trusted_ca; Go crypto/tls: tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}.',
    );
    expect(adviceParts('alpn-h2').lines[0]!.stack).toBe('grpc');
    // Client OCSP: the stacks that can check it name their setting, the others say they cannot and what to use instead.
    expect(adviceParts('check-client-ocsp').lines.map((l) => l.stack)).toEqual(['nginx', 'apache', 'stunnel', 'envoy']);
    expect(advise('check-client-ocsp', 'nginx')).toMatch(/^Check client certificates by OCSP .* nginx: ssl_ocsp on \(nginx 1\.19\.0 or later\)/);
    expect(advise('check-client-ocsp', 'haproxy')).toMatch(/haproxy checks no OCSP for client certificates, so load the CA's CRL with crl-file/);
    expect(advise('check-client-ocsp', 'go')).toMatch(/Go crypto\/tls: crypto\/tls checks no OCSP, so ask the responder in VerifyConnection/);
    expect(advise('trust-anchor-missing')).toBe("The server's chain is complete but ends at a CA the harness was not given: pass that CA bundle with --ca.");
    expect(advise('trust-anchor-missing', 'nginx')).toMatch(/--ca\. nginx: nothing to change on the server\.$/);
    expect(advise('prober-rate')).not.toMatch(/nginx|haproxy/);
    expect(advise('client-cert-expired-own')).toBe(adviceParts('client-cert-expired-own').neutral);
    // A line that starts with the stack's name is not labelled twice.
    expect(advise('allow-intermediate-clients')).toMatch(/; haproxy sets no depth limit/);
  });

  it('names the real directive for the recognised stack', () => {
    expect(advise('require-client-cert', 'nginx')).toBe(
      'Require a client certificate on this listener and verify it against your CA. nginx: ssl_verify_client on + ssl_client_certificate ca.pem.',
    );
    expect(advise('require-client-cert', 'haproxy')).toMatch(/haproxy: verify required ca-file ca\.pem on the bind line\.$/);
    expect(advise('require-client-cert', 'java')).toMatch(/setNeedClientAuth\(true\).*server\.ssl\.client-auth=need/);
    expect(advise('require-client-cert', 'python')).toMatch(/ssl\.CERT_REQUIRED.*load_verify_locations/);
    expect(advise('require-client-cert', 'node')).toMatch(/requestCert: true, rejectUnauthorized: true, ca/);
    expect(advise('require-client-cert', 'grpc')).toMatch(/ServerCredentials\.createSsl\(ca, keyCertPairs, true\)/);
    expect(advise('require-client-cert', 'gnutls')).toMatch(/--require-client-cert --verify-client-cert/);
    expect(advise('require-client-cert', 'openssl')).toMatch(/-Verify 1 -verify_return_error/);
    expect(advise('require-client-cert', 'stunnel')).toMatch(/verifyChain = yes \+ CAfile/);
    expect(advise('require-client-cert', 'caddy')).toMatch(/require_and_verify.*trusted_ca_cert_file/);
    expect(advise('require-client-cert', 'apache')).toMatch(/SSLVerifyClient require \+ SSLCACertificateFile/);
    expect(advise('require-client-cert', 'envoy')).toMatch(/require_client_certificate: true.*trusted_ca/);
    expect(advise('authorize-client-identity', 'envoy')).toMatch(/match_typed_subject_alt_names/);
    expect(advise('min-tls-version', 'nginx', { minTlsVersion: 'TLSv1.3' })).toMatch(/to TLSv1\.3 and .*nginx: ssl_protocols TLSv1\.3\.$/);
    expect(advise('min-tls-version', 'haproxy')).toMatch(/ssl-min-ver TLSv1\.2/);
    expect(advise('min-tls-version', 'go', { minTlsVersion: 'TLSv1.3' })).toMatch(/MinVersion: tls\.VersionTLS13/);
    expect(advise('min-tls-version', 'apache')).toMatch(/SSLProtocol -all \+TLSv1\.2 \+TLSv1\.3/);
    expect(advise('san-coverage', undefined, { names: ['api.example', '10.1.2.3', 'spiffe://td/x'] })).toMatch(
      /\(DNS:api\.example, IP:10\.1\.2\.3, URI:spiffe:\/\/td\/x\)\./,
    );
  });

  it('intermediate-issued clients: a depth directive only where the stack has one', () => {
    expect(advise('allow-intermediate-clients', 'nginx')).toMatch(/ssl_verify_depth/);
    expect(advise('allow-intermediate-clients', 'apache')).toMatch(/SSLVerifyDepth/);
    for (const stack of ['go', 'java', 'node', 'haproxy', 'grpc', 'python', 'caddy'] as const) {
      const text = advise('allow-intermediate-clients', stack);
      expect(text, stack).not.toMatch(/ssl_verify_depth|SSLVerifyDepth|verify_depth/);
      expect(text, stack).toMatch(/no (practical )?depth limit/);
      expect(text, stack).toMatch(/send its intermediate/);
    }
    expect(advise('allow-intermediate-clients', 'go')).toMatch(/ClientCAs/);
  });

  it("a revoked own certificate says the certificate is revoked and never to change the server's trust", () => {
    const trust =
      /trust the CA|add that CA|ssl_client_certificate|(?<![\w.-])ca-file|ClientCAs|trusted_ca|SSLCACertificateFile|trustStore|trust-store|--x509cafile|(?<!-)CAfile|-CAfile|caFiles|ca_certificates|ca\.crt|the ca option/;
    for (const stack of ALL) {
      const text = advise('client-cert-revoked', stack);
      expect(text, String(stack)).toMatch(/^Your client certificate itself is revoked/);
      expect(text, String(stack)).toMatch(/reissue it/);
      expect(text, String(stack)).not.toMatch(trust);
    }
    expect(advise('client-cert-revoked', 'nginx')).toMatch(/ssl_crl/);
    expect(advise('client-cert-revoked', 'haproxy')).toMatch(/crl-file/);
    expect(advise('client-cert-revoked', 'go')).toMatch(/checks no CRL itself/);
    expect(advise('client-cert-expired-own', 'go')).toMatch(/renew it.*tls\.Config\.Time/);
  });

  it('Go: where the stack has no knob, says so (remove the custom verification) instead of inventing one', () => {
    expect(advise('check-client-dates', 'go')).toMatch(/cannot be told to skip them, so remove the custom verification/);
    expect(advise('check-client-eku', 'go')).toMatch(/cannot be told to skip it, so remove the custom verification/);
    expect(advise('refuse-in-tls', 'nginx')).toMatch(/no handshake-level refusal/);
  });
});

describe('recognizeStack', () => {
  const table: [Parameters<typeof recognizeStack>[0], Stack | undefined, string?][] = [
    [{ httpServer: 'nginx/1.22.1' }, 'nginx', 'Server: nginx/1.22.1'],
    [{ httpServer: 'nginx' }, 'nginx'],
    [{ httpServer: 'openresty/1.21.4.1' }, 'nginx'],
    [{ httpServer: 'Apache/2.4.57 (Debian)' }, 'apache', 'Server: Apache/2.4.57 (Debian)'],
    [{ httpServer: 'Apache' }, 'apache'],
    [{ httpServer: 'Apache-Coyote/1.1' }, 'java'],
    [{ httpServer: 'Apache Tomcat/9.0.80' }, 'java'],
    [{ httpServer: 'Jetty(9.4.51.v20230217)' }, 'java'],
    [{ httpServer: 'Caddy' }, 'caddy'],
    [{ httpServer: 'envoy' }, 'envoy'],
    [{ httpServer: 'istio-envoy' }, 'istio'],
    [{ httpServer: 'Kestrel' }, 'dotnet'],
    [{ httpServer: 'Microsoft-IIS/10.0' }, 'iis'],
    [{ httpServer: 'lighttpd/1.4.69' }, 'lighttpd'],
    [{ httpServer: 'Werkzeug/3.0.1 Python/3.11.4' }, 'python'],
    [{ httpServer: 'gunicorn' }, 'python'],
    [{ httpServer: 'uvicorn' }, 'python'],
    [{ httpServer: 'BaseHTTP/0.6 Python/3.12.1' }, 'python'],
    [{ httpServer: 'kong/3.4.2' }, 'kong'],
    [{ httpServer: 'Traefik' }, 'traefik'],
    [{ httpServer: 'HAProxy' }, 'haproxy'],
    [{ httpServer: 'stunnel' }, 'stunnel'],
    // Unknown, clients, look-alikes and hostile headers: nothing recognised.
    [{ httpServer: 'Go-http-client/1.1' }, undefined],
    [{ httpServer: 'cloudflare' }, undefined],
    [{ httpServer: 'awselb/2.0' }, undefined],
    [{ httpServer: 'nginx-evil' }, undefined],
    [{ httpServer: 'nginxx/1.0' }, undefined],
    [{ httpServer: 'my nginx' }, undefined],
    [{ httpServer: '' }, undefined],
    [{ httpServer: '   ' }, undefined],
    [{ httpServer: '\u001b[31mnginx' }, undefined],
    [{ httpServer: 'x'.repeat(10_000) }, undefined],
    [{}, undefined],
    [{ protocol: 'https' }, undefined],
    [{ alpn: 'h2' }, undefined],
    // References of the harness.
    [{ reference: 'node' }, 'node', 'reference implementation node'],
    [{ reference: 'node-grpc' }, 'grpc'],
    [{ reference: 'openssl' }, 'openssl'],
    [{ reference: 'nginx' }, 'nginx'],
    [{ reference: 'haproxy' }, 'haproxy'],
    [{ reference: 'stunnel' }, 'stunnel'],
    [{ reference: 'gnutls' }, 'gnutls'],
    [{ reference: 'caddy' }, 'caddy'],
    [{ reference: 'haproxy/container:baseline' }, 'haproxy'],
    [{ reference: 'unknown-thing' }, undefined],
    // The reference wins over a header; a header wins over the gRPC guess.
    [{ reference: 'haproxy', httpServer: 'nginx/1.25' }, 'haproxy'],
    [{ protocol: 'grpc', grpcServer: 'envoy' }, 'envoy', 'gRPC server: envoy'],
    [{ protocol: 'grpc', httpServer: 'nginx/1.25.3' }, 'nginx'],
    [{ protocol: 'grpc', alpn: 'h2' }, 'grpc', 'gRPC target (ALPN h2), no proxy identified'],
    [{ protocol: 'grpc', grpcServer: 'something-else' }, 'grpc'],
  ];
  it.each(table)('%j → %s', (hints, stack, evidence) => {
    const r = recognizeStack(hints);
    expect(r?.stack).toBe(stack);
    if (evidence) expect(r?.evidence).toBe(evidence);
  });

  it('quotes at most 60 printable characters of a header', () => {
    const r = recognizeStack({ httpServer: `nginx/1.2 ${'\u202e\u0007A'.repeat(100)}` })!;
    expect(r.stack).toBe('nginx');
    const quoted = r.evidence.replace(/^Server: /, '');
    expect(quoted.replace(/…$/, '').length).toBeLessThanOrEqual(60);
    expect(r.evidence).toMatch(/^[\x20-\x7e…]*$/);
  });
});

describe('advisedStackNote', () => {
  it('says which stack the advice names and why', () => {
    expect(advisedStackNote(recognizeStack({ httpServer: 'nginx/1.22.1' }))).toBe('advice for nginx (Server: nginx/1.22.1)');
    expect(advisedStackNote(recognizeStack({ reference: 'node-grpc' }))).toBe('advice for gRPC (reference implementation node-grpc)');
    expect(advisedStackNote(undefined)).toBe('advice for common stacks (server stack not recognised)');
  });
});

// Keep the Topic type exercised (a topic added without a spec fails to compile in advice.ts).
const _topics: readonly Topic[] = TOPICS;
void _topics;
