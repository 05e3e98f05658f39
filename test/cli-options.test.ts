// One option model (issue 17): an unknown flag gets the flag it most likely means — a typo of one of
// the command's own flags, or the name another TLS tool gives it (curl's --cacert, s_client's -connect
// style names, testssl/grpcurl's --sni/--authority) — and one line, exit 2.
import { describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/run.js';
import { didYouMean } from '../src/cli/args.js';

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, env: { NO_COLOR: '1' } });
  return { code, stdout, stderr };
}

describe('did you mean', () => {
  it.each([
    [['probe', 'x:1', '--cacert', 'ca.pem'], '--cacert', '--ca'],
    [['run', '--target', 'x:1', '--cafile', 'ca.pem'], '--cafile', '--ca'],
    [['run', '--target', 'x:1', '--cert-file', 'c.pem'], '--cert-file', '--cert'],
    [['probe', 'x:1', '--key-file', 'k.pem'], '--key-file', '--key'],
    [['run', '--target', 'x:1', '--sni', 'a.example'], '--sni', '--servername'],
    [['probe', 'x:1', '--authority', 'a.example'], '--authority', '--servername'],
    [['run', '--taget', 'x:1'], '--taget', '--target'],
    [['run', '--target', 'x:1', '--sute', 'expiry'], '--sute', '--suite'],
    [['k8s', 'scan', '--namespce', 'nova'], '--namespce', '--namespace'],
    [['audit', 'certs', '--expected-names', 'a'], '--expected-names', '--expected-name'],
    [['client-test', '--timout', '5s', '--', 'true'], '--timout', '--timeout'],
  ])('%j → %s: did you mean %s?', async (args, bad, good) => {
    const r = await cli(args);
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`Unknown option '${bad}' (did you mean ${good}?)`);
    expect(r.stdout).toBe('');
  });

  it('nothing close: the pointer to --help instead', async () => {
    const r = await cli(['run', '--zzzzzz']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Unknown option '--zzzzzz' \(see mtls-harness run --help\)/);
  });

  it('an other-tool name is suggested only when the command has the flag it maps to', () => {
    expect(didYouMean('--cacert', ['ca', 'cert'])).toBe('--ca');
    expect(didYouMean('--cacert', ['json'])).toBeUndefined();
  });
});
