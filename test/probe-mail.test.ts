// smtp, imap and pop3 against real mail servers on 127.0.0.1, from Debian's packages: Dovecot 2.3
// (IMAP and POP3, STARTTLS, a static passdb that admits any user without a password) and Postfix 3.7
// (SMTP, STARTTLS), each strict (the client certificate required) and open (asked for, not required).
// Neither refuses in TLS: Dovecot refuses at the login, Postfix at the EHLO after TLS. probeEndpoint
// classifies the client without a certificate and the valid client (three times each, one
// classification); then the CLI (dist) runs the rejection-without-cert suite (strict pass, open fail)
// and the whole catalogue against strict (the crafted clients refused at the mail layer).
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintFixturePki, type FixturePki } from '../src/pki/generate.js';
import { probeEndpoint, type ProbeOptions, type ProbeOutcome } from '../src/probe/tls-probe.js';
import type { Protocol } from '../src/probe/protocols/index.js';
import { spawnCli, writeClientFiles } from './helpers/cli.js';
import { DOVECOT, mailServersUnavailable, POSTFIX_BIN, startDovecot, startPostfix, type StartedDovecot } from './helpers/mail-servers.js';
import type { StartedServer } from './helpers/servers.js';

const USER = 'probe-client';
let pki: FixturePki;
let dir: string;

beforeAll(async () => {
  pki = await mintFixturePki({ clientCommonName: USER });
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-mail-test-'));
  await writeClientFiles(dir, pki);
});
afterAll(async () => {
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

function skip(bin: string | undefined, pkg: string): boolean {
  const why = mailServersUnavailable(bin, pkg);
  if (why) console.warn(`SKIPPED: ${why}; its tests do not run`);
  return why !== undefined;
}

/** Three probes, one classification: returns the first. */
async function probe(host: string, port: number, protocol: Protocol, valid: boolean, logs: () => string): Promise<ProbeOutcome> {
  const opts: ProbeOptions = {
    host,
    port,
    servername: 'localhost',
    ca: pki.root.certPem,
    protocol,
    appUser: USER,
    timeoutMs: 5000,
    ...(valid ? { cert: pki.client.chainPem, key: pki.client.keyPem } : {}),
  };
  const outs: ProbeOutcome[] = [];
  for (let i = 0; i < 3; i++) outs.push(await probeEndpoint(opts));
  const shape = (o: ProbeOutcome) => ({ at: o.rejectedAt, failure: o.failure?.kind, code: o.application?.code, message: o.application?.message });
  for (const o of outs.slice(1)) expect(shape(o), `${protocol}: ${o.reason}\n${logs().slice(-2000)}`).toEqual(shape(outs[0]!));
  return outs[0]!;
}

interface Ran {
  code: number;
  status: string;
  evidence: Record<string, unknown>;
  summary: string;
  /** The status and where the refusal was of a check. */
  of(check: string): { status: string; at: unknown };
}

/** `run --protocol P` against the port (`--suite rejection-without-cert`, or the whole catalogue with `--ca-key`): exit code, reject.no-client-cert, any check. */
async function suite(port: number, protocol: Protocol, all = false): Promise<Ran> {
  const file = path.join(dir, `run-${protocol}-${port}-${all}.json`);
  const files = { '--ca': 'ca.pem', '--cert': 'client.pem', '--key': 'client-key.pem', ...(all ? { '--ca-key': 'ca-key.pem' } : {}) };
  const args = [
    'run',
    '--target',
    `127.0.0.1:${port}`,
    '--servername',
    'localhost',
    '--protocol',
    protocol,
    ...(all ? [] : ['--suite', 'rejection-without-cert']),
  ];
  const credentials = Object.entries(files).flatMap(([flag, name]) => [flag, path.join(dir, name)]);
  const r = await spawnCli([...args, ...credentials, '--quiet', '--json', file], dir, {}, 300_000);
  expect(r.stderr, r.stdout).not.toMatch(/\n\s+at /);
  const report = JSON.parse(await fs.readFile(file, 'utf8')) as {
    results: { check: string; status: string; message: string; evidence: Record<string, unknown> }[];
  };
  const summary = report.results.map((y) => `${y.check} ${y.status}: ${y.message}`).join('\n');
  const find = (check: string) => {
    const x = report.results.find((y) => y.check === check);
    if (!x) throw new Error(`no ${check}:\n${summary}`);
    return x;
  };
  const x = find('reject.no-client-cert');
  return { code: r.code, status: x.status, evidence: x.evidence, summary, of: (c) => ({ status: find(c).status, at: find(c).evidence?.rejectedAt }) };
}

/** The whole catalogue against a strict mail server: the crafted clients refused at its layer, the CA used as a client leaf accepted (measured: OpenSSL in both servers lets it through). */
async function catalogue(port: number, protocol: Protocol): Promise<void> {
  const r = await suite(port, protocol, true);
  expect(r.of('handshake.accepts-valid-client-cert'), r.summary).toEqual({ status: 'pass', at: 'accepted' });
  expect(r.of('handshake.client-auth-mode').status, r.summary).toBe('pass');
  for (const id of ['reject.no-client-cert', 'chain.rejects-self-signed-client', 'chain.rejects-untrusted-ca-client', 'expiry.rejects-expired-client'])
    expect(r.of(id), `${id}\n${r.summary}`).toEqual({ status: 'pass', at: 'application' });
  expect(r.of('chain.rejects-ca-as-client'), r.summary).toEqual({ status: 'warn', at: 'accepted' });
  expect(r.of('reject.plaintext').status, r.summary).toBe('skip');
}

describe.skipIf(skip(DOVECOT, 'dovecot-imapd dovecot-pop3d'))('Dovecot 2.3: IMAP and POP3 with STARTTLS', () => {
  let strict: StartedDovecot;
  let open: StartedDovecot;
  beforeAll(async () => {
    strict = await startDovecot({ pki, strict: true });
    open = await startDovecot({ pki, strict: false });
  }, 60_000);
  afterAll(async () => {
    await strict?.stop();
    await open?.stop();
  });

  it('IMAP strict: the valid client logs in; without a certificate, TLS completes and LOGIN is refused at the IMAP layer', async () => {
    const valid = await probe(strict.host, strict.port, 'imap', true, strict.logs);
    expect(valid, valid.reason).toMatchObject({
      rejectedAt: 'accepted',
      certificateRequested: true,
      application: { protocol: 'imap', user: USER, startTls: 'STARTTLS answered OK', server: expect.stringMatching(/^\* OK .*Dovecot/) },
    });
    expect(valid.reason).toMatch(/^the IMAP server logged the client in as "probe-client" with an empty password: a2 OK /);
    const none = await probe(strict.host, strict.port, 'imap', false, strict.logs);
    expect(none, none.reason).toMatchObject({
      rejectedAt: 'application',
      reason: "the TLS connection was established, then the IMAP server refused the login: a2 NO [ALERT] Client didn't present valid SSL certificate",
      application: { protocol: 'imap', code: 'ALERT' },
    });
  }, 60_000);

  it('POP3 strict: the valid client logs in; without a certificate, PASS is refused at the POP3 layer', async () => {
    const valid = await probe(strict.host, strict.pop3Port, 'pop3', true, strict.logs);
    expect(valid, valid.reason).toMatchObject({ rejectedAt: 'accepted', application: { protocol: 'pop3', startTls: 'STLS answered +OK' } });
    expect(valid.reason).toMatch(/^the POP3 server logged the client in as "probe-client" with an empty password: \+OK/);
    const none = await probe(strict.host, strict.pop3Port, 'pop3', false, strict.logs);
    expect(none, none.reason).toMatchObject({
      rejectedAt: 'application',
      reason: "the TLS connection was established, then the POP3 server refused the login: -ERR [AUTH] Client didn't present valid SSL certificate",
      application: { protocol: 'pop3', code: 'AUTH' },
    });
  }, 60_000);

  it('open: the client without a certificate logs in too (IMAP and POP3)', async () => {
    expect((await probe(open.host, open.port, 'imap', false, open.logs)).rejectedAt).toBe('accepted');
    expect((await probe(open.host, open.pop3Port, 'pop3', false, open.logs)).rejectedAt).toBe('accepted');
  }, 60_000);

  it('the CLI: rejection-without-cert passes against strict (the refusal at the IMAP/POP3 layer), fails against open', async () => {
    for (const [protocol, port] of [
      ['imap', strict.port],
      ['pop3', strict.pop3Port],
    ] as const) {
      const r = await suite(port, protocol);
      expect(r.status, r.summary).toBe('pass');
      expect(r.code, r.summary).toBe(0);
      expect(r.evidence.rejectedAt, r.summary).toBe('application');
    }
    for (const [protocol, port] of [
      ['imap', open.port],
      ['pop3', open.pop3Port],
    ] as const) {
      const r = await suite(port, protocol);
      expect(r.status, r.summary).toBe('fail');
      expect(r.code, r.summary).toBe(1);
    }
  }, 120_000);

  it('the whole catalogue (--ca-key) against strict IMAP: every crafted client refused at the IMAP layer', async () => {
    await catalogue(strict.port, 'imap');
  }, 300_000);
});

describe.skipIf(skip(POSTFIX_BIN, 'postfix'))('Postfix 3.7: SMTP with STARTTLS', () => {
  let strict: StartedServer;
  let open: StartedServer;
  beforeAll(async () => {
    strict = await startPostfix({ pki, strict: true });
    open = await startPostfix({ pki, strict: false });
  }, 60_000);
  afterAll(async () => {
    await strict?.stop();
    await open?.stop();
  });

  it('strict: the valid client gets the EHLO list; without a certificate, TLS completes and EHLO is answered 421 4.7.1', async () => {
    const valid = await probe(strict.host, strict.port, 'smtp', true, strict.logs);
    expect(valid, valid.reason).toMatchObject({
      rejectedAt: 'accepted',
      certificateRequested: true,
      reason: 'the SMTP server answered EHLO: 250-mtls-harness.test',
      application: { protocol: 'smtp', code: '250', server: '220 mtls-harness.test ESMTP Postfix' },
    });
    const none = await probe(strict.host, strict.port, 'smtp', false, strict.logs);
    expect(none, none.reason).toMatchObject({
      rejectedAt: 'application',
      reason: 'the TLS connection was established, then the SMTP server refused the client: 421 4.7.1 mtls-harness.test Error: No client certificate presented',
      application: { protocol: 'smtp', code: '421 4.7.1' },
    });
  }, 60_000);

  it('open: the client without a certificate gets the EHLO list', async () => {
    expect(await probe(open.host, open.port, 'smtp', false, open.logs)).toMatchObject({ rejectedAt: 'accepted', application: { code: '250' } });
  }, 60_000);

  it('the CLI: rejection-without-cert passes against strict, fails against open', async () => {
    const s = await suite(strict.port, 'smtp');
    expect(s.status, s.summary).toBe('pass');
    expect(s.code, s.summary).toBe(0);
    expect(s.evidence.rejectedAt, s.summary).toBe('application');
    const o = await suite(open.port, 'smtp');
    expect(o.status, o.summary).toBe('fail');
    expect(o.code, o.summary).toBe(1);
  }, 120_000);

  it('the whole catalogue (--ca-key) against strict Postfix: every crafted client refused at the SMTP layer (421 4.7.1)', async () => {
    await catalogue(strict.port, 'smtp');
  }, 300_000);
});
