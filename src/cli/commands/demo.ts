import { mintFixturePki } from '../../pki/generate.js';
import { diagnoseEndpoint } from '../../probe/diagnose.js';
import { renderDiagnosis } from '../../report/diagnosis-table.js';
import { makeStyle } from '../../report/style.js';
import { PROFILE_DESCRIPTIONS, type ProfileName } from '../../targets/profiles.js';
import { NodeReference } from '../../targets/reference/node.js';
import { parseCommandArgs } from '../args.js';
import type { CliIO } from '../io.js';

export const DEMO_HELP = `Usage: mtls-harness demo

Starts the in-process reference server in profile "strict" and then "optional-client-cert" on
127.0.0.1 (fresh fixture PKI, no Docker, no external server), probes each with and without the
fixture client certificate and prints the diagnosis. Exit status 0 when both verdicts come out as
expected (strict: enforced; optional-client-cert: not enforced).
`;

const DEMO: { profile: ProfileName; expectEnforced: boolean }[] = [
  { profile: 'strict', expectEnforced: true },
  { profile: 'optional-client-cert', expectEnforced: false },
];

export async function demoCommand(argv: string[], io: CliIO): Promise<number> {
  const { values } = parseCommandArgs('demo', argv, {});
  if (values.help) {
    io.stdout.write(DEMO_HELP);
    return 0;
  }
  const st = makeStyle({ isTTY: !!io.stdout.isTTY, env: io.env });
  const pki = await mintFixturePki();
  let asExpected = true;
  for (const { profile, expectEnforced } of DEMO) {
    const ref = await new NodeReference({ profile, pki }).start();
    try {
      io.stdout.write(`\n${st.bold(`== Reference server: node, profile "${profile}"`)} — ${PROFILE_DESCRIPTIONS[profile]}\n`);
      const d = await diagnoseEndpoint({
        host: ref.endpoint.host,
        port: ref.endpoint.port,
        servername: 'localhost',
        ca: pki.root.certPem,
        cert: pki.client.chainPem,
        key: pki.client.keyPem,
      });
      io.stdout.write(renderDiagnosis(d, st, io.stdout.columns ?? 100));
      if (d.enforced !== expectEnforced) asExpected = false;
    } finally {
      await ref.stop();
    }
  }
  io.stdout.write(`\nTry it on your own server:\n  mtls-harness probe HOST:PORT --ca ca.pem --cert client.pem --key client-key.pem\n`);
  if (!asExpected) io.stderr.write('mtls-harness demo: a verdict differed from the expected one (see above)\n');
  return asExpected ? 0 : 1;
}
