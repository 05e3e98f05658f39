import { isHarnessError } from '../core/errors.js';
import { safeText } from '../core/text.js';
import { toolInfo } from '../io/version.js';
import type { CliIO } from './io.js';

export const MAIN_HELP = `Usage: mtls-harness <command> [options]

Proves (or disproves) that a service really enforces mutual TLS.

Commands:
  probe HOST:PORT...  diagnose endpoints: client-auth mode, where a cert-less client is refused,
                      whether your client cert is accepted, server chain and SANs
  run                 run the conformance suites against targets (many: --targets-file) or a
                      reference server; JSON/JUnit/HTML/PDF reports
                      (mtls-harness run --reference node --profile strict --html report.html)
  client-test -- CMD  test an mTLS client: does it present its certificate, does it refuse bad
                      servers (untrusted, wrong SAN, expired, self-signed, incomplete chain);
                      --corpus limbo measures it against the x509-limbo path-validation cases
  audit PATH...       audit certificate and key files offline (layouts of certs init recognised):
                      parse, key match, chain, SANs, EKU, expiry, key permissions, keys in CA bundles
  k8s scan            discover a namespace's Services, probe each through port-forward, audit its
                      Secrets, ConfigMaps, Pods and cert-manager Certificates
  certs init          generate an mTLS PKI with your stack's file names (gufo, kong, nova, per-service)
  reference start     start a reference server (node, node-grpc, openssl, nginx, haproxy, stunnel, caddy, gnutls)
                      until Ctrl-C
  demo                probe the node reference (strict, optional-client-cert), run the catalogue,
                      write reports/demo.html
  help, --version

Run "mtls-harness <command> --help" for a command's options. Documentation: README.md and docs/
(one page per command: docs/README.md; the check catalogue: docs/CONFORMANCE.md).
Exit status: 0 pass, 1 fail or error, 2 usage error, 130 interrupted (reports still written).
`;

type Command = (argv: string[], io: CliIO) => Promise<number>;

// Loaded on demand: a command pays only for the modules it uses (CLI start time matters in CI loops).
const COMMANDS: Record<string, Command> = {
  probe: async (argv, io) => (await import('./commands/probe.js')).probeCommand(argv, io),
  run: async (argv, io) => (await import('./commands/run.js')).runCommand(argv, io),
  'client-test': async (argv, io) => (await import('./commands/client-test.js')).clientTestCommand(argv, io),
  audit: async (argv, io) => (await import('./commands/audit.js')).auditCommand(argv, io),
  k8s: async (argv, io) => (await import('./commands/k8s.js')).k8sCommand(argv, io),
  certs: async (argv, io) => (await import('./commands/certs.js')).certsCommand(argv, io),
  demo: async (argv, io) => (await import('./commands/demo.js')).demoCommand(argv, io),
  reference: async (argv, io) => (await import('./commands/reference.js')).referenceCommand(argv, io),
};

/**
 * Runs the CLI and returns its exit code. Usage errors print one line (exit 2); no stack trace ever
 * reaches the user, and no private key ever reaches any output.
 */
export async function runCli(argv: string[], io: CliIO): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    if (cmd === undefined || cmd === 'help' || cmd === '--help' || cmd === '-h') {
      if (rest[0] && COMMANDS[rest[0]]) return await COMMANDS[rest[0]]!(rest[0] === 'certs' ? [] : ['--help'], io).then(() => 0);
      else io.stdout.write(MAIN_HELP);
      return cmd === undefined ? 2 : 0;
    }
    if (cmd === '--version' || cmd === '-V' || cmd === 'version') {
      io.stdout.write(`${toolInfo().version}\n`);
      return 0;
    }
    const command = COMMANDS[cmd];
    if (!command) {
      io.stderr.write(`mtls-harness: unknown command "${safeText(cmd, 80)}"; commands: ${Object.keys(COMMANDS).join(', ')} (mtls-harness --help)\n`);
      return 2;
    }
    return await command(rest, io);
  } catch (e) {
    if (isHarnessError(e)) {
      // Messages embed values from flags, files and peers: nothing unprintable reaches the terminal.
      io.stderr.write(`mtls-harness: error: ${safeText(e.message, 2000)}\n`);
      if (e.details) io.stderr.write(`${e.details.split('\n').map((l) => safeText(l, 2000)).join('\n')}\n`);
      return e.isUsageError ? 2 : 1;
    }
    const msg = safeText(e instanceof Error ? e.message.split('\n')[0]! : String(e), 2000);
    io.stderr.write(`mtls-harness: internal error: ${msg} (please report this with the command you ran; set MTLS_HARNESS_DEBUG=1 for details)\n`);
    if (io.env.MTLS_HARNESS_DEBUG) io.stderr.write(`${(e as Error).stack ?? ''}\n`);
    return 1;
  }
}
