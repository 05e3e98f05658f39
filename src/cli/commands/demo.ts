import * as path from 'node:path';
import { mintFixturePki } from '../../pki/generate.js';
import { diagnoseEndpoint } from '../../probe/diagnose.js';
import { renderDiagnosis } from '../../report/diagnosis-table.js';
import { collectProvenance } from '../../app/provenance.js';
import { runDocument, writeReports } from '../../report/outputs.js';
import { reportPaths, resolveReports } from '../../report/reporters/index.js';
import { assertReportPaths } from '../../io/files.js';
import { renderResultsTable } from '../../report/results-table.js';
import { tableWidth } from '../../report/table-fit.js';
import { makeStyle } from '../../report/style.js';
import { referenceTarget } from '../../runner/reference-target.js';
import { runChecks } from '../../runner/run.js';
import { DEFAULT_POLICY } from '../../core/target.js';
import { PROFILE_DESCRIPTIONS, type ProfileName } from '../../targets/profiles.js';
import { NodeReference } from '../../targets/reference/node.js';
import { startReference } from '../../targets/reference/start.js';
import type { StartedReference, TargetUnderTest } from '../../targets/target.js';
import { SUITES } from '../../../suites/index.js';
import { parseCommandArgs } from '../args.js';
import type { CliIO } from '../io.js';
import { demoHelp } from '../help/demo.js';

const DEMO: { profile: ProfileName; expectEnforced: boolean }[] = [
  { profile: 'strict', expectEnforced: true },
  { profile: 'optional-client-cert', expectEnforced: false },
];

/** The profiles of the demo's report, and the verdict each must reach on its deciding check. */
const REPORT_PROFILES: { profile: ProfileName; check: string; status: string }[] = [
  { profile: 'strict', check: 'reject.no-client-cert', status: 'pass' },
  { profile: 'optional-client-cert', check: 'reject.no-client-cert', status: 'fail' },
  { profile: 'rotation-graceful', check: 'rotation.continuity', status: 'pass' },
];

export async function demoCommand(argv: string[], io: CliIO): Promise<number> {
  const { values } = parseCommandArgs('demo', argv, { html: { type: 'string' }, json: { type: 'string' } });
  if (values.help) {
    io.stdout.write(demoHelp());
    return 0;
  }
  const htmlOut = (values.html as string | undefined) ?? path.join('reports', 'demo.html');
  const jsonOut = (values.json as string | undefined) ?? path.join('reports', 'demo.json');
  // Only the JSON and HTML reports (both always written: their defaults are under reports/).
  const reports = resolveReports('demo', { values: { json: jsonOut, html: htmlOut }, env: io.env });
  assertReportPaths('demo', reportPaths(reports), []);
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

  io.stdout.write(`\n${st.bold('== The whole catalogue against strict, optional-client-cert and rotation-graceful')}\n`);
  const started: StartedReference[] = [];
  const unregister = io.onInterrupt?.(async () => {
    await Promise.all(started.splice(0).map((s) => s.stop().catch(() => undefined)));
  });
  try {
    const targets: TargetUnderTest[] = [];
    for (const { profile } of REPORT_PROFILES) {
      const ref = await startReference({ implementation: 'node', profile, pki, provider: 'process' });
      started.push(ref);
      targets.push(referenceTarget(ref, 'node', profile, { policy: DEFAULT_POLICY }));
    }
    const report = await runChecks({ targets, suites: [...SUITES], timeoutMs: 5000, concurrency: 8 });
    report.settings = { failOn: 'fail', timeoutMs: 5000, concurrency: 8 };
    io.stdout.write(renderResultsTable(report, st, tableWidth(io.stdout.columns, io.env), true));
    for (const { profile, check, status } of REPORT_PROFILES) {
      const r = report.results.find((x) => x.target === `node:${profile}` && x.check === check);
      if (r && check === 'rotation.continuity' && r.status === 'warn' && (r.evidence as { failures?: number }).failures === 0) {
        // No handshake failed, but a busy machine could not keep the prober's rate: the harness's own
        // limit, said as such (the verdict on the server is what the demo expects).
        io.stdout.write(`\nNote: ${check} on node:${profile} is warn, not pass, only because this machine is busy: ${r.message}\n`);
        continue;
      }
      if (r?.status !== status) {
        asExpected = false;
        io.stderr.write(`mtls-harness demo: ${check} on node:${profile} is ${r?.status ?? 'missing'}, expected ${status}\n`);
      }
    }
    report.provenance = collectProvenance({ command: 'demo', values, env: io.env, policy: DEFAULT_POLICY });
    const ok = await writeReports(reports, runDocument(report, ['demo', ...argv]), io);
    if (ok) io.stdout.write(`\nEvidence report: ${htmlOut} (open it in a browser; JSON: ${jsonOut})\n`);
    else asExpected = false;
  } finally {
    unregister?.();
    await Promise.all(started.splice(0).map((s) => s.stop().catch(() => undefined)));
  }
  io.stdout.write(
    `\nTry it on your own server:\n  mtls-harness probe HOST:PORT --ca ca.pem --cert client.pem --key client-key.pem --html probe.html\n  mtls-harness run --target HOST:PORT --ca ca.pem --cert client.pem --key client-key.pem --html report.html\n`,
  );
  if (!asExpected) io.stderr.write('mtls-harness demo: a verdict differed from the expected one (see above)\n');
  return asExpected ? 0 : 1;
}
