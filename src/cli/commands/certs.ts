import { HarnessError } from '../../core/errors.js';
import { parseKeyType } from '../../pki/keys.js';
import { certsInit, parseLayout } from '../../pki/layouts.js';
import { parseCommandArgs, parseIntFlag, splitList } from '../args.js';
import type { CliIO } from '../io.js';
import { certsHelp, certsRevokeHelp } from '../help/certs.js';
import { loadCaFile, parsePrivateKey, readPkiFile } from '../../pki/inspect.js';
import { kitInstructions, revocationKit } from '../../pki/revocation-kit.js';
import { crlsOfFile } from '../../pki/client-crl.js';

export async function certsCommand(argv: string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    io.stdout.write(certsHelp());
    return sub === undefined ? 2 : 0;
  }
  if (sub === 'revoke') return certsRevoke(rest, io);
  if (sub !== 'init')
    throw new HarnessError(
      'usage.unknown-command',
      `certs: unknown subcommand "${sub}"; they are "init" (mtls-harness certs init --out DIR) and "revoke" (mtls-harness certs revoke --ca-cert FILE --ca-key FILE --out DIR)`,
    );
  const { values: v, positionals } = parseCommandArgs('certs init', rest, {
    out: { type: 'string' },
    layout: { type: 'string' },
    services: { type: 'string' },
    cn: { type: 'string' },
    san: { type: 'string' },
    days: { type: 'string' },
    'key-type': { type: 'string' },
    'k8s-secrets': { type: 'string' },
    namespace: { type: 'string' },
    force: { type: 'boolean' },
  });
  if (v.help) {
    io.stdout.write(certsHelp());
    return 0;
  }
  if (positionals.length > 0) throw new HarnessError('usage.invalid-value', `certs init: unexpected argument "${positionals[0]}"`);
  if (!v.out) throw new HarnessError('usage.missing-argument', 'certs init: --out DIR is required');
  const result = await certsInit({
    out: v.out as string,
    ...(v.layout ? { layout: parseLayout(v.layout as string) } : {}),
    ...(v.services ? { services: splitList(v.services as string) } : {}),
    ...(v.cn ? { cn: v.cn as string } : {}),
    ...(v.san ? { sans: splitList(v.san as string) } : {}),
    ...(v.days ? { days: parseIntFlag('--days', v.days as string, 1, 3650) } : {}),
    ...(v['key-type'] ? { keyType: parseKeyType(v['key-type'] as string) } : {}),
    ...(v['k8s-secrets'] ? { k8sSecretsFile: v['k8s-secrets'] as string } : {}),
    ...(v.namespace ? { namespace: v.namespace as string } : {}),
    ...(v.force ? { force: true } : {}),
    ...(v.crl ? { currentCrl: oneCrl(v.crl as string) } : {}),
  });
  io.stdout.write(`Wrote ${result.files.length} files (layout ${result.layout}) to ${result.outDir}:\n`);
  for (const f of result.files) io.stdout.write(`  ${f.mode.toString(8).padStart(4, '0')}  ${f.path}  (${f.kind})\n`);
  if (result.secretsPath) io.stdout.write(`Kubernetes Secrets: ${result.secretsPath} (contains private keys, mode 0600; no CA key)\n`);
  io.stdout.write(`Check: openssl verify -CAfile ${result.caCertPath} ${result.leafCertPaths.join(' ')}\n`);
  return 0;
}

/** The one CRL of a file (--crl): a file of several is ambiguous. */
function oneCrl(file: string): { source: string; der: Buffer } {
  const crls = crlsOfFile(readPkiFile(file, 'CRL'));
  if (crls.length !== 1)
    throw new HarnessError('usage.invalid-value', `certs revoke: --crl ${file} holds ${crls.length} CRLs; give the CA's current CRL alone`);
  return { source: file, der: crls[0]! };
}

/** `certs revoke`: a client certificate of the CA and a CRL listing it, for the user to deploy (docs/CONFORMANCE.md "Revocation"). */
async function certsRevoke(rest: string[], io: CliIO): Promise<number> {
  const { values: v, positionals } = parseCommandArgs('certs revoke', rest, {
    'ca-cert': { type: 'string' },
    'ca-key': { type: 'string' },
    out: { type: 'string' },
    days: { type: 'string' },
    force: { type: 'boolean' },
    crl: { type: 'string' },
  });
  if (v.help) {
    io.stdout.write(certsRevokeHelp());
    return 0;
  }
  if (positionals.length > 0) throw new HarnessError('usage.invalid-value', `certs revoke: unexpected argument "${positionals[0]}"`);
  for (const f of ['ca-cert', 'ca-key', 'out'] as const) if (!v[f]) throw new HarnessError('usage.missing-argument', `certs revoke: --${f} is required`);
  const kit = await revocationKit({
    caCertPem: loadCaFile(v['ca-cert'] as string).pem,
    caKey: parsePrivateKey(readPkiFile(v['ca-key'] as string, 'CA private key'), v['ca-key'] as string),
    out: v.out as string,
    ...(v.days ? { days: parseIntFlag('--days', v.days as string, 1, 365) } : {}),
    ...(v.force ? { force: true } : {}),
    ...(v.crl ? { currentCrl: oneCrl(v.crl as string) } : {}),
  });
  io.stdout.write(`Wrote ${kit.files.length} files:\n`);
  for (const f of kit.files) io.stdout.write(`  ${f.mode.toString(8).padStart(4, '0')}  ${f.path}\n`);
  io.stdout.write(`${kitInstructions(kit).join('\n')}\n`);
  return 0;
}
