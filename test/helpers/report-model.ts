// A fixed, realistic run report for the report writers' byte-for-byte tests: every suite's checks
// on live, reference, client and Kubernetes targets, every status, probe-like evidence (alerts,
// nested objects, long lists), a rotation timeline with a chart, certificate chains, a per-target
// policy, and hostile text everywhere (markup, quotes, ampersands, controls, bidi overrides, line
// separators, astral characters, strings longer than the HTML model keeps). Deterministic: no
// clock, no randomness, no host data.
import { SUITES } from '../../suites/index.js';
import type { CertSummary, Result, RunReport, TargetReport } from '../../src/core/model.js';
import { DEFAULT_POLICY } from '../../src/core/target.js';
import type { Status } from '../../src/core/status.js';

export const HOSTILE = `<img src=x onerror=alert(1)></script><script>alert(2)</script>"'& &amp; \u0000\u0007\u001b[31m\u0085\u200b\u202egnp.exe\u2028\u2029\ufeff \ud83d\ude00 \ud800`;

const STATUSES: Status[] = ['pass', 'warn', 'fail', 'skip', 'error'];

export function certSummary(i: number, over: Partial<CertSummary> = {}): CertSummary {
  return {
    subject: `CN=leaf ${i} ${HOSTILE}, O=Example & Co`,
    issuer: `CN=Issuing CA ${i % 3}, O=Example`,
    serialNumber: (0x1000 + i).toString(16).toUpperCase(),
    sans: {
      dns: [`svc-${i}.example.internal`, `*.svc-${i}.example.internal`, HOSTILE],
      ip: [`10.1.${i % 250}.7`],
      uri: [`spiffe://example/ns/${i}/sa/svc`, `javascript:${HOSTILE}`],
      email: [],
      other: ['othername:<unsupported>'],
    },
    extKeyUsage: i % 4 === 0 ? [] : ['serverAuth', 'clientAuth'],
    keyUsage: ['digitalSignature', 'keyEncipherment'],
    ...(i % 5 === 0 ? {} : { basicConstraints: { ca: i % 7 === 0, ...(i % 7 === 0 ? { pathLength: 0 } : {}), critical: true } }),
    notBefore: '2026-01-01T00:00:00.000Z',
    notAfter: `2027-0${1 + (i % 9)}-15T12:00:00.000Z`,
    daysLeft: ((i * 13) % 60) - 3,
    expired: ((i * 13) % 60) - 3 < 0,
    notYetValid: false,
    publicKey:
      i % 3 === 0
        ? { type: 'RSA', bits: 2048 }
        : i % 3 === 1
          ? { type: 'EC', curve: 'P-256', bits: 256 }
          : { type: 'undecodable', undecodable: 'unknown curve OID 1.2.3.4' },
    signatureAlgorithm: 'SHA-256 with ECDSA',
    fingerprintSha256: Array.from({ length: 32 }, (_, k) => ((i * 31 + k * 7) % 256).toString(16).padStart(2, '0').toUpperCase()).join(':'),
    selfIssued: i % 6 === 5,
    ...over,
  };
}

/** Evidence as the probes give it, varied by (target, check) index. */
function evidence(t: number, c: number): Record<string, unknown> {
  switch (c % 6) {
    case 0:
      return {
        rejectedAt: 'handshake',
        alert: { code: 116, name: 'certificate_required' },
        tlsVersion: 'TLSv1.3',
        certificateRequested: true,
        clientCertificateOffered: false,
        durationMs: 12 + t,
        acceptableCaNames: [`CN=Client CA ${t}`, `CN=${HOSTILE}`],
      };
    case 1:
      return {
        rejectedAt: 'application',
        httpStatusLine: `HTTP/1.1 403 ${HOSTILE}`,
        httpStatus: 403,
        cipher: 'TLS_AES_128_GCM_SHA256',
        reason: `refused at the HTTP layer ${HOSTILE}`,
      };
    case 2:
      return {
        presentedCertificate: { subject: `CN=crafted ${t}`, fingerprintSha256: 'AA:BB:CC', extKeyUsage: ['serverAuth'] },
        noCert: { rejectedAt: 'post-handshake', alert: { code: 42, name: 'bad_certificate' } },
        withCert: { rejectedAt: 'accepted', httpStatus: 200 },
        nested: { a: { b: { c: { d: { e: { f: { g: 'deep' } } } } } } },
      };
    case 3:
      return {
        names: Array.from({ length: 75 }, (_, k) => `name-${k}.example`),
        objects: Array.from({ length: 64 }, (_, k) => ({ k, ok: k % 2 === 0, v: null })),
        empty: [],
        emptyObject: {},
        n: 0,
        f: 1.5,
        neg: -2,
        big: 1e21,
        flag: false,
      };
    case 4:
      return { minTlsVersion: 'TLSv1.2', tlsVersion: 'TLSv1.2', long: `${'x'.repeat(4100)}${HOSTILE}`, serialNumber: '0A', errorCode: 'ECONNRESET' };
    default:
      return {};
  }
}

/** A rotation timeline: attempts at 100/s with an outage, two leaves, marks. */
function rotationEvidence(t: number): Record<string, unknown> {
  const attempts = Array.from({ length: 600 }, (_, k) => ({
    t: k * 10,
    latencyMs: 3 + ((k * 7919 + t) % 23),
    ok: !(k >= 250 && k < 262),
    leaf: k < 300 ? 0 : 1,
    ...(k >= 250 && k < 262 ? { outcome: 'ECONNREFUSED' } : {}),
  }));
  return {
    summary: `rotation of target ${t}: 12 of 600 handshakes failed during a 120 ms outage`,
    changedAtT: 3000,
    outages: [{ firstFailT: 2500, lastFailT: 2610, recoveredT: 2620, failures: 12, gapMs: 120 }],
    timeline: {
      startedAt: '2026-11-23T10:00:02.000Z',
      durationMs: 6000,
      attempts,
      certificates: [
        { fingerprintSha256: 'AA:01', firstT: 0, lastT: 2990, count: 300 },
        { fingerprintSha256: 'BB:02', firstT: 3000, lastT: 5990, count: 288 },
      ],
      marks: [
        { t: 2000, label: 'rotation command started' },
        { t: 2700, label: `command exited 0 ${HOSTILE}` },
      ],
    },
  };
}

/** The fixed run: `targets` targets of varied kinds × every check of the catalogue. */
export function fixedRunReport(targets = 9): RunReport {
  const kinds: TargetReport['kind'][] = ['live', 'reference', 'client', 'kubernetes'];
  const targetReports: TargetReport[] = [];
  const results: Result[] = [];
  for (let t = 0; t < targets; t++) {
    const kind = kinds[t % kinds.length]!;
    const name = t === 2 ? `client ${HOSTILE}` : kind === 'reference' ? `node:strict-${t}` : `svc-${t}.example.internal:8443`;
    targetReports.push({
      id: name,
      name,
      endpoint: kind === 'kubernetes' ? `Service/ns-${t}/svc-${t}` : kind === 'client' ? `curl --cert {cert} ${HOSTILE}` : `10.1.${t}.7:8443`,
      ...(t % 3 !== 1 ? { servername: `svc-${t}.example.internal` } : {}),
      kind,
      ...(kind === 'reference' || kind === 'client' ? { reference: { implementation: 'node', profile: kind === 'client' ? 'client-test' : 'strict' } } : {}),
      ...(t % 4 !== 3 ? { protocol: t % 5 === 4 ? 'grpc' : 'https' } : {}),
      ...(t % 2 === 0 ? { peerChain: [certSummary(t), certSummary(t + 100, { selfIssued: t % 4 === 0 })] } : {}),
      policy: t === 5 ? { ...DEFAULT_POLICY, warnDays: 60, requireTlsRejection: true } : DEFAULT_POLICY,
      ...(t % 3 === 0 ? { clientChain: [certSummary(t + 200)] } : {}),
    });
    let c = 0;
    for (const suite of SUITES) {
      for (const check of suite.checks) {
        const status = STATUSES[(t + c) % STATUSES.length]!;
        const rotation = check.id === 'rotation.continuity' && t % 2 === 0;
        results.push({
          targetId: name,
          target: name,
          suite: suite.id,
          check: check.id,
          title: check.title,
          status,
          message: `${status}: ${check.title} on target ${t}${c % 4 === 0 ? ` — the server said ${HOSTILE}` : ''}`,
          ...(status === 'fail' || status === 'warn' ? { remediation: `fix ${check.id} on ${name}` } : {}),
          evidence: rotation ? rotationEvidence(t) : evidence(t, c),
          durationMs: (t * 37 + c * 11) % 900,
        });
        c++;
      }
    }
  }
  const summary = Object.fromEntries(STATUSES.map((s) => [s, results.filter((r) => r.status === s).length])) as RunReport['summary'];
  return {
    settings: { failOn: 'warn', timeoutMs: 5000, concurrency: 16, connectionsPerTarget: 8, targetTimeoutMs: 30000, suites: SUITES.map((s) => s.id) },
    incomplete: { reason: `the run was interrupted (Ctrl-C) ${HOSTILE}`, targetsFinished: targets - 1, targetsTotal: targets },
    startedAt: '2026-11-23T10:00:00.123Z',
    finishedAt: '2026-11-23T10:02:03.456Z',
    durationMs: 123_333,
    targets: targetReports,
    results,
    summary,
  };
}

/** The offline audit's shape: every target a set of files with their certificates. */
export function fixedAuditReport(): RunReport {
  const targets: TargetReport[] = [0, 1, 2].map((i) => ({
    id: `certs/svc-${i}`,
    name: `certs/svc-${i}`,
    endpoint: `certs/svc-${i}`,
    kind: 'files',
    policy: DEFAULT_POLICY,
    fileCertificates: [
      { file: `certs/svc-${i}/tls.crt`, index: 1, role: 'server leaf', cert: certSummary(i) },
      { file: `certs/svc-${i}/tls.crt`, index: 2, role: `chain #2 ${HOSTILE}`, cert: certSummary(i + 50) },
    ],
  }));
  const results: Result[] = targets.flatMap((t, i) =>
    ['audit.parse', 'audit.key-match', 'audit.expiry'].map((check, c) => ({
      targetId: t.id,
      target: t.name,
      suite: 'offline-audit',
      check,
      title: check,
      status: STATUSES[(i + c) % 5]!,
      message: `${check} ${HOSTILE}`,
      evidence: evidence(i, c),
      durationMs: 0,
    })),
  );
  const summary = Object.fromEntries(STATUSES.map((s) => [s, results.filter((r) => r.status === s).length])) as RunReport['summary'];
  return {
    settings: {
      failOn: 'fail',
      timeoutMs: 0,
      concurrency: 1,
      audit: {
        paths: ['certs'],
        warnDays: 30,
        failDays: 7,
        expectedNames: ['svc.example'],
        roles: [{ file: 'certs/svc-0/tls.crt', role: 'server' }],
        layouts: [{ dir: 'certs', layout: 'per-service' }],
      },
    },
    startedAt: '2026-11-23T10:00:00.000Z',
    finishedAt: '2026-11-23T10:00:00.500Z',
    durationMs: 500,
    targets,
    results,
    summary,
  };
}

/** A run that checked nothing. */
export function emptyRunReport(): RunReport {
  return {
    startedAt: '2026-11-23T10:00:00.000Z',
    finishedAt: '2026-11-23T10:00:00.001Z',
    durationMs: 1,
    targets: [],
    results: [],
    summary: { pass: 0, warn: 0, fail: 0, skip: 0, error: 0 },
  };
}

/**
 * The command line of the fixed run: a secret to redact and hostile text. No Unicode space other
 * than ' ' in it: src/redact.ts's shell tokenizer loops forever on one (U+00A0, U+2028, U+3000 …).
 */
export const ARGV_HOSTILE = `<img src=x onerror=alert(1)>"'& &amp; \u0000\u001b[31m\u202egnp.exe \ud83d\ude00`;
export const FIXED_ARGV = [
  'run',
  '--targets-file',
  'targets.txt',
  '--ca',
  'ca.pem',
  '--key-passphrase',
  'hunter2',
  '--json',
  'r.json',
  '--html',
  'r.html',
  '--servername',
  ARGV_HOSTILE,
  '--rotation-command',
  `kubectl rollout restart deploy/x --token=abc && echo '<b>'`,
];
