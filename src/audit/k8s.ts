// The `k8s-audit` suite: findings about Kubernetes objects (Secrets holding certificates, ConfigMaps,
// Pods, cert-manager Certificates) read from the API. Each finding is a Result whose target is the
// object (`secret/nova/grpc-tls-certs`). Evidence names data keys, never their values.
import type { X509Certificate } from 'node:crypto';
import { DAY_MS, type Clock } from '../core/clock.js';
import { summarizeCertificate } from '../pki/inspect.js';
import { verifyChain } from '../pki/verify.js';
import { expiryVerdict } from '../checks/judge.js';
import type { CheckVerdict, Result, TargetReport } from '../core/model.js';
import type { Policy } from '../core/target.js';
import { worstOf } from '../core/status.js';
import { daysStatus } from '../rules/expiry.js';
import { sanCoverage } from '../rules/san.js';
import type { Suite } from '../checks/types.js';
import { safeText } from '../core/text.js';
import { objectRef, podContainers, selectorMatches, serviceFqdn, type Certificate, type ConfigMap, type Forbidden, type NamespaceSnapshot, type Pod, type Secret, type Service, type Volume } from '../targets/k8s/objects.js';
import { caCertificates, isServerPair, isTlsSecret, keyPairs, readSecretMaterial, type SecretMaterial } from '../targets/k8s/secrets.js';

/** The audit's check ids and titles (README "k8s-audit"); stable, as every check id. */
export const K8S_AUDIT_CHECKS = [
  { id: 'k8s.secret-cert-expiry', title: 'Certificates in Secrets are not expiring' },
  { id: 'k8s.secret-key-matches', title: 'Each private key in a Secret belongs to its certificate' },
  { id: 'k8s.secret-chain', title: 'Certificates in a Secret chain to the Secret\'s CA' },
  { id: 'k8s.secret-san-covers-service', title: 'A Secret\'s server certificate covers the Services whose Pods mount it' },
  { id: 'k8s.configmap-private-key', title: 'No private key in a ConfigMap' },
  { id: 'k8s.pod-secret-mount-readonly', title: 'Certificate Secrets are mounted readOnly: true' },
  { id: 'k8s.pod-secret-default-mode', title: 'Private keys are mounted owner-only (defaultMode 0400/0600)' },
  { id: 'k8s.pod-missing-secret', title: 'Every Secret a Pod references exists' },
  { id: 'k8s.certificate-ready', title: 'cert-manager Certificates are Ready' },
  { id: 'k8s.certificate-renew-before', title: 'cert-manager renews before the expiry policy would warn' },
  { id: 'k8s.rbac', title: 'The scan could read every resource it needs' },
] as const;
export type AuditCheckId = (typeof K8S_AUDIT_CHECKS)[number]['id'];

/**
 * The suite for selection (`--suite k8s-audit`, `--check k8s.…`, `--list-checks`). Its checks are
 * evaluated by `auditCluster` on the objects read, not by the runner against endpoints.
 */
export const K8S_AUDIT_SUITE: Suite = {
  id: 'k8s-audit',
  title: 'Kubernetes objects (Secrets, ConfigMaps, Pods, cert-manager Certificates)',
  kind: 'cluster',
  checks: K8S_AUDIT_CHECKS.map((c) => ({ ...c, run: async () => ({ status: 'skip' as const, message: 'evaluated by k8s scan on the objects it read' }) })),
};

const TITLES = new Map<string, string>(K8S_AUDIT_CHECKS.map((c) => [c.id, c.title]));

export interface AuditInput {
  snapshots: NamespaceSnapshot[];
  forbidden: Forbidden[];
  policy: Policy;
  clock: Clock;
  /** Only these check ids (default: all). */
  checks?: ReadonlySet<string>;
}

export interface AuditOutput {
  results: Result[];
  /** One report entry per audited object (kind `kubernetes`). */
  targets: TargetReport[];
}

/** What a Pod mounts or references of Secrets. */
interface SecretUse {
  secret: string;
  volume?: Volume;
  /** From env/envFrom (not mounted). */
  env?: boolean;
  optional: boolean;
  /** The keys projected (`items`), when limited. */
  items?: string[];
}

function secretUses(p: Pod): SecretUse[] {
  const uses: SecretUse[] = [];
  for (const v of p.spec?.volumes ?? []) {
    if (v.secret?.secretName) uses.push({ secret: v.secret.secretName, volume: v, optional: !!v.secret.optional, ...(v.secret.items ? { items: v.secret.items.map((i) => i.key) } : {}) });
    for (const s of v.projected?.sources ?? []) {
      if (s.secret?.name) uses.push({ secret: s.secret.name, volume: v, optional: !!s.secret.optional, ...(s.secret.items ? { items: s.secret.items.map((i) => i.key) } : {}) });
    }
  }
  for (const c of podContainers(p)) {
    for (const e of c.env ?? []) if (e.valueFrom?.secretKeyRef?.name) uses.push({ secret: e.valueFrom.secretKeyRef.name, env: true, optional: !!e.valueFrom.secretKeyRef.optional });
    for (const e of c.envFrom ?? []) if (e.secretRef?.name) uses.push({ secret: e.secretRef.name, env: true, optional: !!e.secretRef.optional });
  }
  return uses;
}

/** Parses a Go duration as cert-manager writes them ("2160h", "720h0m0s", "90m"). Milliseconds, or undefined. */
export function parseGoDuration(s: string | undefined): number | undefined {
  if (!s) return undefined;
  const re = /(\d+(?:\.\d+)?)(h|ms|m|s)/g;
  let total = 0;
  let consumed = 0;
  for (const m of s.matchAll(re)) {
    const n = Number(m[1]);
    total += m[2] === 'h' ? n * 3_600_000 : m[2] === 'm' ? n * 60_000 : m[2] === 's' ? n * 1000 : n;
    consumed += m[0].length;
  }
  return consumed === s.length && consumed > 0 ? total : undefined;
}

const days = (ms: number) => Math.round((ms / DAY_MS) * 10) / 10;

/** Runs the audit on what the scan read. */
export function auditCluster(i: AuditInput): AuditOutput {
  const results: Result[] = [];
  const want = (id: AuditCheckId) => !i.checks || i.checks.has(id);
  const add = (id: AuditCheckId, target: string, v: CheckVerdict) => {
    if (!want(id)) return;
    results.push({ target, suite: 'k8s-audit', check: id, title: TITLES.get(id)!, status: v.status, message: v.message, ...(v.remediation ? { remediation: v.remediation } : {}), evidence: v.evidence ?? {}, durationMs: 0 });
  };

  for (const f of i.forbidden) {
    const where = f.namespace ? ` in namespace ${f.namespace}` : ' (cluster scope)';
    add('k8s.rbac', `rbac/${f.namespace ?? 'cluster'}/${f.verb} ${f.resource}`, {
      status: 'error',
      message: `forbidden: the scan may not ${f.verb} ${f.resource}${f.group ? `.${f.group}` : ''}${where}, so what depends on them was not audited: ${safeText(f.message, 300)}`,
      remediation: `grant verb "${f.verb}" on resource "${f.resource}" (apiGroup "${f.group}") to the identity the scan runs as (deploy/role.yaml holds the minimal Role)`,
      evidence: { verb: f.verb, resource: f.resource, apiGroup: f.group, ...(f.namespace ? { namespace: f.namespace } : {}), status: 403 },
    });
  }

  for (const snap of i.snapshots) {
    const ns = snap.namespace;
    if (!i.forbidden.some((f) => f.namespace === ns)) {
      add('k8s.rbac', `rbac/${ns}`, { status: 'pass', message: `every resource the scan reads in namespace ${ns} was readable`, evidence: { namespace: ns } });
    }
    const secretsByName = new Map<string, { secret: Secret; material: SecretMaterial }>();
    for (const s of snap.secrets ?? []) secretsByName.set(s.metadata.name, { secret: s, material: readSecretMaterial(s, ns) });

    // Services whose Pods mount each Secret (all of it, or its server files: a client mounting only
    // its own files with `items:` does not serve with the Secret).
    const servedBy = new Map<string, Service[]>();
    for (const p of snap.pods ?? []) {
      // Services opted out of the scan (mtls-harness/enabled: "false", e.g. a metrics port) are not dialled with TLS.
      const services = (snap.services ?? []).filter((svc) => selectorMatches(svc.spec?.selector, p.metadata.labels) && svc.metadata.annotations?.['mtls-harness/enabled']?.trim().toLowerCase() !== 'false');
      for (const u of secretUses(p)) {
        if (!u.volume) continue;
        const entry = secretsByName.get(u.secret);
        if (entry && u.items) {
          const serverKeys = new Set(keyPairs(entry.material).filter(isServerPair).flatMap((kp) => [kp.certKey, kp.keyKey]));
          if (!u.items.some((k) => serverKeys.has(k))) continue;
        }
        const list = servedBy.get(u.secret) ?? [];
        for (const svc of services) if (!list.includes(svc)) list.push(svc);
        servedBy.set(u.secret, list);
      }
    }

    for (const { material: m } of secretsByName.values()) {
      if (!isTlsSecret(m)) continue;
      auditSecret(m, servedBy.get(m.ref.split('/')[2]!) ?? [], ns, i, add);
    }
    for (const cm of snap.configMaps ?? []) auditConfigMap(cm, ns, add);
    for (const p of snap.pods ?? []) auditPod(p, ns, snap, secretsByName, add);
    for (const c of snap.certificates ?? []) auditCertificate(c, ns, i.policy, add);
  }

  const seen = new Set<string>();
  const targets: TargetReport[] = [];
  for (const r of results) {
    if (seen.has(r.target)) continue;
    seen.add(r.target);
    targets.push({ name: r.target, endpoint: r.target, kind: 'kubernetes', policy: { ...i.policy } });
  }
  return { results, targets };
}

type Add = (id: AuditCheckId, target: string, v: CheckVerdict) => void;

function certEvidence(key: string, c: X509Certificate, clock: Clock) {
  const s = summarizeCertificate(c, clock);
  return { key, subject: s.subject, issuer: s.issuer, notAfter: s.notAfter, daysLeft: s.daysLeft, sans: [...s.sans.dns, ...s.sans.ip, ...s.sans.uri], fingerprintSha256: s.fingerprintSha256 };
}

function auditSecret(m: SecretMaterial, services: Service[], ns: string, i: AuditInput, add: Add): void {
  const target = m.ref;
  // Expiry: every certificate in the Secret (leaves and CAs), the worst one decides.
  const seen = new Set<string>();
  const verdicts: (CheckVerdict & { key: string })[] = [];
  const evidence: ReturnType<typeof certEvidence>[] = [];
  for (const { key, chain } of m.certs) {
    for (const c of chain) {
      if (seen.has(c.fingerprint256)) continue;
      seen.add(c.fingerprint256);
      verdicts.push({ ...expiryVerdict(summarizeCertificate(c, i.clock), i.policy, `${key}: the certificate`), key });
      evidence.push(certEvidence(key, c, i.clock));
    }
  }
  if (verdicts.length > 0) {
    const worst = worstOf(verdicts);
    add('k8s.secret-cert-expiry', target, {
      status: worst.status,
      message: worst.status === 'pass' ? `all ${verdicts.length} certificate(s) are valid for at least ${i.policy.warnDays} days` : worst.message,
      ...(worst.remediation ? { remediation: `${worst.remediation} (cert-manager: check the Certificate's status; otherwise reissue and update the Secret)` } : {}),
      evidence: { certificates: evidence },
    });
  } else {
    add('k8s.secret-cert-expiry', target, { status: 'skip', message: 'the Secret holds a private key but no certificate', evidence: { keys: m.keys } });
  }

  // Key match: every certificate/key pair by name.
  const pairs = keyPairs(m);
  const unpaired = m.privateKeys.filter((pk) => !pairs.some((p) => p.keyKey === pk.key)).map((pk) => pk.key);
  if (pairs.length === 0) {
    add('k8s.secret-key-matches', target, { status: 'skip', message: m.privateKeys.length ? `no certificate named like the private key(s) ${unpaired.join(', ')}` : 'the Secret holds no private key', evidence: { keys: m.keys } });
  } else {
    const bad = pairs.filter((p) => !p.matches);
    add('k8s.secret-key-matches', target, bad.length
      ? {
          status: bad.some((p) => p.certKeyProblem) ? 'error' : 'fail',
          message: bad.map((p) => (p.certKeyProblem ? `${p.certKey}: the certificate's ${safeText(p.certKeyProblem, 160)}, so ${p.keyKey} cannot be matched with it` : p.keyError ? `${p.keyKey} cannot be read (${safeText(p.keyError, 120)})` : `${p.keyKey} is not the private key of ${p.certKey}`)).join('; '),
          remediation: 'put the key that was generated with the certificate into the Secret (cert-manager: delete the Secret to have it reissued); a server with a mismatched pair fails to start or to handshake',
          evidence: { pairs: pairs.map((p) => ({ cert: p.certKey, key: p.keyKey, matches: p.matches })) },
        }
      : { status: 'pass', message: `${pairs.map((p) => `${p.keyKey} belongs to ${p.certKey}`).join('; ')}`, evidence: { pairs: pairs.map((p) => ({ cert: p.certKey, key: p.keyKey, matches: true })), ...(unpaired.length ? { unpairedKeys: unpaired } : {}) } });
  }

  // Chain: each leaf to the Secret's own CA (dates are the expiry check's business).
  const ca = caCertificates(m);
  const leaves = m.certs.filter((c) => c.key !== ca?.key && !c.chain[0]!.ca);
  if (leaves.length === 0) {
    add('k8s.secret-chain', target, { status: 'skip', message: 'the Secret holds no leaf certificate besides its CA', evidence: { keys: m.keys } });
  } else if (!ca) {
    add('k8s.secret-chain', target, { status: 'skip', message: `no CA certificate (ca.crt, ca.pem) in the Secret: the chain of ${leaves.map((l) => l.key).join(', ')} cannot be checked here`, evidence: { keys: m.keys } });
  } else {
    const problems = leaves.flatMap((l) => verifyChain(l.chain, ca.certs, i.clock).problems.filter((p) => p.code !== 'expired' && p.code !== 'not-yet-valid').map((p) => `${l.key}: ${p.message}`));
    add('k8s.secret-chain', target, problems.length
      ? { status: 'fail', message: safeText(problems.join('; '), 600), remediation: `issue ${leaves.map((l) => l.key).join(', ')} from the CA in ${ca.key} (or put the issuing CA there); peers trusting ${ca.key} refuse this certificate`, evidence: { ca: ca.key, leaves: leaves.map((l) => l.key), problems } }
      : { status: 'pass', message: `${leaves.map((l) => l.key).join(', ')} chain${leaves.length === 1 ? 's' : ''} to ${ca.key}`, evidence: { ca: ca.key, leaves: leaves.map((l) => l.key) } });
  }

  // SANs: the server certificate must cover every Service whose Pods mount the Secret.
  const serverLeaves = pairs.filter(isServerPair).map((p) => ({ key: p.certKey, cert: p.chain[0]! }));
  if (services.length === 0) {
    add('k8s.secret-san-covers-service', target, { status: 'skip', message: 'no Service selects a Pod that mounts this Secret\'s server certificate', evidence: {} });
  } else if (serverLeaves.length === 0) {
    add('k8s.secret-san-covers-service', target, { status: 'skip', message: 'the Secret holds no server certificate with its key', evidence: { services: services.map((s) => s.metadata.name) } });
  } else {
    const names = services.flatMap((s) => [serviceFqdn(s.metadata.name, ns), ...(s.metadata.annotations?.['mtls-harness/servername'] ? [s.metadata.annotations['mtls-harness/servername']] : [])]);
    const uncovered = sanCoverage(serverLeaves.map((l) => l.cert), names).uncovered;
    const sans = serverLeaves.map((l) => ({ key: l.key, sans: certEvidence(l.key, l.cert, i.clock).sans }));
    add('k8s.secret-san-covers-service', target, uncovered.length
      ? { status: 'fail', message: `${serverLeaves.map((l) => l.key).join(', ')} does not cover ${uncovered.join(', ')} (its SANs: ${safeText(sans.flatMap((s) => s.sans).join(', '), 300)})`, remediation: `reissue the certificate with ${uncovered.join(', ')} in its subjectAltName (cert-manager: spec.dnsNames), or stop mounting this Secret in that Service's Pods`, evidence: { names, uncovered, certificates: sans } }
      : { status: 'pass', message: `${serverLeaves.map((l) => l.key).join(', ')} covers ${names.join(', ')}`, evidence: { names, certificates: sans } });
  }
}

const PRIVATE_KEY = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;

function auditConfigMap(cm: ConfigMap, ns: string, add: Add): void {
  const keys = [
    ...Object.entries(cm.data ?? {}).filter(([, v]) => PRIVATE_KEY.test(v)).map(([k]) => k),
    ...Object.entries(cm.binaryData ?? {}).filter(([, v]) => PRIVATE_KEY.test(Buffer.from(v, 'base64').toString('latin1'))).map(([k]) => k),
  ];
  add('k8s.configmap-private-key', objectRef('configmap', cm.metadata, ns), keys.length
    ? { status: 'fail', message: `private key(s) in ConfigMap data ${keys.join(', ')}: ConfigMaps are not secret (readable with "get configmaps", shown by kubectl describe, not encrypted at rest)`, remediation: 'move the key into a Secret (type kubernetes.io/tls or Opaque), mount it readOnly with defaultMode 0400, delete it from the ConfigMap and rotate it: consider it disclosed', evidence: { keys } }
    : { status: 'pass', message: 'no private key in the ConfigMap', evidence: { keys: [...Object.keys(cm.data ?? {}), ...Object.keys(cm.binaryData ?? {})] } });
}

function auditPod(p: Pod, ns: string, snap: NamespaceSnapshot, secrets: Map<string, { material: SecretMaterial }>, add: Add): void {
  const target = objectRef('pod', p.metadata, ns);
  const uses = secretUses(p);
  if (uses.length === 0) return;
  // A Secret whose content is unknown (missing, or secrets not readable) is treated as a certificate Secret.
  const isTls = (name: string) => {
    const e = secrets.get(name);
    return e ? isTlsSecret(e.material) : true;
  };
  const holdsKey = (name: string) => {
    const e = secrets.get(name);
    return e ? e.material.privateKeys.length > 0 : true;
  };

  const mounted = uses.filter((u) => u.volume && isTls(u.secret));
  if (mounted.length > 0) {
    const volumes = new Set(mounted.map((u) => u.volume!.name));
    const writable: string[] = [];
    const mounts: { container: string; volume: string; mountPath: string; readOnly: boolean }[] = [];
    for (const c of podContainers(p)) {
      for (const vm of c.volumeMounts ?? []) {
        if (!volumes.has(vm.name)) continue;
        mounts.push({ container: c.name, volume: vm.name, mountPath: vm.mountPath, readOnly: vm.readOnly === true });
        if (vm.readOnly !== true) writable.push(`${c.name}:${vm.mountPath} (volume ${vm.name})`);
      }
    }
    add('k8s.pod-secret-mount-readonly', target, writable.length
      ? { status: 'fail', message: `certificate Secret mounted without readOnly: true in ${writable.join(', ')}`, remediation: 'set readOnly: true on every volumeMount of a certificate Secret ("all mounts must be read-only"); the kubelet serves Secret volumes read-only anyway, but the spec is what reviews and admission policies check', evidence: { mounts } }
      : { status: 'pass', message: `every mount of a certificate Secret is readOnly (${mounts.length})`, evidence: { mounts } });

    // Modes: Kubernetes' default is 0644 (world-readable); a private key should be 0400 (or 0600).
    const seenVol = new Set<string>();
    const modes: { volume: string; secret: string; mode: string; explicit: boolean; key?: string }[] = [];
    for (const u of mounted) {
      if (!holdsKey(u.secret)) continue;
      const v = u.volume!;
      const defaultMode = v.secret?.defaultMode ?? v.projected?.defaultMode;
      const items = v.secret?.items ?? v.projected?.sources?.find((s) => s.secret?.name === u.secret)?.secret?.items;
      const id = `${v.name}/${u.secret}`;
      if (seenVol.has(id)) continue;
      seenVol.add(id);
      if (items?.some((it) => it.mode !== undefined)) {
        for (const it of items) {
          const mode = it.mode ?? defaultMode ?? 0o644;
          modes.push({ volume: v.name, secret: u.secret, key: it.key, mode: `0${mode.toString(8)}`, explicit: it.mode !== undefined || defaultMode !== undefined });
        }
      } else {
        modes.push({ volume: v.name, secret: u.secret, mode: `0${(defaultMode ?? 0o644).toString(8)}`, explicit: defaultMode !== undefined });
      }
    }
    if (modes.length > 0) {
      const open = modes.filter((m) => (parseInt(m.mode, 8) & 0o077) !== 0);
      const explicitOpen = open.filter((m) => m.explicit);
      const what = (m: (typeof modes)[number]) => `volume ${m.volume} (Secret ${m.secret}${m.key ? `, ${m.key}` : ''}): ${m.mode}${m.explicit ? '' : ' (Kubernetes\' default)'}`;
      add('k8s.pod-secret-default-mode', target, explicitOpen.length
        ? { status: 'fail', message: `private keys mounted group/world-readable: ${explicitOpen.map(what).join('; ')}`, remediation: 'set defaultMode: 0400 on the Secret volume (0440 with fsGroup if a non-root group must read it)', evidence: { volumes: modes } }
        : open.length
          ? { status: 'warn', message: `private keys mounted with Kubernetes' default mode 0644 (world-readable inside the Pod): ${open.map(what).join('; ')}`, remediation: 'set defaultMode: 0400 on the Secret volume, as the nova manifests do', evidence: { volumes: modes } }
          : { status: 'pass', message: `private keys are mounted owner-only: ${modes.map(what).join('; ')}`, evidence: { volumes: modes } });
    }
  }

  // Missing Secrets (optional references are allowed to be missing).
  const required = [...new Set(uses.filter((u) => !u.optional).map((u) => u.secret))];
  if (required.length === 0) return;
  if (!snap.secrets) {
    add('k8s.pod-missing-secret', target, { status: 'skip', message: `secrets in ${ns} could not be listed (see k8s.rbac): cannot tell whether ${required.join(', ')} exist`, evidence: { referenced: required } });
    return;
  }
  const missing = required.filter((n) => !secrets.has(n));
  add('k8s.pod-missing-secret', target, missing.length
    ? { status: 'fail', message: `the Pod references Secret(s) that do not exist: ${missing.join(', ')}; it cannot start (ContainerCreating / CreateContainerConfigError) or runs without its certificates`, remediation: `create ${missing.join(', ')} in namespace ${ns} (cert-manager: is the Certificate issuing it Ready?), or fix the secretName`, evidence: { referenced: required, missing } }
    : { status: 'pass', message: `every Secret the Pod references exists: ${required.join(', ')}`, evidence: { referenced: required } });
}

/** cert-manager's default: duration 90 days, renewal at 2/3 of it (renewBefore = duration / 3). */
const CM_DEFAULT_DURATION_MS = 2160 * 3_600_000;

function auditCertificate(c: Certificate, ns: string, policy: Policy, add: Add): void {
  const target = objectRef('certificate', c.metadata, ns);
  const ready = (c.status?.conditions ?? []).find((x) => x.type === 'Ready');
  const ev = { secretName: c.spec?.secretName, dnsNames: c.spec?.dnsNames ?? [], ...(c.status?.notAfter ? { notAfter: c.status.notAfter } : {}), ...(c.status?.renewalTime ? { renewalTime: c.status.renewalTime } : {}) };
  add('k8s.certificate-ready', target, ready?.status === 'True'
    ? { status: 'pass', message: `Ready${ready.message ? `: ${safeText(ready.message, 200)}` : ''}`, evidence: { ...ev, ready: 'True' } }
    : {
        status: 'fail',
        message: `not Ready (${ready ? `${ready.status}${ready.reason ? `, ${safeText(ready.reason, 80)}` : ''}${ready.message ? `: ${safeText(ready.message, 240)}` : ''}` : 'no Ready condition: cert-manager has not processed it'}); Secret ${c.spec?.secretName ?? '?'} is not being (re)issued`,
        remediation: `kubectl describe certificate ${c.metadata.name} -n ${ns} and the CertificateRequest/Order it made; fix the issuer (${c.spec?.issuerRef?.kind ?? 'Issuer'} ${c.spec?.issuerRef?.name ?? '?'})`,
        evidence: { ...ev, ready: ready?.status ?? 'absent', ...(ready?.reason ? { reason: ready.reason } : {}) },
      });

  const duration = parseGoDuration(c.spec?.duration) ?? CM_DEFAULT_DURATION_MS;
  const pct = c.spec?.renewBeforePercentage;
  const explicit = parseGoDuration(c.spec?.renewBefore);
  const renewBefore = explicit ?? (pct !== undefined ? (duration * pct) / 100 : duration / 3);
  const how = explicit !== undefined ? `renewBefore ${c.spec!.renewBefore}` : pct !== undefined ? `renewBeforePercentage ${pct}` : 'cert-manager\'s default (1/3 of the duration)';
  const evR = { ...ev, duration: c.spec?.duration ?? '2160h (default)', renewBeforeDays: days(renewBefore), warnDays: policy.warnDays, failDays: policy.failDays };
  const d = days(renewBefore);
  const status = daysStatus(d, policy);
  add('k8s.certificate-renew-before', target, status === 'fail'
    ? { status: 'fail', message: `renews only ${d} days before expiry (${how}): under the policy's failDays (${policy.failDays}), so every cycle the certificate fails expiry checks and one failed renewal is an outage`, remediation: `set spec.renewBefore to at least ${policy.warnDays * 24}h (the policy's warnDays)`, evidence: evR }
    : status === 'warn'
      ? { status: 'warn', message: `renews ${d} days before expiry (${how}): under the policy's warnDays (${policy.warnDays}), so the certificate is reported as expiring for ${Math.round((policy.warnDays - d) * 10) / 10} days of every cycle`, remediation: `set spec.renewBefore to at least ${policy.warnDays * 24}h, or lower --warn-days to match`, evidence: evR }
      : { status: 'pass', message: `renews ${d} days before expiry (${how})`, evidence: evR });
}
