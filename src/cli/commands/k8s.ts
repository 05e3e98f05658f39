/**
 * `mtls-harness k8s scan`: parses the flags, calls the library's ClusterScan (src/app/k8s-scan.ts)
 * and prints. Ctrl-C: the reports are written with what finished (marked incomplete), then every
 * port-forward closes.
 */
import { ClusterScan, SCANNED } from '../../app/k8s-scan.js';
import { HarnessError } from '../../core/errors.js';
import { safeText } from '../../core/text.js';
import { parseCommandArgs, reportOptions } from '../args.js';
import type { CliIO } from '../io.js';
import { listChecks } from '../list-checks.js';
import { k8sHelp } from '../help/k8s.js';
import { credentialFlags, executeRun, interruptibleRun, resolveRotationFlags, resolveRunSettings, RUN_SHARED_OPTIONS } from './run.js';

const K8S_OPTIONS = {
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  namespace: { type: 'string', short: 'n', multiple: true },
  'all-namespaces': { type: 'boolean', short: 'A' },
  selector: { type: 'string', short: 'l' },
  service: { type: 'string', multiple: true },
  secret: { type: 'string' },
  'ca-key-secret': { type: 'string' },
  'in-cluster': { type: 'boolean' },
  'istio-root-namespace': { type: 'string' },
} as const;

export async function k8sCommand(argv: string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    io.stdout.write(k8sHelp());
    return sub === undefined ? 2 : 0;
  }
  if (sub !== 'scan') throw new HarnessError('usage.invalid-value', `k8s: unknown subcommand "${sub}" (mtls-harness k8s scan --help)`);
  return scanCommand(rest, io);
}

async function scanCommand(argv: string[], io: CliIO): Promise<number> {
  const { values: v, positionals } = parseCommandArgs('k8s scan', argv, { ...K8S_OPTIONS, ...RUN_SHARED_OPTIONS, ...reportOptions() });
  if (v.help) {
    io.stdout.write(k8sHelp());
    return 0;
  }
  if (v['list-checks']) return listChecks(io);
  if (positionals.length > 0)
    throw new HarnessError('usage.invalid-value', `k8s scan: unexpected argument "${positionals[0]}" (Services are discovered; narrow with -n, -l, --service)`);
  const env = io.env;
  const settings = resolveRunSettings('k8s scan', v, env, SCANNED);
  const credentials = credentialFlags('k8s scan', v, env);
  const rotation = resolveRotationFlags('k8s scan', v);
  const scan = new ClusterScan({
    settings,
    credentials,
    rotation,
    env,
    kubeconfig: v.kubeconfig as string | undefined,
    context: v.context as string | undefined,
    namespaces: v.namespace as string[] | undefined,
    allNamespaces: !!v['all-namespaces'],
    selector: v.selector as string | undefined,
    services: v.service as string[] | undefined,
    secret: v.secret as string | undefined,
    caKeySecret: v['ca-key-secret'] as string | undefined,
    inCluster: !!v['in-cluster'],
    istioRootNamespace: v['istio-root-namespace'] as string | undefined,
  });
  await scan.discover();
  // Ctrl-C from here on: the reports are written with what finished, then every port-forward closes.
  const interrupt = interruptibleRun(io, () => scan.close());
  try {
    await scan.open();
    if (!settings.quiet) sayFound(io, scan, !!v['in-cluster']);
    return await executeRun({
      argv: ['k8s', 'scan', ...argv],
      io,
      settings,
      interrupt,
      targets: scan.probed.length,
      provenance: { command: 'k8s scan', values: v, configFile: settings.configFile, policy: settings.policy },
      check: (hooks) => scan.check(hooks),
    });
  } finally {
    interrupt.unregister();
    await scan.close();
  }
}

/** One line on stderr: where the scan looked and what it reached; a line per Service skipped. */
function sayFound(io: CliIO, scan: ClusterScan, inCluster: boolean): void {
  const f = scan.findings();
  const via = inCluster ? 'dialled directly' : 'through port-forward';
  io.stderr.write(
    `mtls-harness: k8s scan: context ${safeText(f.context, 120)} (${safeText(f.server, 200)}), namespace${f.namespaces.length === 1 ? '' : 's'} ${f.namespaces.join(', ') || '(none)'}: ${f.servicePorts} Service port(s)${f.listeners ? `, ${f.listeners} Gateway listener(s)` : ''}${f.ingressHosts ? `, ${f.ingressHosts} Ingress host(s)` : ''}${f.meshPorts ? `, ${f.meshPorts} mesh port(s)` : ''}, ${f.reached} ${via}, ${f.unreachable} unreachable${f.skipped.length ? `, ${f.skipped.length} skipped` : ''}${f.forbidden ? `, ${f.forbidden} forbidden read(s)` : ''}\n`,
  );
  for (const s of f.skipped) io.stderr.write(`  skipped ${safeText(s.service, 200)}: ${safeText(s.reason, 300)}\n`);
}
