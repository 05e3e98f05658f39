import { HarnessError } from '../../core/errors.js';
import { parseKeyType } from '../../pki/keys.js';
import { certsInit, parseLayout } from '../../pki/layouts.js';
import { parseCommandArgs, parseIntFlag, splitList } from '../args.js';
import type { CliIO } from '../io.js';

export const CERTS_HELP = `Usage: mtls-harness certs init --out DIR [options]

Generates an mTLS PKI (CA, server and client certificates) with the file names your stack expects.

Options:
  --out DIR               output directory (created 0700 if new)
  --layout NAME           default | gufo | kong | nova | per-service (default: default)
                            default      ca.pem ca-key.pem server.pem server-key.pem client.pem client-key.pem
                            gufo         ca.pem server.pem server-key.pem client.pem client-key.pem
                            kong         ca.crt ca.key server.crt server.key kong-client.crt kong-client.key
                                         kong-client.pem (cert+key) k8s-mtls-secrets.yaml
                            nova         ca.crt tls.crt tls.key client.crt client.key
                            per-service  ca.pem ca-key.pem <svc>/cert.pem <svc>/key.pem
  --services a,b,c        services for --layout per-service
  --cn NAME               server common name (also a DNS SAN unless --san is given)
  --san LIST              server SANs, comma-separated DNS names and IP addresses
  --days N                leaf validity in days (default 365; the CA gets 3650)
  --key-type T            ec (P-256, default), ec-p384, rsa (2048), rsa-3072, rsa-4096
  --k8s-secrets FILE      also write Kubernetes Secret manifests (kong always writes k8s-mtls-secrets.yaml)
  --namespace NS          namespace for the manifests and the in-cluster SAN names
  --force                 replace existing files (never done without it)

Private keys are written with mode 0600, certificates 0644.
`;

export async function certsCommand(argv: string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    io.stdout.write(CERTS_HELP);
    return sub === undefined ? 2 : 0;
  }
  if (sub !== 'init') throw new HarnessError('usage.unknown-command', `certs: unknown subcommand "${sub}"; the only one is "init" (mtls-harness certs init --out DIR)`);
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
    io.stdout.write(CERTS_HELP);
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
  });
  io.stdout.write(`Wrote ${result.files.length} files (layout ${result.layout}) to ${result.outDir}:\n`);
  for (const f of result.files) io.stdout.write(`  ${f.mode.toString(8).padStart(4, '0')}  ${f.path}  (${f.kind})\n`);
  if (result.secretsPath) io.stdout.write(`Kubernetes Secrets: ${result.secretsPath} (contains private keys, mode 0600; no CA key)\n`);
  io.stdout.write(`Check: openssl verify -CAfile ${result.caCertPath} ${result.leafCertPaths.join(' ')}\n`);
  return 0;
}
