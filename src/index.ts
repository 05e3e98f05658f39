/**
 * mtls-harness public API. Named exports only; everything else under src/ is internal.
 *
 * @example
 * ```ts
 * import { mintFixturePki, NodeReference, diagnoseEndpoint } from 'mtls-harness';
 * const pki = await mintFixturePki();
 * const ref = await new NodeReference({ profile: 'strict', pki }).start();
 * const d = await diagnoseEndpoint({ host: '127.0.0.1', port: ref.endpoint.port, servername: 'localhost',
 *   ca: pki.root.certPem, cert: pki.client.chainPem, key: pki.client.keyPem });
 * console.log(d.clientAuth.mode); // 'required'
 * await ref.stop();
 * ```
 * @packageDocumentation
 */

/** Harness errors: a stable `code` and an actionable message; usage/config/pki codes mean exit 2. */
export { HarnessError, isHarnessError, type ErrorCode } from './core/errors.js';

/** Injected clocks for everything that depends on "now" (validity, days left, expiry checks). */
export { systemClock, fixedClock, addDays, type Clock } from './core/clock.js';
/** Key types the PKI mints (ECDSA P-256 by default) and the parser for user spellings (`ec`, `rsa-3072`). */
export { parseKeyType, KEY_TYPES, type KeyType } from './pki/keys.js';
/** Minting: one certificate, or the whole fixture PKI with every crafted bad certificate of CONFORMANCE.md. */
export {
  mintCertificate,
  mintFixturePki,
  type Credential,
  type MintOptions,
  type SubjectAltNames,
  type Eku,
  type FixturePki,
  type FixturePkiOptions,
} from './pki/generate.js';
/** Inspection: PEM/DER parsing, certificate summaries, key↔certificate match. */
export {
  parsePemBlocks,
  parseCertificates,
  summarizeCertificate,
  isIssuedBy,
  parsePrivateKey,
  keyMatchesCertificate,
  loadCredentialFiles,
  loadCaFile,
  type LoadedCredentials,
} from './pki/inspect.js';
/** Chain order (leaf first, each certified by the next, nothing unrelated) and self-signed, from the rules. */
export { checkChainOrder, isSelfSigned, type ChainOrderReport } from './rules/chain-order.js';
export type { CertSummary } from './core/model.js';
/** Path building to trust anchors (with the reason it fails) and RFC 6125 name matching. */
export { verifyChain, sanCovers, type ChainVerification, type ChainProblem } from './pki/verify.js';
/** `certs init`: the layouts of common stacks (default, gufo, kong, nova, per-service) written to disk. */
export { certsInit, parseLayout, LAYOUTS, type LayoutName, type CertsInitOptions, type CertsInitResult } from './pki/layouts.js';

/**
 * Offline audit (`mtls-harness audit PATH...`): certificate and key files judged without a network —
 * parse, key↔certificate match, chain to the CA of the set, SANs, EKU for the role, expiry
 * (`warnDays` 30 / `failDays` 7 by default), key file permissions (owner-only), private keys in CA
 * bundles, a CA key shipped with the certificates. Returns a `RunReport` (suite `offline-audit`) for
 * the same table/JSON/JUnit/HTML writers as `run`; throws `HarnessError` only for usage errors.
 */
export { auditPaths, AUDIT_CHECKS, AUDIT_SUITE, AUDIT_ROLES, type AuditOptions, type AuditRole, type AuditCheckId } from './audit/audit.js';
/** What an audit adds to the report model (kind `files` targets): the certificates found and the audit's settings. */
export type { FileCertificate, AuditSettings } from './core/model.js';
/**
 * The audit's file discovery: bounded directory walks (depth, file count, size; symlink loops walked
 * once), each file classified by content (PEM blocks, DER, PKCS#12, Kubernetes Secret manifests), and
 * the `certs init` layouts recognised by file names.
 */
export {
  discoverFiles,
  classifyBytes,
  detectLayouts,
  spkiSha256,
  DEFAULT_WALK_LIMITS,
  type Discovery,
  type DiscoveredFile,
  type FileContent,
  type FoundKey,
  type DetectedLayout,
  type WalkLimits,
} from './audit/discover.js';

/** One TLS connection, classified: where (and how) a server refuses a client, or why it could not be evaluated. */
export { probeEndpoint, parseTlsVersion, type ProbeOptions, type ProbeOutcome } from './probe/tls-probe.js';
export {
  classifyTlsEnd,
  classifyHttp,
  classifyConnectError,
  type RejectedAt,
  type FailureKind,
  type ProbePhase,
  type Classified,
  type TlsEnd,
  type ApplicationEvidence,
} from './probe/rejection.js';
/** The protocols the probe speaks around TLS (`ProbeOptions.protocol`; docs/protocols.md), one module each. */
export { PROTOCOLS, PROTOCOL_MODULES, isProtocol, type Protocol, type ProtocolModule } from './probe/protocols/index.js';
export type { TlsVersion } from './core/target.js';
/** TLS alert codes and names. */
export { ALERT_NAMES, alertOf, type TlsAlert } from './probe/alerts.js';
/** `host:port`, `[v6]:port` and `https://` target parsing. */
export { parseEndpoint, formatEndpoint, type Endpoint } from './core/endpoint.js';
/** Client-auth mode (required / optional / not-requested) from a cert-less and a with-cert probe. */
export { detectClientAuthMode, type ClientAuthMode, type ClientAuthDetection } from './probe/client-auth.js';
/** The `probe` command's diagnosis: both probes plus chain, expiry and SAN findings with fixes. */
export { diagnoseEndpoint, type DiagnoseOptions, type Diagnosis, type Finding, type FindingStatus } from './probe/diagnose.js';

/** Reference profiles of CONFORMANCE.md and the in-process node reference server. */
export { PROFILES, PROFILE_DESCRIPTIONS, isProfileName, type ProfileName } from './targets/profiles.js';
export type { StartedReference, ReferenceChange } from './targets/target.js';
export type { ApplyMode } from './core/target.js';
/** Starts any reference implementation (process or container provider). */
export { startReference, type StartReferenceOptions, type Provider } from './targets/reference/start.js';
/** The reference servers in one map; `registerReference` adds one (a file-based server: `processReference(impl, …)`). */
export {
  REFERENCES,
  registerReference,
  processReference,
  referenceServer,
  type ReferenceServer,
  type ProcessImplementation,
  type Deviation,
} from './targets/reference/index.js';
export { renderTemplate, type RenderContext, type Rendered } from './targets/reference/process.js';

/** The rotation prober: a continuous, rate-keeping stream of full mTLS handshakes and its timeline. */
export { RotationProber, runProber, type ProberOptions, type ProberRun, type Attempt, type SeenCertificate, type Mark } from './rotation/prober.js';
export { analyzeTimeline, rotationSummaryLine, type Outage, type TimelineAnalysis } from './rotation/timeline.js';
export { observeRotation, type RotationObservation, type TriggerRecord } from './rotation/observe.js';
export { NodeReference, StartedNodeReference, NODE_PROFILES, type NodeReferenceOptions } from './targets/reference/node.js';

/** Terminal rendering of a diagnosis (cli-table3). */
export { renderDiagnosis } from './report/diagnosis-table.js';
export { makeStyle, type Style } from './report/style.js';

/** The result model every command reports in: one `Result` per (target, check), gathered in a `RunReport`. */
export type { Result, RunReport, Evidence, TargetReport } from './core/model.js';
/** Target ids (`TargetReport.id`, `Result.targetId`): a target's label, then `#2`, `#3`… for a later target with the same label. */
export { TargetIds, targetIds } from './core/target-id.js';
export type { Status, Summary } from './core/status.js';

/**
 * Client-under-test (`client-test`): run a client command against reference servers that observe
 * what it does. `runClientConformance` runs the client-conformance checks (`client.presents-cert`,
 * `client.rejects-*-server`) and returns a `RunReport` like `run`; each check starts its own
 * observing server on 127.0.0.1 and runs the command once (time limit `ClientSpec.timeoutMs`).
 */
export { runClientConformance, runAgainstServer, clientTestServers, type ClientConformanceOptions, type ServedCredential } from './client-test/run.js';
/** The client-conformance catalogue and its verdict functions (pure: from a command run and an observation). */
export { judgePresentsCert, judgeRejects, accepted, type BadServer, type ClientRun, type ServerProfile } from './client-test/checks.js';
export { CLIENT_CHECKS, CLIENT_SUITE_ID, clientConformance, type ClientCheck, type ClientCheckContext } from '../suites/client-conformance.js';
/**
 * The one catalogue (suites/index.ts): every suite of every kind — server, cluster, files, client —
 * with its checks, ids and titles; the check and suite types, generic over the context they are
 * judged in.
 */
export { CATALOGUE, CORPUS_SUITES, KINDS, SUITES, checkTitle, findCheck, suiteInfo, suiteTitle, suitesOfKind, type SuiteInfo } from '../suites/index.js';
export type { AnySuite, Check, Suite, SuiteKind } from './checks/types.js';
/**
 * A run, as `mtls-harness run` does it (src/app): `planRun` resolves options named as the CLI's
 * flags (`{ config: 'mtls.yaml' }`, `{ target: ['host:443'], ca, cert, key }`, `{ reference:
 * 'node', profile: 'strict' }`) with the environment you pass (MTLS_*) and the config file, into a
 * validated plan (a `HarnessError` with a usage/config code for bad input: what the CLI exits 2
 * on), nothing started; `executePlan` starts its reference servers, runs the checks and stops
 * them; `writeRunReports` writes the reports it asks for; `exitCodeOf` is the CLI's exit status.
 *
 * @example
 * ```ts
 * import { planRun, executePlan, writeRunReports, exitCodeOf } from 'mtls-harness';
 * const plan = await planRun({ config: 'mtls.yaml' }, { env: process.env });
 * const report = await executePlan(plan, { signal: AbortSignal.timeout(600_000) });
 * const written = await writeRunReports(plan, report, ['run', '--config', 'mtls.yaml'], process);
 * process.exitCode = exitCodeOf(plan, report, written);
 * ```
 */
export {
  planRun,
  executePlan,
  ReferencePool,
  runWithSettings,
  writeRunReports,
  exitCodeOf,
  type RunPlan,
  type PlannedReference,
  type PlanRunContext,
  type RunHooks,
} from './app/run.js';
export type { Values as RunOptionValues, RunSettingsResolved } from './app/settings.js';
/**
 * Waivers (docs/waivers.md): `planRun({ waivers: 'mtls-waivers.yaml' })` loads them (so do the
 * config's `waivers:` and MTLS_WAIVERS) and `runWithSettings` applies them; these are the pieces
 * for a report of your own: load and check a file, apply it as of a clock, a file from findings.
 */
export { loadWaiversFile, checkWaivers, type Waiver, type WaiverSet } from './config/waivers.js';
export { applyWaivers } from './rules/waivers.js';
export { baselineYaml, readReportFindings, type BaselineFinding } from './app/baseline.js';
export type { AppliedWaiver, WaiversReport, WaiverListed } from './core/model.js';
/** A client command with `{host}` `{port}` `{url}` `{ca}` `{cert}` `{key}` `{servername}` `{resolve}` placeholders, its validation and one run of it. */
export {
  runClientCommand,
  checkClientSpec,
  substitute,
  PLACEHOLDERS,
  PLACEHOLDER_ENV,
  type ClientSpec,
  type Placeholders,
  type CommandRun,
} from './client-test/command.js';
/** The observing server: handshake completion, the client's alert, its certificate (and whether it chains), requests. */
export { ObservingServer, type ObserverOptions, type Observation, type ConnectionObservation, type SeenClientCert } from './client-test/observer.js';
/**
 * The x509-limbo corpus against a client: `runLimbo` stages each case (a node TLS server presenting
 * the case's chain and key), runs the client and compares connected/refused with the expected
 * result; `limboFigures` counts agree/disagree/skip/error.
 */
export {
  loadLimbo,
  stageableLimboCases,
  limboSkipReason,
  matchCaseIds,
  runLimbo,
  judgeLimboCase,
  limboFigures,
  limboSummaryLine,
  checkLimboRouting,
  LIMBO_SUITE_ID,
  type LimboCase,
  type LimboFigures,
  type LimboRunOptions,
} from './client-test/limbo.js';
/** Output tails for evidence: private-key PEM blocks redacted, bounded, control characters removed. */
export { outputTail } from './core/text.js';
/** Redaction of argv, shell command lines and command output (credentials, known private keys), and of private-key PEM blocks. */
export { redactArgv, redactCommandLine, redactPrivateKeys, redactText, registerPrivateKey } from './core/redact.js';
