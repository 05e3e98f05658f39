import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../config/load.js';
import { outputTail } from '../core/text.js';
import { redactArgv, redactPrivateKeys } from '../core/redact.js';
import { CLIENT_CHECKS } from '../../suites/client-conformance.js';
import { accepted, judgePresentsCert, judgeRejects, type ClientRun } from './checks.js';
import { checkClientSpec, substitute, urlFor, type Placeholders } from './command.js';
import {
  checkLimboRouting,
  judgeLimboCase,
  limboFigures,
  limboSkipReason,
  limboSummaryLine,
  matchCaseIds,
  stageableLimboCases,
  type LimboCase,
} from './limbo.js';
import type { Observation } from './observer.js';

const P: Placeholders = {
  host: '127.0.0.1',
  port: '4433',
  url: 'https://localhost:4433/',
  ca: '/t/ca.pem',
  cert: '/t/c.pem',
  key: '/t/k.pem',
  servername: 'localhost',
  resolve: 'localhost:4433:127.0.0.1',
};

function obs(o: Partial<Observation> = {}): Observation {
  const base: Observation = { connections: [], reached: true, handshakeCompleted: false, dataArrived: false, requests: [] };
  const merged = { ...base, ...o };
  if (merged.reached && merged.connections.length === 0)
    merged.connections = [
      { atMs: 1, handshake: merged.handshakeCompleted ? 'completed' : 'failed', requests: merged.requests, otherData: false, closed: true },
    ];
  return merged;
}
function run(o: Partial<Observation>, exitCode: number | undefined = 0, extra: Partial<ClientRun['command']> = {}): ClientRun {
  return {
    command: { argv: ['client'], ...(exitCode !== undefined ? { exitCode } : {}), timedOut: false, limitMs: 10_000, durationMs: 5, ...extra },
    observation: obs(o),
    endpoint: { host: '127.0.0.1', port: 4433 },
  };
}
const GET = [{ method: 'GET', path: '/' }];
const CHAINED = { subject: 'CN=client', issuer: 'CN=root', fingerprint256: 'AA', chainLength: 1, chains: true };
const good = run({ handshakeCompleted: true, dataArrived: true, requests: GET, clientCert: CHAINED });
const untrusted = CLIENT_CHECKS.find((c) => c.id === 'client.rejects-untrusted-server')!;

describe('placeholders', () => {
  it('substitutes known placeholders and leaves shell variables and JSON alone', () => {
    expect(substitute('--cacert={ca} {url} ${HOME} ${port} {"a":1} {other}', P)).toBe(
      '--cacert=/t/ca.pem https://localhost:4433/ ${HOME} ${port} {"a":1} {other}',
    );
  });
  it('brackets IPv6 names in URLs', () => {
    expect(urlFor('::1', 443)).toBe('https://[::1]:443/');
    expect(urlFor('example.com', 443)).toBe('https://example.com:443/');
  });
  it('refuses unknown placeholders, missing programs and empty commands before anything runs', () => {
    expect(() => checkClientSpec({ name: 'c', command: ['sh', '{cacrt}'], timeoutMs: 1 }, 'x')).toThrow(/unknown placeholder \{cacrt\}/);
    expect(() => checkClientSpec({ name: 'c', command: ['no-such-program-xyz'], timeoutMs: 1 }, 'x')).toThrow(/"no-such-program-xyz" not found on PATH/);
    expect(() => checkClientSpec({ name: 'c', command: ['/nonexistent/bin/x'], timeoutMs: 1 }, 'x')).toThrow(/not found or not executable/);
    expect(() => checkClientSpec({ name: 'c', command: [], timeoutMs: 1 }, 'x')).toThrow(/no client command/);
    expect(() => checkClientSpec({ name: 'c', command: 'no-such-program-xyz {url}', timeoutMs: 1 }, 'x')).toThrow(/not found/);
    expect(() => checkClientSpec({ name: 'c', command: ['sh', '-c', 'echo {url}'], env: { X: '{key}' }, timeoutMs: 1 }, 'x')).not.toThrow();
  });
});

describe('output tails', () => {
  const key = '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----';
  it('redacts private keys, whole or cut, of any PEM kind', () => {
    expect(redactPrivateKeys(`a\n${key}\nb`)).toBe('a\n[private key redacted]\nb');
    expect(redactPrivateKeys('x -----BEGIN EC PRIVATE KEY-----\nMHcCAQEE')).toBe('x [private key redacted]');
    expect(redactPrivateKeys('AgEGCCqGSM49\n-----END RSA PRIVATE KEY-----\nok')).toBe('[private key redacted]\nok');
    expect(redactPrivateKeys('-----BEGIN CERTIFICATE-----\nMII\n-----END CERTIFICATE-----')).toContain('CERTIFICATE');
  });
  it('keeps the end of long output, bounded, without control characters or keys', () => {
    const long = `${key}\n${'x'.repeat(5000)}\n\u001b[31mlast line`;
    const t = outputTail(long, 30, 2000)!;
    expect(t.length).toBeLessThanOrEqual(2001);
    expect(t).toMatch(/\?\[31mlast line$/);
    expect(t).not.toContain('PRIVATE KEY');
    // A key cut by the tail window is still recognised, because redaction happens before cutting.
    expect(outputTail(`${'y'.repeat(3000)}\n${key}`, 30, 40)).not.toMatch(/MIGH|PRIVATE/);
    expect(outputTail('  \n')).toBeUndefined();
  });
});

describe('client command lines in reports', () => {
  it('redact credentials a client command carries', () => {
    expect(redactArgv(['curl', '-u', 'alice:s3cret', '-H', 'Authorization: Bearer abc', '--pass', 'pw', '--proxy-user=x', '{url}'])).toEqual([
      'curl',
      '-u',
      '[REDACTED]',
      '-H',
      'Authorization: [REDACTED]',
      '--pass',
      '[REDACTED]',
      '--proxy-user=[REDACTED]',
      '{url}',
    ]);
  });
});

describe('client-conformance verdicts', () => {
  it('accepts only when data arrived, or the handshake completed and the command exited 0', () => {
    expect(accepted(good)).toBe(true);
    expect(accepted(run({ handshakeCompleted: true }, 0))).toBe(true);
    expect(accepted(run({ handshakeCompleted: true }, 1))).toBe(false);
    expect(accepted(run({}, 0))).toBe(false);
  });
  it('presents-cert: pass with a chaining certificate, warn when the command then failed, fail without one', () => {
    expect(judgePresentsCert(good).status).toBe('pass');
    expect(judgePresentsCert(run({ handshakeCompleted: true, dataArrived: true, requests: GET, clientCert: CHAINED }, 3)).status).toBe('warn');
    const none = judgePresentsCert(run({ handshakeCompleted: true, dataArrived: true, requests: GET }));
    expect(none).toMatchObject({ status: 'fail', message: 'the client sent no certificate although the server asked for one' });
    const other = judgePresentsCert(
      run({ handshakeCompleted: true, clientCert: { ...CHAINED, chains: false, verifyError: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' } }),
    );
    expect(other.status).toBe('fail');
    expect(other.message).toMatch(/does not chain to the CA \(UNABLE_TO_GET_ISSUER_CERT_LOCALLY\)/);
    expect(judgePresentsCert(run({ reached: false }, 6)).status).toBe('error');
  });
  it('rejects-*: pass on refusal with a failing exit, fail when a request arrived, warn on exit 0', () => {
    const refused = run({ clientAlert: { code: 48, name: 'unknown_ca' } }, 60);
    expect(judgeRejects(untrusted, refused, good)).toMatchObject({ status: 'pass', message: expect.stringMatching(/alert 48 unknown_ca .*\(exit 60\)$/) });
    expect(judgeRejects(untrusted, run({ handshakeCompleted: true }, 1), good).status).toBe('pass'); // node: closes after its own check
    expect(judgeRejects(untrusted, run({ handshakeCompleted: true, dataArrived: true, requests: GET }, 0), good)).toMatchObject({
      status: 'fail',
      message: expect.stringMatching(/^the client sent GET \/ to a server whose certificate/),
    });
    expect(judgeRejects(untrusted, run({ handshakeCompleted: true }, 0), good)).toMatchObject({
      status: 'fail',
      message: expect.stringMatching(/completed the TLS handshake .* exited 0/),
    });
    expect(judgeRejects(untrusted, run({ clientAlert: { code: 48, name: 'unknown_ca' } }, 0), good).status).toBe('warn');
  });
  it('rejects-*: a request that arrived is a fail even when the command then timed out', () => {
    expect(judgeRejects(untrusted, run({ handshakeCompleted: true, dataArrived: true, requests: GET }, undefined, { timedOut: true }), good).status).toBe(
      'fail',
    );
    expect(judgeRejects(untrusted, run({ handshakeCompleted: true }, undefined, { timedOut: true }), good).status).toBe('error');
  });
  it('rejects-*: error when the client never connected, could not start, or also refused the valid server', () => {
    expect(judgeRejects(untrusted, run({ reached: false }, 1), good).message).toMatch(/never connected/);
    expect(judgeRejects(untrusted, run({ reached: false }, undefined, { spawnError: 'ENOENT: x' }), good).message).toMatch(/could not be started/);
    const baselineRefused = run({ clientAlert: { code: 48, name: 'unknown_ca' } }, 60);
    expect(judgeRejects(untrusted, run({ clientAlert: { code: 48, name: 'unknown_ca' } }, 60), baselineRefused)).toMatchObject({
      status: 'error',
      message: expect.stringMatching(/^inconclusive: the client also refused the valid reference server/),
    });
  });
});

const CASE: LimboCase = {
  id: 'webpki::san::exact-dns-san',
  description: 'Produces a chain\nwith an EE cert.',
  validation_kind: 'SERVER',
  trusted_certs: [],
  untrusted_intermediates: [],
  peer_certificate: '',
  peer_certificate_key: 'k',
  validation_time: null,
  expected_result: 'SUCCESS',
  expected_peer_name: { kind: 'DNS', value: 'example.com' },
  max_chain_depth: null,
};

describe('x509-limbo', () => {
  it('stages keyed SERVER cases without validation_time', () => {
    const cases = [
      CASE,
      { ...CASE, id: 'a', validation_kind: 'CLIENT' as const },
      { ...CASE, id: 'b', peer_certificate_key: null },
      { ...CASE, id: 'c', validation_time: '2024-01-01T00:00:00Z' },
    ];
    expect(stageableLimboCases(cases).map((c) => c.id)).toEqual([CASE.id]);
  });
  it('says why a case cannot be set up', () => {
    expect(limboSkipReason(CASE)).toBeUndefined();
    expect(limboSkipReason({ ...CASE, expected_peer_name: null })).toMatch(/names no expected peer/);
    expect(limboSkipReason({ ...CASE, expected_peer_name: { kind: 'RFC822', value: 'a@b' } })).toMatch(/kind RFC822/);
    expect(limboSkipReason({ ...CASE, max_chain_depth: 1 })).toMatch(/max_chain_depth 1/);
    expect(limboSkipReason({ ...CASE, key_usage: ['digitalSignature'] })).toMatch(/key usages/);
    expect(limboSkipReason({ ...CASE, extended_key_usage: ['serverAuth'] })).toBeUndefined();
    expect(limboSkipReason({ ...CASE, extended_key_usage: ['codeSigning'] })).toMatch(/EKUs/);
  });
  it('selects cases by glob', () => {
    const cases = [CASE, { ...CASE, id: 'webpki::cn::not-in-san' }, { ...CASE, id: 'rfc5280::ca-as-leaf' }];
    expect(matchCaseIds(cases, ['webpki::*']).map((c) => c.id)).toEqual([CASE.id, 'webpki::cn::not-in-san']);
    expect(matchCaseIds(cases, ['*ca-as-leaf', 'webpki::san::exact-dns-san']).length).toBe(2);
    expect(matchCaseIds(cases, ['webpki::san']).length).toBe(0);
  });
  it('judges agreement from what the server saw, and skips when the server itself failed', () => {
    expect(judgeLimboCase(CASE, good)).toMatchObject({
      status: 'pass',
      message: expect.stringMatching(/^agrees: expected a connection, the client connected and sent GET \/ — Produces a chain with an EE cert\.$/),
    });
    expect(judgeLimboCase({ ...CASE, expected_result: 'FAILURE' }, good).status).toBe('fail');
    expect(judgeLimboCase({ ...CASE, expected_result: 'FAILURE' }, run({ clientAlert: { code: 42, name: 'bad_certificate' } }, 60)).status).toBe('pass');
    expect(judgeLimboCase(CASE, run({ serverSideFailure: { code: 'ERR_SSL_NO_SUITABLE_SIGNATURE_ALGORITHM', message: '' } }, 35)).status).toBe('skip');
    expect(judgeLimboCase(CASE, run({ reached: false }, 6)).status).toBe('error');
    const ev = judgeLimboCase(CASE, good).evidence!;
    expect(ev).toMatchObject({
      caseId: CASE.id,
      description: 'Produces a chain with an EE cert.',
      expectedResult: 'SUCCESS',
      expectedPeerName: 'DNS:example.com',
    });
  });
  it('counts figures and prints them', () => {
    const r = (status: 'pass' | 'fail' | 'skip' | 'error') => ({
      targetId: 'c',
      target: 'c',
      suite: 'x509-limbo',
      check: 'x',
      title: 'x',
      status,
      message: '',
      evidence: {},
      durationMs: 0,
    });
    const f = limboFigures([r('pass'), r('pass'), r('fail'), r('skip'), r('error')]);
    expect(f).toEqual({ agree: 2, disagree: 1, skip: 1, error: 1, total: 5 });
    expect(limboSummaryLine('curl', f)).toBe('x509-limbo curl: 2 agree, 1 disagree, 1 skip, 1 error of 5 cases (67% of the 3 judged)');
  });
  it('refuses a command that cannot be routed to the reference server', () => {
    expect(() => checkLimboRouting({ name: 'curl', command: ['curl', '{url}'], timeoutMs: 1 })).toThrow(/must connect to \{host\}:\{port\}/);
    expect(() => checkLimboRouting({ name: 'curl', command: ['curl', '--connect-to', '::{host}:{port}', '{url}'], timeoutMs: 1 })).not.toThrow();
  });
});

describe('clients: in the config file', () => {
  it('reads list and string commands with env and timeout', () => {
    const cfg = parseConfigText(
      'clients:\n  - name: curl\n    command: [curl, "{url}"]\n    env: { SSL_CERT_FILE: "{ca}" }\n    timeout: 5s\n  - command: "curl {url} | head -1"\n',
      'm.yaml',
    );
    expect(cfg.clients).toEqual([
      { name: 'curl', command: ['curl', '{url}'], env: { SSL_CERT_FILE: '{ca}' }, timeout: '5s', line: 2 },
      { command: 'curl {url} | head -1', line: 6 },
    ]);
  });
  it('names file and line for unknown keys, wrong types and a missing command', () => {
    expect(() => parseConfigText('clients:\n  - name: a\n    comand: [curl]\n', 'm.yaml')).toThrow(
      /^m\.yaml:3: clients\[0\]\.comand is not a known key \(did you mean command\?\)$/,
    );
    expect(() => parseConfigText('clients:\n  - command: [curl]\n    env: [a]\n', 'm.yaml')).toThrow(/^m\.yaml:3: clients\[0\]\.env must be a mapping/);
    expect(() => parseConfigText('clients:\n  - command: [curl]\n    env: { A: 1 }\n', 'm.yaml')).toThrow(/^m\.yaml:3: clients\[0\]\.env\.A must be a string$/);
    expect(() => parseConfigText('clients:\n  - name: a\n', 'm.yaml')).toThrow(/^m\.yaml:2: clients\[0\] needs a command/);
  });
});
