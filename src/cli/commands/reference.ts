import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HarnessError } from '../../core/errors.js';
import { mintFixturePki } from '../../pki/generate.js';
import { PROFILE_DESCRIPTIONS } from '../../targets/profiles.js';
import { IMPLEMENTATIONS, referenceServer } from '../../targets/reference/index.js';
import { checkReference, startReference, type Provider } from '../../targets/reference/start.js';
import { parseCommandArgs } from '../args.js';
import type { CliIO } from '../io.js';
import { referenceHelp } from '../help/reference.js';

/** `mtls-harness reference start`: runs until interrupted; `signal` ends it in tests. */
export async function referenceCommand(argv: string[], io: CliIO, signal?: AbortSignal): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    io.stdout.write(referenceHelp());
    return sub === undefined ? 2 : 0;
  }
  if (sub !== 'start') throw new HarnessError('usage.unknown-command', `reference: unknown subcommand "${sub}"; the only one is "start"`);
  const { values: v, positionals } = parseCommandArgs('reference start', rest, {
    profile: { type: 'string' },
    provider: { type: 'string' },
    out: { type: 'string' },
  });
  if (v.help) {
    io.stdout.write(referenceHelp());
    return 0;
  }
  if (positionals.length !== 1) throw new HarnessError('usage.missing-argument', `reference start: give one implementation (${IMPLEMENTATIONS.join(', ')})`);
  if (!v.profile) throw new HarnessError('usage.missing-argument', 'reference start: --profile NAME is required');
  const provider = (v.provider as string | undefined) ?? 'process';
  if (provider !== 'process' && provider !== 'container')
    throw new HarnessError('usage.invalid-value', `reference start: --provider must be process or container, not "${provider}"`);
  const { implementation, profile } = checkReference(positionals[0]!, v.profile as string, provider);

  const outGiven = v.out as string | undefined;
  const out = outGiven ? path.resolve(outGiven) : await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-reference-'));
  await fs.mkdir(out, { recursive: true, mode: 0o700 });
  const pki = await mintFixturePki();
  const files = { 'ca.pem': pki.root.certPem, 'client.pem': pki.client.chainPem, 'client-key.pem': pki.client.keyPem };
  for (const [name, content] of Object.entries(files)) {
    const p = path.join(out, name);
    await fs.rm(p, { force: true });
    await fs.writeFile(p, content, { mode: name.endsWith('key.pem') ? 0o600 : 0o644, flag: 'wx' });
  }
  const ref = await startReference({ implementation, profile, pki, provider: provider as Provider });
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await ref.stop();
      if (!outGiven) await fs.rm(out, { recursive: true, force: true });
    })());
  const unregister = io.onInterrupt?.(stop);
  const e = ref.endpoint;
  const protocol = referenceServer(implementation)?.protocol ?? 'https';
  const protocolFlag = protocol === 'https' ? '' : ` --protocol ${protocol}`;
  io.stdout.write(
    [
      `${implementation} reference (${provider}), profile ${profile}: ${PROFILE_DESCRIPTIONS[profile]}`,
      `  endpoint   ${e.host}:${e.port}   (${protocol === 'https' ? `${ref.url}, ` : `protocol ${protocol}, `}SNI localhost)`,
      `  CA         ${path.join(out, 'ca.pem')}`,
      `  client     ${path.join(out, 'client.pem')}  key ${path.join(out, 'client-key.pem')}`,
      ...(ref.ocsp ? [`  OCSP       ${ref.ocsp.url}   (the harness's responder for the fixture CAs)`] : []),
      `  try        mtls-harness probe ${e.host}:${e.port}${protocolFlag} --servername localhost --ca ${path.join(out, 'ca.pem')} --cert ${path.join(out, 'client.pem')} --key ${path.join(out, 'client-key.pem')}`,
      'Running until Ctrl-C.',
      '',
    ].join('\n'),
  );
  // Runs until Ctrl-C (the CLI's interrupt handler calls stop() and exits) or, in-process, until aborted.
  const keepAlive = setInterval(() => undefined, 1 << 30); // nothing else may hold the event loop open
  await new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    signal?.addEventListener('abort', () => resolve(), { once: true });
  });
  clearInterval(keepAlive);
  unregister?.();
  await stop();
  io.stdout.write('stopped\n');
  return 0;
}
