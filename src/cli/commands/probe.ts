import { HarnessError } from '../../errors.js';
import { loadCaFile, loadCredentialFiles } from '../../pki/inspect.js';
import { diagnoseEndpoint, type Diagnosis } from '../../probe/diagnose.js';
import { parseEndpoint } from '../../probe/endpoint.js';
import { parseTlsVersion } from '../../probe/tls-probe.js';
import { renderDiagnosis } from '../../report/diagnosis-table.js';
import { makeStyle } from '../../report/style.js';
import { toolInfo } from '../../version.js';
import { performance } from 'node:perf_hooks';
import { buildProbeHtml } from '../../report/html/index.js';
import { writeReportFiles } from '../../report/outputs.js';
import { findChromium, printHtmlToPdf } from '../../report/pdf.js';
import { DEFAULT_POLICY } from '../../runner/types.js';
import { parseCommandArgs, parseDuration, parseIntFlag } from '../args.js';
import type { CliIO } from '../io.js';

export const PROBE_HELP = `Usage: mtls-harness probe HOST:PORT [options]

Diagnoses one TLS endpoint: does it enforce client certificates, where does it refuse a client
without one (handshake / post-handshake / HTTP layer), is your client certificate accepted, is the
server chain complete and trusted, do its SANs cover the name?

Options:
  --ca FILE                 trust anchors (PEM bundle) for the server chain (default: system store)
  --cert FILE --key FILE    a client certificate (chain, leaf first) and its private key
  --key-passphrase-env VAR  environment variable holding the key's passphrase
  --servername NAME         SNI and the name the server certificate must cover (default: HOST)
  --tls-min V, --tls-max V  TLS versions to offer (1.2, 1.3)
  --protocol https|tls      https (default) sends one HTTP request after the handshake;
                            tls only reads for --grace after it (raw TLS services)
  --path PATH               HTTP path to request (default /)
  --grace DURATION          raw TLS: how long an accepted connection must stay open (default 300ms)
  --timeout DURATION        budget per connection (default 5s)
  --warn-days N, --fail-days N  server certificate expiry thresholds (default 30, 7)
  --json                    print the diagnosis as JSON instead of a table
  --html FILE               write the diagnosis as a self-contained HTML evidence report
  --pdf FILE                ... and printed to PDF by Chromium (/usr/bin/chromium or $MTLS_CHROMIUM)

Exit status: 0 client certificates are enforced; 1 they are not, or the server could not be
evaluated; 2 usage error (bad flag, missing or malformed file, key not matching certificate).
`;

/** `mtls-harness probe`: returns the exit code. */
export async function probeCommand(argv: string[], io: CliIO): Promise<number> {
  const { values: v, positionals } = parseCommandArgs('probe', argv, {
    ca: { type: 'string' },
    cert: { type: 'string' },
    key: { type: 'string' },
    'key-passphrase-env': { type: 'string' },
    servername: { type: 'string' },
    'tls-min': { type: 'string' },
    'tls-max': { type: 'string' },
    protocol: { type: 'string' },
    path: { type: 'string' },
    grace: { type: 'string' },
    timeout: { type: 'string' },
    'warn-days': { type: 'string' },
    'fail-days': { type: 'string' },
    json: { type: 'boolean' },
    html: { type: 'string' },
    pdf: { type: 'string' },
  });
  if (v.help) {
    io.stdout.write(PROBE_HELP);
    return 0;
  }
  if (positionals.length !== 1) {
    throw new HarnessError('usage.missing-argument', positionals.length === 0 ? 'probe: give one target, e.g. mtls-harness probe localhost:8443' : `probe: one target at a time (got ${positionals.length})`);
  }
  const endpoint = parseEndpoint(positionals[0]!);
  if (!!v.cert !== !!v.key) throw new HarnessError('usage.missing-argument', 'probe: --cert and --key go together');
  let passphrase: string | undefined;
  const passVar = v['key-passphrase-env'] as string | undefined;
  if (passVar !== undefined) {
    passphrase = io.env[passVar];
    if (passphrase === undefined) throw new HarnessError('usage.invalid-value', `probe: environment variable ${passVar} (from --key-passphrase-env) is not set`);
  }
  const creds = v.cert ? loadCredentialFiles(v.cert as string, v.key as string, passphrase) : undefined;
  const ca = v.ca ? loadCaFile(v.ca as string) : undefined;
  const protocol = (v.protocol as string | undefined) ?? 'https';
  if (protocol !== 'https' && protocol !== 'tls') throw new HarnessError('usage.invalid-value', `probe: --protocol must be https or tls, not "${protocol}"`);
  const htmlOut = v.html as string | undefined;
  const pdfOut = v.pdf as string | undefined;
  if (htmlOut === '-' || pdfOut === '-') throw new HarnessError('usage.invalid-value', 'probe: --html and --pdf need a file name (--json prints to stdout)');
  const chromiumPath = pdfOut ? findChromium(io.env) : undefined;
  const warnDays = v['warn-days'] ? parseIntFlag('--warn-days', v['warn-days'] as string) : DEFAULT_POLICY.warnDays;
  const failDays = v['fail-days'] ? parseIntFlag('--fail-days', v['fail-days'] as string) : DEFAULT_POLICY.failDays;
  const startedAt = new Date();
  const t0 = performance.now();
  const diagnosis = await diagnoseEndpoint({
    ...endpoint,
    ...(v.servername ? { servername: v.servername as string } : {}),
    ...(ca ? { ca: ca.pem } : {}),
    ...(creds ? { cert: creds.certPem, key: creds.keyPem } : {}),
    ...(v['tls-min'] ? { minVersion: parseTlsVersion(v['tls-min'] as string) } : {}),
    ...(v['tls-max'] ? { maxVersion: parseTlsVersion(v['tls-max'] as string) } : {}),
    protocol,
    ...(v.path ? { httpPath: v.path as string } : {}),
    ...(v.grace ? { graceMs: parseDuration('--grace', v.grace as string) } : {}),
    ...(v.timeout ? { timeoutMs: parseDuration('--timeout', v.timeout as string) } : {}),
    warnDays,
    failDays,
  });
  const timing = { startedAt: startedAt.toISOString(), finishedAt: new Date().toISOString(), durationMs: Math.round(performance.now() - t0) };
  const fullArgv = ['probe', ...argv];
  const jsonText = JSON.stringify(diagnosisToJson(diagnosis, fullArgv), null, 2) + '\n';
  let reportsOk = true;
  if (htmlOut || pdfOut) {
    let html: string | undefined;
    const htmlText = () => (html ??= buildProbeHtml(diagnosis, fullArgv, jsonText, timing, { ...DEFAULT_POLICY, warnDays, failDays }));
    reportsOk = await writeReportFiles(
      [
        ...(htmlOut ? [{ file: htmlOut, writer: { what: 'HTML', render: htmlText } }] : []),
        ...(pdfOut ? [{ file: pdfOut, writer: { what: 'PDF', render: () => printHtmlToPdf(htmlText(), chromiumPath!) } }] : []),
      ],
      io,
    );
  }
  if (v.json) {
    io.stdout.write(jsonText);
  } else {
    io.stdout.write(renderDiagnosis(diagnosis, makeStyle({ isTTY: !!io.stdout.isTTY, env: io.env }), io.stdout.columns ?? 100));
  }
  return diagnosis.enforced && reportsOk ? 0 : 1;
}

/** The `probe --json` document: versioned, with the tool and the exact arguments (no secrets are in argv). */
export function diagnosisToJson(d: Diagnosis, argv: string[]) {
  return { schemaVersion: 1, kind: 'probe', tool: toolInfo(), argv, diagnosis: d };
}
