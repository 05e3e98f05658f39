import { execFileSync } from 'node:child_process';
import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parsePrivateKey } from '../pki/inspect.js';
import { generateKey, privateKeyToPem } from '../pki/keys.js';
import { KEY_REDACTED, redactArgv, redactCommandLine, redactText, registerPrivateKey, shellCommands } from './redact.js';
import { outputTail } from './text.js';
import { findBinary } from '../targets/reference/process.js';

const R = '[REDACTED]';

describe('redactArgv: credential flags, headers, URLs, assignments', () => {
  it('curl -u/--user, -U, --oauth2-bearer, attached -uuser:pw', () => {
    expect(redactArgv(['curl', '-u', 'admin:hunter2', '--oauth2-bearer', 'tok', '-U', 'p:x', '--user=a:b', '-uadmin:hunter2', '{url}'])).toEqual([
      'curl',
      '-u',
      R,
      '--oauth2-bearer',
      R,
      '-U',
      R,
      `--user=${R}`,
      `-u${R}`,
      '{url}',
    ]);
  });
  it('-H/--header with Authorization, Proxy-Authorization, Cookie, X-Api-Key, X-Auth-Token; other headers kept', () => {
    expect(
      redactArgv([
        'curl',
        '-H',
        'Authorization: Bearer abc',
        '-H',
        'Proxy-Authorization: Basic eA==',
        '-H',
        'Cookie: s=1',
        '-H',
        'X-Api-Key: k1',
        '--header',
        'X-Auth-Token: t',
        '-H',
        'Accept: */*',
        '--header=Authorization: Bearer z',
        '-HCookie: c',
      ]),
    ).toEqual([
      'curl',
      '-H',
      `Authorization: ${R}`,
      '-H',
      `Proxy-Authorization: ${R}`,
      '-H',
      `Cookie: ${R}`,
      '-H',
      `X-Api-Key: ${R}`,
      '--header',
      `X-Auth-Token: ${R}`,
      '-H',
      'Accept: */*',
      `--header=Authorization: ${R}`,
      `-HCookie: ${R}`,
    ]);
  });
  it('--password=, wget --password/--http-password, mysql -pSECRET, PGPASSWORD=', () => {
    expect(redactArgv(['wget', '--password=pw', '--http-password', 'pw2', '--http-user=u', 'https://h/'])).toEqual([
      'wget',
      `--password=${R}`,
      '--http-password',
      R,
      `--http-user=${R}`,
      'https://h/',
    ]);
    expect(redactArgv(['mysql', '-uroot', '-phunter2', '-h', '127.0.0.1'])).toEqual(['mysql', `-uroot`, `-p${R}`, '-h', '127.0.0.1']);
    expect(redactArgv(['ssh', '-p2222', 'host'])).toEqual(['ssh', '-p2222', 'host']);
    expect(redactArgv(['env', 'PGPASSWORD=pg1', 'MTLS_CA=/x/ca.pem', 'psql'])).toEqual(['env', `PGPASSWORD=${R}`, 'MTLS_CA=/x/ca.pem', 'psql']);
  });
  it('URL user-info and secret query parameters', () => {
    expect(redactArgv(['curl', 'https://user:pass@h:8443/p?x=1&password=pw&access_token=t'])).toEqual([
      'curl',
      `https://${R}@h:8443/p?x=1&password=${R}&access_token=${R}`,
    ]);
    expect(redactArgv(['curl', '{url}'])).toEqual(['curl', '{url}']);
  });
  it("keeps the harness's own flags that name files or secrets' names", () => {
    expect(
      redactArgv(['run', '--ca-key', 'ca-key.pem', '--key', 'k.pem', '--key-passphrase-env', 'V', '--secret', 'grpc-tls', '--key-passphrase', 'x']),
    ).toEqual(['run', '--ca-key', 'ca-key.pem', '--key', 'k.pem', '--key-passphrase-env', 'V', '--secret', 'grpc-tls', '--key-passphrase', R]);
  });
});

describe('shell strings: sh -c and command values', () => {
  it('tokenises quotes, escapes, substitutions and separators', () => {
    const cmds = shellCommands(`a 'b c' "d \\"e\\"" f\\ g $(h i) && j|k 2>&1; l`).map((ws) => ws.map((w) => w.value));
    expect(cmds).toEqual([['a', 'b c', 'd "e"', 'f g', '$(h i)'], ['j'], ['k', '2', '1'], ['l']]);
  });
  it('sh -c with curl -u, -H, --oauth2-bearer, URL user-info: only the secrets change', () => {
    expect(
      redactArgv(['sh', '-c', `curl -sS -u admin:hunter2 -H "Authorization: Bearer abc" --oauth2-bearer t0k 'https://u:p@h/?token=q' && echo ok`]),
    ).toEqual(['sh', '-c', `curl -sS -u ${R} -H 'Authorization: ${R}' --oauth2-bearer ${R} 'https://${R}@h/?token=${R}' && echo ok`]);
  });
  it('--rotation-command values (flag and = forms) and config rotation.command strings', () => {
    const cmd = `kubectl rollout restart deploy/x && curl -H "X-Api-Key: k" https://ci:pw@h/hook`;
    const want = `kubectl rollout restart deploy/x && curl -H 'X-Api-Key: ${R}' https://${R}@h/hook`;
    expect(redactArgv(['run', '--rotation-command', cmd])).toEqual(['run', '--rotation-command', want]);
    expect(redactArgv([`--rotation-command=${cmd}`])).toEqual([`--rotation-command=${want}`]);
    expect(redactCommandLine(cmd)).toBe(want);
    expect(redactCommandLine('PGPASSWORD=x psql -h db; mysql -pSECRET db; wget --http-password=w u')).toBe(
      `PGPASSWORD=${R} psql -h db; mysql -p${R} db; wget --http-password=${R} u`,
    );
  });
  it('nested shells', () => {
    expect(redactCommandLine(`ssh host "sh -c 'curl -u a:b h'"`)).not.toContain('a:b');
  });
  it('a command without secrets is returned as written', () => {
    const s = `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | openssl s_client -quiet -connect {host}:{port} -CAfile {ca}`;
    expect(redactCommandLine(s)).toBe(s);
    expect(redactArgv(['sh', '-c', s])).toEqual(['sh', '-c', s]);
  });
});

describe('shell strings with spaces the shell does not split on', () => {
  // Found while testing the reporters: a word loop that broke on any \s while the command loop skipped
  // only space, tab and CR never advanced on a no-break space, and the run hung writing its reports.
  it.each(['\u00a0', '\u2028', '\u3000', '\ufeff', '\v', '\f'])('U+%s inside a command ends, and the credential after it is still redacted', (ch) => {
    const cmd = `curl${ch}-u admin:hunter2 https://a.example/ && echo x${ch}y`;
    const out = redactArgv(['sh', '-c', cmd]);
    expect(out[2]).not.toContain('hunter2');
    expect(redactArgv([`--servername=a${ch}b`, '--rotation-command', `kubectl rollout restart deploy/x${ch}`])).toHaveLength(3);
  });
});

describe('redactText: command output', () => {
  it('curl -v headers, sh -x traces, URL user-info, query parameters', () => {
    const out = [
      '> GET /?password=pw HTTP/1.1',
      '> Authorization: Bearer abc',
      '> Cookie: s=1',
      '< Set-Cookie: sid=2',
      '+ curl -u admin:hunter2 --oauth2-bearer t0k https://u:p@h/',
      '+ PGPASSWORD=pg1 psql',
      '> Accept: */*',
    ].join('\n');
    const r = redactText(out);
    for (const s of ['=pw', 'abc', 's=1', 'sid=2', 'hunter2', 't0k', 'u:p@', 'pg1']) expect(r).not.toContain(s);
    expect(r).toContain('> Accept: */*');
    expect(r).toContain(`> Authorization: ${R}`);
  });
});

/** The fragments of a key a command can print. */
function encodings(key: KeyObject): { d: Buffer; hex: string; colons: string; der: Buffer; trad: Buffer } {
  const d = Buffer.from(key.export({ format: 'jwk' }).d!, 'base64url');
  const trad = key.export({ format: 'der', type: key.asymmetricKeyType === 'rsa' ? 'pkcs1' : 'sec1' });
  return { d, hex: d.toString('hex'), colons: d.toString('hex').match(/../g)!.join(':'), der: key.export({ format: 'der', type: 'pkcs8' }), trad };
}

describe('known private keys, in every encoding', () => {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  registerPrivateKey(ec);
  registerPrivateKey(rsa);

  for (const [name, key] of [
    ['EC', ec],
    ['RSA', rsa],
  ] as const) {
    it(`${name}: hex (colons, plain, upper, wrapped like openssl -text), base64 DER (wrapped or not, any offset)`, () => {
      const e = encodings(key);
      const wrapped = e.colons
        .match(/.{1,45}/g)!
        .map((l) => `    ${l}`)
        .join('\n');
      const b64 = e.der.toString('base64');
      const cases = [
        `priv:\n${wrapped}\npub:`,
        `x ${e.hex.slice(6, 6 + 32)} y`,
        e.hex.slice(3, 3 + 33).toUpperCase(), // odd nibble offset
        e.colons.slice(30, 30 + 48).replace(/:/g, ' '),
        b64.match(/.{1,64}/g)!.join('\n'),
        b64.match(/.{1,76}/g)!.join('\n'),
        e.trad.toString('base64'),
        b64.slice(Math.floor((e.der.indexOf(e.d) * 4) / 3) + 1).slice(0, 24), // 18 bytes of the secret from an unaligned offset
        e.trad.subarray(e.trad.indexOf(e.d) - 3, e.trad.indexOf(e.d) + 32).toString('hex'), // xxd -p of the traditional DER
      ];
      for (const c of cases) {
        const r = redactText(`before\n${c}\nafter`);
        expect(r, c.slice(0, 20)).toContain(KEY_REDACTED);
        expect(r).toMatch(/^before\n/);
        expect(r).toMatch(/\nafter$/);
      }
    });
  }

  it('public parts and other keys are left alone', () => {
    const e = rsa.export({ format: 'jwk' });
    const n = Buffer.from(e.n!, 'base64url');
    expect(redactText(n.toString('hex'))).toBe(n.toString('hex'));
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const oh = encodings(other).hex;
    expect(redactText(oh)).toBe(oh);
    expect(redactText('The quick brown fox 0123456789abcdef')).toBe('The quick brown fox 0123456789abcdef');
  });

  it('keys the harness reads (parsePrivateKey: --key, --ca-key) and mints (privateKeyToPem) are registered', async () => {
    const read = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const hex = encodings(read).hex;
    expect(redactText(hex)).toBe(hex);
    parsePrivateKey(read.export({ format: 'pem', type: 'pkcs8' }) as string, 'k.pem');
    expect(redactText(hex)).toBe(KEY_REDACTED);
    const minted = await generateKey('ec-p256');
    const pem = privateKeyToPem(minted.pair.privateKey);
    expect(redactText(encodings(createPrivateKey(pem)).hex)).toBe(KEY_REDACTED);
  });

  it.skipIf(!findBinary('openssl'))('what openssl pkey -text and -outform DER | base64 print (skipped without openssl)', () => {
    const pem = ec.export({ format: 'pem', type: 'pkcs8' }) as string;
    const text = execFileSync('openssl', ['pkey', '-text', '-noout'], { input: pem }).toString();
    const der = execFileSync('openssl', ['pkey', '-outform', 'DER'], { input: pem }).toString('base64');
    const tail = outputTail(`${text}\n${der}\nok`, 30, 2000)!;
    expect(tail).toContain(KEY_REDACTED);
    expect(tail.replace(/[^0-9a-f]/g, '')).not.toContain(encodings(ec).hex.slice(0, 32));
    expect(tail).not.toContain(der.slice(20, 44));
    expect(tail).toMatch(/ok$/);
  });

  // Last: it pushes the minted keys above out of the index.
  it('past 256 minted keys the newest are kept, and keys the harness read (--key) always', () => {
    const read = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    parsePrivateKey(read.export({ format: 'der', type: 'sec1' }), 'k.der');
    const keys = Array.from({ length: 300 }, () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
    for (const k of keys) registerPrivateKey(k);
    expect(redactText(encodings(keys[299]!).hex)).toBe(KEY_REDACTED);
    expect(redactText(encodings(read).hex)).toBe(KEY_REDACTED);
    expect(redactText(encodings(keys[0]!).hex)).toBe(encodings(keys[0]!).hex);
  });
});
