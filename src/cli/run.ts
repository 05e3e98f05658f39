import { isHarnessError } from '../core/errors.js';
import { safeText } from '../core/text.js';
import { toolInfo } from '../io/version.js';
import type { CliIO } from './io.js';

type Command = (argv: string[], io: CliIO) => Promise<number>;

// Loaded on demand: a command pays only for the modules it uses (CLI start time matters in CI loops).
const COMMANDS: Record<string, Command> = {
  probe: async (argv, io) => (await import('./commands/probe.js')).probeCommand(argv, io),
  run: async (argv, io) => (await import('./commands/run.js')).runCommand(argv, io),
  serve: async (argv, io) => (await import('./commands/serve.js')).serveCommand(argv, io),
  'client-test': async (argv, io) => (await import('./commands/client-test.js')).clientTestCommand(argv, io),
  audit: async (argv, io) => (await import('./commands/audit.js')).auditCommand(argv, io),
  github: async (argv, io) => (await import('./commands/github.js')).githubCommand(argv, io),
  k8s: async (argv, io) => (await import('./commands/k8s.js')).k8sCommand(argv, io),
  certs: async (argv, io) => (await import('./commands/certs.js')).certsCommand(argv, io),
  diff: async (argv, io) => (await import('./commands/diff.js')).diffCommand(argv, io),
  demo: async (argv, io) => (await import('./commands/demo.js')).demoCommand(argv, io),
  reference: async (argv, io) => (await import('./commands/reference.js')).referenceCommand(argv, io),
  report: async (argv, io) => (await import('./commands/report.js')).reportCommand(argv, io),
  baseline: async (argv, io) => (await import('./commands/baseline.js')).baselineCommand(argv, io),
};

/**
 * Each command's help, from src/cli/help/ (strings and the reporters' map, nothing else): `CMD
 * --help` is answered without loading the command. `sub` is the command's one subcommand (`k8s
 * scan`), `helpWord` when `CMD help` prints the help too.
 */
const HELP: Record<string, { text: () => Promise<string>; sub?: string; helpWord?: boolean; more?: Record<string, () => Promise<string>> }> = {
  probe: { text: async () => (await import('./help/probe.js')).probeHelp() },
  diff: { text: async () => (await import('./help/diff.js')).diffHelp() },
  run: { text: async () => (await import('./help/run.js')).runHelp() },
  serve: { text: async () => (await import('./help/serve.js')).serveHelp() },
  'client-test': { text: async () => (await import('./help/client-test.js')).clientTestHelp() },
  audit: { text: async () => (await import('./help/audit.js')).auditHelp() },
  github: { text: async () => (await import('./help/github.js')).githubHelp() },
  k8s: { text: async () => (await import('./help/k8s.js')).k8sHelp(), sub: 'scan', helpWord: true },
  certs: {
    text: async () => (await import('./help/certs.js')).certsHelp(),
    sub: 'init',
    helpWord: true,
    more: { revoke: async () => (await import('./help/certs.js')).certsRevokeHelp() },
  },
  demo: { text: async () => (await import('./help/demo.js')).demoHelp() },
  reference: { text: async () => (await import('./help/reference.js')).referenceHelp(), sub: 'start' },
  report: { text: async () => (await import('./help/report.js')).reportHelp(), sub: 'merge', helpWord: true },
  baseline: { text: async () => (await import('./help/baseline.js')).baselineHelp() },
};

const isHelpFlag = (w: string | undefined) => w === '--help' || w === '-h';

/**
 * True when argv asks for a command's help and nothing else (`run --help`, `k8s scan -h`, `certs
 * help`). With any other flag the command itself parses them all strictly first (an unknown one is
 * exit 2 even beside --help: the documentation's examples are checked that way), then prints it.
 */
function onlyHelp(cmd: string, rest: string[]): boolean {
  const h = HELP[cmd];
  if (!h) return false;
  if (rest.length === 1) return isHelpFlag(rest[0]) || (!!h.helpWord && rest[0] === 'help');
  return rest.length === 2 && h.sub !== undefined && rest[0] === h.sub && isHelpFlag(rest[1]);
}

/**
 * Runs the CLI and returns its exit code. Usage errors print one line (exit 2); no stack trace ever
 * reaches the user, and no private key ever reaches any output.
 */
export async function runCli(argv: string[], io: CliIO): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    if (cmd === undefined || cmd === 'help' || cmd === '--help' || cmd === '-h') {
      const h = rest[0] !== undefined ? HELP[rest[0]] : undefined;
      io.stdout.write(h ? await h.text() : (await import('./help/main.js')).mainHelp());
      return cmd === undefined ? 2 : 0;
    }
    if (cmd === '--version' || cmd === '-V' || cmd === 'version') {
      io.stdout.write(`${toolInfo().version}\n`);
      return 0;
    }
    if (onlyHelp(cmd, rest)) {
      io.stdout.write(await HELP[cmd]!.text());
      return 0;
    }
    // Another subcommand's own help (`certs revoke --help`), also without loading the command.
    const more = rest.length === 2 && isHelpFlag(rest[1]) ? HELP[cmd]?.more?.[rest[0]!] : undefined;
    if (more) {
      io.stdout.write(await more());
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
      if (e.details)
        io.stderr.write(
          `${e.details
            .split('\n')
            .map((l) => safeText(l, 2000))
            .join('\n')}\n`,
        );
      return e.isUsageError ? 2 : 1;
    }
    const msg = safeText(e instanceof Error ? e.message.split('\n')[0]! : String(e), 2000);
    io.stderr.write(`mtls-harness: internal error: ${msg} (please report this with the command you ran; set MTLS_HARNESS_DEBUG=1 for details)\n`);
    if (io.env.MTLS_HARNESS_DEBUG) io.stderr.write(`${(e as Error).stack ?? ''}\n`);
    return 1;
  }
}
