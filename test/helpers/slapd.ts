// A real OpenLDAP slapd (Debian's slapd) for the ldap protocol tests: one ldap:// listener on
// 127.0.0.1 and a free port, StartTLS with the fixture PKI, no database (WhoAmI needs none), its
// files in a temp dir removed on stop. As root it drops to openldap:openldap (`-u`/`-g`), which then
// owns the temp dir and the key (0600).
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { FixturePki } from '../../src/pki/generate.js';
import { extendedRequest, STARTTLS_OID } from '../../src/probe/protocols/ldap.js';
import { findBinary } from '../../src/targets/reference/process.js';
import { onFreePort, run, tempDir, waitForAnswer, whenReady } from './app-servers.js';
import { writeServerFiles, type StartedServer } from './servers.js';

export const SLAPD = findBinary('slapd');
const CORE_SCHEMA = '/etc/ldap/schema/core.schema';

/** The openldap system user's uid and gid, when running as root (slapd then drops to it). */
function openldapUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(spawnSync('id', [flag, 'openldap'], { encoding: 'utf8' }).stdout.trim());
  const uid = id('-u');
  const gid = id('-g');
  if (!Number.isInteger(uid) || !Number.isInteger(gid) || uid <= 0) throw new Error('running as root, but there is no openldap user to run slapd as');
  return { uid, gid };
}

export interface SlapdOptions {
  pki: FixturePki;
  /** `TLSVerifyClient`: demand (a certificate is required), try, never (not asked for); none: no TLS configured at all. */
  verifyClient: 'demand' | 'try' | 'never' | 'none';
  /** Lines added to slapd.conf (`require authc`). */
  extra?: string[];
}

/** slapd 2.5 on ldap://127.0.0.1:PORT/, TLS by StartTLS. */
export async function startSlapd(o: SlapdOptions): Promise<StartedServer> {
  if (!SLAPD) throw new Error('slapd is not installed: apt-get install slapd');
  const owner = openldapUser();
  const dir = await tempDir('mtls-slapd-', owner);
  const f = await writeServerFiles(dir, o.pki);
  if (owner) for (const file of Object.values(f)) await fs.chown(file, owner.uid, owner.gid);
  const tlsLines =
    o.verifyClient === 'none'
      ? []
      : [`TLSCACertificateFile ${f.ca}`, `TLSCertificateFile ${f.chain}`, `TLSCertificateKeyFile ${f.key}`, `TLSVerifyClient ${o.verifyClient}`];
  return onFreePort(async (port) => {
    const conf = path.join(dir, `slapd-${port}.conf`);
    await fs.writeFile(
      conf,
      [
        `include ${CORE_SCHEMA}`,
        `pidfile ${path.join(dir, 'slapd.pid')}`,
        `argsfile ${path.join(dir, 'slapd.args')}`,
        ...tlsLines,
        ...(o.extra ?? []),
        '',
      ].join('\n'),
    );
    if (owner) await fs.chown(conf, owner.uid, owner.gid);
    const s = run(SLAPD, ['-d', '0', '-h', `ldap://127.0.0.1:${port}/`, '-f', conf, ...(owner ? ['-u', 'openldap', '-g', 'openldap'] : [])]);
    // slapd -d 0 logs nothing when it is ready: it is ready when it answers a StartTLS request.
    return whenReady(port, s, dir, waitForAnswer(port, extendedRequest(1, STARTTLS_OID), s, /(?:)/));
  });
}
