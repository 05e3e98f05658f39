// The whole catalogue against the per-location Apache reference (`apache-location`: `/` asks for no
// certificate, <Location /secure> requires one), one target per path (--path / --path /secure),
// over TLS 1.2 (the harness follows Apache's renegotiation) and TLS 1.3 (post-handshake
// authentication, answered by openssl s_client -enable_pha). On `/` the cert-less client is served:
// reject.no-client-cert fails there; on /secure every check equals the profile's table (with the
// reference's declared deviation).
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/run.js';
import { REFERENCES } from '../src/targets/reference/index.js';
import { findBinary } from '../src/targets/reference/process.js';
import { expectedVerdicts } from './helpers/conformance.js';

const APACHE = findBinary(REFERENCES['apache-location']!.process!.binary);
if (!APACHE) console.warn('SKIPPED: apache2 is not installed (apt-get install apache2); the apache-location catalogue tests do not run');
/** MTLS_MATRIX_REPEAT repeats each run (npm run matrix: 5). */
const REPEAT = Math.max(1, Number(process.env.MTLS_MATRIX_REPEAT ?? 1));

interface Result {
  targetId: string;
  check: string;
  status: string;
  message: string;
  evidence: Record<string, unknown>;
}

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-apache-location-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function run(profile: string, tls: string[]): Promise<{ code: number; targets: string[]; results: Result[]; stderr: string }> {
  const out = path.join(dir, `${profile}-${tls.join('')}.json`);
  let stderr = '';
  const code = await runCli(
    [
      'run',
      '--reference',
      'apache-location',
      '--profile',
      profile,
      '--path',
      '/',
      '--path',
      '/secure',
      ...tls,
      '--json',
      out,
      '--junit',
      `${out}.xml`,
      '--html',
      `${out}.html`,
    ],
    {
      stdout: { write: () => true },
      stderr: { write: (s: string) => (stderr += s) },
      env: { NO_COLOR: '1' },
    },
  );
  const doc = JSON.parse(await fs.readFile(out, 'utf8')) as { targets: { id: string }[]; results: Result[] };
  return { code, targets: doc.targets.map((t) => t.id), results: doc.results, stderr };
}

describe.skipIf(!APACHE)('apache-location: the catalogue per path', () => {
  for (const [version, tls, method] of [
    ['TLS 1.2 (renegotiation)', ['--tls-max', '1.2'], 'renegotiation'],
    ['TLS 1.3 (post-handshake auth via openssl s_client)', [], 'post-handshake-auth'],
  ] as const) {
    for (const profile of ['strict', 'optional-client-cert'] as const) {
      it(`${profile}, ${version}: / is served without a certificate; /secure reaches the profile's verdicts`, async () => {
        for (let i = 0; i < REPEAT; i++) {
          const r = await run(profile, [...tls]);
          const id = `apache-location:${profile}`;
          expect(r.targets).toEqual([`${id} /`, `${id} /secure`]);
          const on = (p: string) => r.results.filter((x) => x.targetId === `${id} ${p}`);
          const by = (p: string, check: string) => on(p).find((x) => x.check === check)!;
          // `/`: no certificate asked for, the cert-less client served.
          expect(by('/', 'reject.no-client-cert').status, by('/', 'reject.no-client-cert').message).toBe('fail');
          expect(by('/', 'handshake.client-auth-mode').evidence).toMatchObject({ mode: 'not-requested' });
          // /secure: the profile's table.
          expect(Object.fromEntries(on('/secure').map((x) => [x.check, x.status])), `run ${i + 1}: ${r.stderr}`).toEqual(
            expectedVerdicts(profile, 'apache-location'),
          );
          expect(by('/secure', 'handshake.client-auth-mode').evidence).toMatchObject({
            mode: profile === 'strict' ? 'required' : 'optional',
            method,
          });
          // JUnit and HTML: a testsuite and a section per path.
          const junit = await fs.readFile(path.join(dir, `${profile}-${tls.join('')}.json.xml`), 'utf8');
          expect(junit).toContain(`<testsuite name="${id} / rejection-without-cert"`);
          expect(junit).toContain(`<testsuite name="${id} /secure rejection-without-cert"`);
          const html = await fs.readFile(path.join(dir, `${profile}-${tls.join('')}.json.html`), 'utf8');
          for (const p of ['/', '/secure']) expect(html).toContain(`${id} ${p}`);
          if (profile === 'strict') {
            const e = by('/secure', 'reject.no-client-cert').evidence;
            expect(e).toMatchObject({ rejectedAt: 'post-handshake' });
            if (method === 'post-handshake-auth')
              expect(e).toMatchObject({ alert: { code: 116 }, client: expect.stringMatching(/^openssl s_client -enable_pha/) });
            else expect(e).toMatchObject({ alert: { code: 40 }, postHandshakeAuth: { kind: 'renegotiation' } });
          }
        }
      }, 120_000);
    }
  }
});
