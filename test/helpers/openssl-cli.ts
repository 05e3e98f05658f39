// Certificates made by the `openssl` CLI for tests that must not trust our own minting: a P-256 CA,
// and leaves it signs with the extensions an `openssl x509 -extfile` section gives.
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { promisify } from 'node:util';

const sh = promisify(execFile);
const P256 = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

/** A self-signed P-256 CA: `${base}.pem` and `${base}-key.pem`; `addext`: extensions for `-addext` (e.g. `keyUsage=critical,keyCertSign`). */
export async function opensslCa(base: string, subj: string, days = 3, addext: string[] = []): Promise<void> {
  const ext = addext.flatMap((e) => ['-addext', e]);
  await sh('openssl', ['req', '-x509', ...P256, '-subj', subj, '-days', String(days), ...ext, '-keyout', `${base}-key.pem`, '-out', `${base}.pem`]);
}

/** A P-256 leaf `${base}.pem`, `${base}-key.pem` signed by the CA `${ca}.pem`/`${ca}-key.pem`, with these extension lines. */
export async function opensslLeaf(base: string, ca: string, subj: string, ext: string, days = 2): Promise<void> {
  await fs.writeFile(`${base}.ext`, `[v]\n${ext}\n`);
  await sh('openssl', ['req', '-new', ...P256, '-subj', subj, '-keyout', `${base}-key.pem`, '-out', `${base}.csr`]);
  await sh('openssl', [
    'x509',
    '-req',
    '-in',
    `${base}.csr`,
    '-CA',
    `${ca}.pem`,
    '-CAkey',
    `${ca}-key.pem`,
    '-days',
    String(days),
    '-extfile',
    `${base}.ext`,
    '-extensions',
    'v',
    '-out',
    `${base}.pem`,
  ]);
}
