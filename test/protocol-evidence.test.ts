// Issue 18: what a database or broker did is evidence in every report, not only in the table. The
// PostgreSQL reference (real postgres from Debian) with profile strict refuses the cert-less client at
// its own layer (FATAL 28000 after the TLS handshake); Redis with no-client-auth serves PING without
// a certificate. `run` writes JSON, JUnit and HTML; each must carry the protocol's answer (SQLSTATE
// and message, how TLS started, the Redis reply) for the check that judged it.
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REFERENCES } from '../src/targets/reference/index.js';
import { findBinary } from '../src/targets/reference/process.js';
import { spawnCli } from './helpers/cli.js';

const installed = (name: string) => !!findBinary(REFERENCES[name]!.process!.binary);
const HAVE_PG = installed('postgres');
const HAVE_REDIS = installed('redis');

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-proto-evidence-'));
});
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

interface Reports {
  code: number;
  json: { results: { targetId: string; check: string; status: string; evidence: Record<string, unknown> }[] };
  junit: string;
  html: string;
}

async function runReports(reference: string, profile: string): Promise<Reports> {
  const base = path.join(dir, `${reference}-${profile}`);
  const r = await spawnCli(
    [
      'run',
      '--reference',
      reference,
      '--profile',
      profile,
      '--suite',
      'rejection-without-cert',
      '--json',
      `${base}.json`,
      '--junit',
      `${base}.xml`,
      '--html',
      `${base}.html`,
      '--quiet',
    ],
    dir,
    {},
    120_000,
  );
  expect(r.stderr, r.stdout).not.toMatch(/\n\s+at /);
  return {
    code: r.code,
    json: JSON.parse(await fs.readFile(`${base}.json`, 'utf8')) as Reports['json'],
    junit: await fs.readFile(`${base}.xml`, 'utf8'),
    html: await fs.readFile(`${base}.html`, 'utf8'),
  };
}

describe.skipIf(!HAVE_PG)('PostgreSQL: the refusal at its layer in JSON, JUnit and HTML', () => {
  it('strict: reject.no-client-cert passes, with SQLSTATE 28000 and its message as evidence in every report', async () => {
    const r = await runReports('postgres', 'strict');
    expect(r.code).toBe(0);
    const res = r.json.results.find((x) => x.check === 'reject.no-client-cert')!;
    expect(res.status).toBe('pass');
    expect(res.evidence).toMatchObject({
      rejectedAt: 'application',
      application: { protocol: 'postgres', startTls: 'SSLRequest answered S', code: '28000', message: expect.stringContaining('28000') },
      control: { rejectedAt: 'accepted', application: { protocol: 'postgres', message: 'AuthenticationOk' } },
    });
    // JUnit: the evidence as properties of the target's suite.
    const prop = /<property name="reject\.no-client-cert\.evidence\.application" value="([^"]*)"/.exec(r.junit);
    expect(prop?.[1]).toContain('28000');
    expect(prop?.[1]).toContain('SSLRequest answered S');
    // HTML: the finding and the evidence, escaped.
    expect(r.html).toContain('FATAL 28000');
    expect(r.html).toContain('SSLRequest answered S');
  }, 180_000);
});

describe.skipIf(!HAVE_REDIS)('Redis: what was served, as evidence', () => {
  it('no-client-auth: reject.no-client-cert fails, PING answered without a certificate, in every report', async () => {
    const r = await runReports('redis', 'no-client-auth');
    expect(r.code).toBe(1);
    const res = r.json.results.find((x) => x.check === 'reject.no-client-cert')!;
    expect(res.status).toBe('fail');
    expect(res.evidence).toMatchObject({ rejectedAt: 'accepted', application: { protocol: 'redis', message: '+PONG' } });
    const prop = /<property name="reject\.no-client-cert\.evidence\.application" value="([^"]*)"/.exec(r.junit);
    expect(prop?.[1]).toContain('+PONG');
    expect(r.html).toContain('+PONG');
  }, 180_000);
});

if (!HAVE_PG) console.log('protocol-evidence: PostgreSQL not installed (apt-get install postgresql): its report test skipped');
if (!HAVE_REDIS) console.log('protocol-evidence: redis-server not installed (apt-get install redis-server): its report test skipped');
