/**
 * The k8s audit's catalogue (`mtls-harness k8s scan`, docs/k8s.md "Suite k8s-audit"): findings
 * about the Kubernetes objects the scan read — Secrets holding certificates, ConfigMaps, Pods,
 * cert-manager Certificates — and the reads it was refused. The engine (src/audit/k8s.ts) walks the
 * objects and judges each with these checks in this order; a check yields nothing for an object it
 * is not about. Evidence names data keys, never their values.
 */
import type { Check, Suite } from '../src/checks/types.js';
import { expiryVerdict } from '../src/checks/judge.js';
import type { CheckVerdict } from '../src/core/model.js';
import { worstOf } from '../src/core/status.js';
import { safeText } from '../src/core/text.js';
import { summarizeCertificate } from '../src/pki/inspect.js';
import { verifyChain } from '../src/pki/verify.js';
import { daysStatus } from '../src/rules/expiry.js';
import { keyFileMode } from '../src/rules/permissions.js';
import { sanCoverage } from '../src/rules/san.js';
import { podContainers, serviceFqdn } from '../src/targets/k8s/objects.js';
import { caCertificates, isServerPair, isTlsSecret, keyPairs } from '../src/targets/k8s/secrets.js';
import { certEvidence, days, parseGoDuration, secretUses, type ClusterContext, type ClusterObject } from '../src/audit/cluster.js';

/** A k8s-audit check: judged on one object; no verdict for an object it is not about. */
export type ClusterCheck = Check<ClusterContext, CheckVerdict | undefined>;

type Of<K extends ClusterObject['kind']> = Extract<ClusterObject, { kind: K }>;

/** The check applies to objects of one kind only. */
const on =
  <K extends ClusterObject['kind']>(kind: K, judge: (o: Of<K>, ctx: ClusterContext) => CheckVerdict | undefined) =>
  (ctx: ClusterContext): CheckVerdict | undefined =>
    ctx.object.kind === kind ? judge(ctx.object as Of<K>, ctx) : undefined;

function rbac(ctx: ClusterContext): CheckVerdict | undefined {
  const o = ctx.object;
  if (o.kind === 'forbidden') {
    const f = o.forbidden;
    const where = f.namespace ? ` in namespace ${f.namespace}` : ' (cluster scope)';
    return {
      status: 'error',
      message: `forbidden: the scan may not ${f.verb} ${f.resource}${f.group ? `.${f.group}` : ''}${where}, so what depends on them was not audited: ${safeText(f.message, 300)}`,
      remediation: `grant verb "${f.verb}" on resource "${f.resource}" (apiGroup "${f.group}") to the identity the scan runs as (deploy/role.yaml holds the minimal Role)`,
      evidence: { verb: f.verb, resource: f.resource, apiGroup: f.group, ...(f.namespace ? { namespace: f.namespace } : {}), status: 403 },
    };
  }
  if (o.kind === 'namespace') {
    const ns = o.namespace;
    return { status: 'pass', message: `every resource the scan reads in namespace ${ns} was readable`, evidence: { namespace: ns } };
  }
  return undefined;
}

/** Expiry: every certificate in the Secret (leaves and CAs), the worst one decides. */
function secretCertExpiry({ material: m }: Of<'secret'>, i: ClusterContext): CheckVerdict {
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
    return {
      status: worst.status,
      message: worst.status === 'pass' ? `all ${verdicts.length} certificate(s) are valid for at least ${i.policy.warnDays} days` : worst.message,
      ...(worst.remediation
        ? { remediation: `${worst.remediation} (cert-manager: check the Certificate's status; otherwise reissue and update the Secret)` }
        : {}),
      evidence: { certificates: evidence },
    };
  }
  return { status: 'skip', message: 'the Secret holds a private key but no certificate', evidence: { keys: m.keys } };
}

/** Key match: every certificate/key pair by name. */
function secretKeyMatches({ material: m }: Of<'secret'>): CheckVerdict {
  const pairs = keyPairs(m);
  const unpaired = m.privateKeys.filter((pk) => !pairs.some((p) => p.keyKey === pk.key)).map((pk) => pk.key);
  if (pairs.length === 0)
    return {
      status: 'skip',
      message: m.privateKeys.length ? `no certificate named like the private key(s) ${unpaired.join(', ')}` : 'the Secret holds no private key',
      evidence: { keys: m.keys },
    };
  const bad = pairs.filter((p) => !p.matches);
  return bad.length
    ? {
        status: bad.some((p) => p.certKeyProblem) ? 'error' : 'fail',
        message: bad
          .map((p) =>
            p.certKeyProblem
              ? `${p.certKey}: the certificate's ${safeText(p.certKeyProblem, 160)}, so ${p.keyKey} cannot be matched with it`
              : p.keyError
                ? `${p.keyKey} cannot be read (${safeText(p.keyError, 120)})`
                : `${p.keyKey} is not the private key of ${p.certKey}`,
          )
          .join('; '),
        remediation:
          'put the key that was generated with the certificate into the Secret (cert-manager: delete the Secret to have it reissued); a server with a mismatched pair fails to start or to handshake',
        evidence: { pairs: pairs.map((p) => ({ cert: p.certKey, key: p.keyKey, matches: p.matches })) },
      }
    : {
        status: 'pass',
        message: `${pairs.map((p) => `${p.keyKey} belongs to ${p.certKey}`).join('; ')}`,
        evidence: { pairs: pairs.map((p) => ({ cert: p.certKey, key: p.keyKey, matches: true })), ...(unpaired.length ? { unpairedKeys: unpaired } : {}) },
      };
}

/** Chain: each leaf to the Secret's own CA (dates are the expiry check's business). */
function secretChain({ material: m }: Of<'secret'>, i: ClusterContext): CheckVerdict {
  const ca = caCertificates(m);
  const leaves = m.certs.filter((c) => c.key !== ca?.key && !c.chain[0]!.ca);
  if (leaves.length === 0) return { status: 'skip', message: 'the Secret holds no leaf certificate besides its CA', evidence: { keys: m.keys } };
  if (!ca)
    return {
      status: 'skip',
      message: `no CA certificate (ca.crt, ca.pem) in the Secret: the chain of ${leaves.map((l) => l.key).join(', ')} cannot be checked here`,
      evidence: { keys: m.keys },
    };
  const problems = leaves.flatMap((l) =>
    verifyChain(l.chain, ca.certs, i.clock)
      .problems.filter((p) => p.code !== 'expired' && p.code !== 'not-yet-valid')
      .map((p) => `${l.key}: ${p.message}`),
  );
  return problems.length
    ? {
        status: 'fail',
        message: safeText(problems.join('; '), 600),
        remediation: `issue ${leaves.map((l) => l.key).join(', ')} from the CA in ${ca.key} (or put the issuing CA there); peers trusting ${ca.key} refuse this certificate`,
        evidence: { ca: ca.key, leaves: leaves.map((l) => l.key), problems },
      }
    : {
        status: 'pass',
        message: `${leaves.map((l) => l.key).join(', ')} chain${leaves.length === 1 ? 's' : ''} to ${ca.key}`,
        evidence: { ca: ca.key, leaves: leaves.map((l) => l.key) },
      };
}

/** SANs: the server certificate must cover every Service whose Pods mount the Secret. */
function secretSanCoversService({ material: m, services, namespace: ns }: Of<'secret'>, i: ClusterContext): CheckVerdict {
  const serverLeaves = keyPairs(m)
    .filter(isServerPair)
    .map((p) => ({ key: p.certKey, cert: p.chain[0]! }));
  if (services.length === 0) return { status: 'skip', message: "no Service selects a Pod that mounts this Secret's server certificate", evidence: {} };
  if (serverLeaves.length === 0)
    return { status: 'skip', message: 'the Secret holds no server certificate with its key', evidence: { services: services.map((s) => s.metadata.name) } };
  const names = services.flatMap((s) => [
    serviceFqdn(s.metadata.name, ns),
    ...(s.metadata.annotations?.['mtls-harness/servername'] ? [s.metadata.annotations['mtls-harness/servername']] : []),
  ]);
  const uncovered = sanCoverage(
    serverLeaves.map((l) => l.cert),
    names,
  ).uncovered;
  const sans = serverLeaves.map((l) => ({ key: l.key, sans: certEvidence(l.key, l.cert, i.clock).sans }));
  return uncovered.length
    ? {
        status: 'fail',
        message: `${serverLeaves.map((l) => l.key).join(', ')} does not cover ${uncovered.join(', ')} (its SANs: ${safeText(sans.flatMap((s) => s.sans).join(', '), 300)})`,
        remediation: `reissue the certificate with ${uncovered.join(', ')} in its subjectAltName (cert-manager: spec.dnsNames), or stop mounting this Secret in that Service's Pods`,
        evidence: { names, uncovered, certificates: sans },
      }
    : { status: 'pass', message: `${serverLeaves.map((l) => l.key).join(', ')} covers ${names.join(', ')}`, evidence: { names, certificates: sans } };
}

const PRIVATE_KEY = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;

function configMapPrivateKey({ configMap: cm }: Of<'configmap'>): CheckVerdict {
  const keys = [
    ...Object.entries(cm.data ?? {})
      .filter(([, v]) => PRIVATE_KEY.test(v))
      .map(([k]) => k),
    ...Object.entries(cm.binaryData ?? {})
      .filter(([, v]) => PRIVATE_KEY.test(Buffer.from(v, 'base64').toString('latin1')))
      .map(([k]) => k),
  ];
  return keys.length
    ? {
        status: 'fail',
        message: `private key(s) in ConfigMap data ${keys.join(', ')}: ConfigMaps are not secret (readable with "get configmaps", shown by kubectl describe, not encrypted at rest)`,
        remediation:
          'move the key into a Secret (type kubernetes.io/tls or Opaque), mount it readOnly with defaultMode 0400, delete it from the ConfigMap and rotate it: consider it disclosed',
        evidence: { keys },
      }
    : { status: 'pass', message: 'no private key in the ConfigMap', evidence: { keys: [...Object.keys(cm.data ?? {}), ...Object.keys(cm.binaryData ?? {})] } };
}

/** The certificate Secrets a Pod mounts as volumes (a Secret whose content is unknown — missing, or not readable — counts as one). */
function mountedCertificateSecrets({ pod, secrets }: Of<'pod'>) {
  const isTls = (name: string) => {
    const e = secrets.get(name);
    return e ? isTlsSecret(e.material) : true;
  };
  return secretUses(pod).filter((u) => u.volume && isTls(u.secret));
}

function podSecretMountReadonly(o: Of<'pod'>): CheckVerdict | undefined {
  const mounted = mountedCertificateSecrets(o);
  if (mounted.length === 0) return undefined;
  const volumes = new Set(mounted.map((u) => u.volume!.name));
  const writable: string[] = [];
  const mounts: { container: string; volume: string; mountPath: string; readOnly: boolean }[] = [];
  for (const c of podContainers(o.pod)) {
    for (const vm of c.volumeMounts ?? []) {
      if (!volumes.has(vm.name)) continue;
      mounts.push({ container: c.name, volume: vm.name, mountPath: vm.mountPath, readOnly: vm.readOnly === true });
      if (vm.readOnly !== true) writable.push(`${c.name}:${vm.mountPath} (volume ${vm.name})`);
    }
  }
  return writable.length
    ? {
        status: 'fail',
        message: `certificate Secret mounted without readOnly: true in ${writable.join(', ')}`,
        remediation:
          'set readOnly: true on every volumeMount of a certificate Secret ("all mounts must be read-only"); the kubelet serves Secret volumes read-only anyway, but the spec is what reviews and admission policies check',
        evidence: { mounts },
      }
    : { status: 'pass', message: `every mount of a certificate Secret is readOnly (${mounts.length})`, evidence: { mounts } };
}

/** Modes: Kubernetes' default is 0644 (world-readable); a private key should be 0400 (or 0600). */
function podSecretDefaultMode(o: Of<'pod'>): CheckVerdict | undefined {
  const holdsKey = (name: string) => {
    const e = o.secrets.get(name);
    return e ? e.material.privateKeys.length > 0 : true;
  };
  const seenVol = new Set<string>();
  const modes: { volume: string; secret: string; mode: string; explicit: boolean; key?: string }[] = [];
  for (const u of mountedCertificateSecrets(o)) {
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
        modes.push({
          volume: v.name,
          secret: u.secret,
          key: it.key,
          mode: `0${mode.toString(8)}`,
          explicit: it.mode !== undefined || defaultMode !== undefined,
        });
      }
    } else {
      modes.push({ volume: v.name, secret: u.secret, mode: `0${(defaultMode ?? 0o644).toString(8)}`, explicit: defaultMode !== undefined });
    }
  }
  if (modes.length === 0) return undefined;
  const open = modes.filter((m) => !keyFileMode(parseInt(m.mode, 8)).ownerOnly);
  const explicitOpen = open.filter((m) => m.explicit);
  const what = (m: (typeof modes)[number]) =>
    `volume ${m.volume} (Secret ${m.secret}${m.key ? `, ${m.key}` : ''}): ${m.mode}${m.explicit ? '' : " (Kubernetes' default)"}`;
  return explicitOpen.length
    ? {
        status: 'fail',
        message: `private keys mounted group/world-readable: ${explicitOpen.map(what).join('; ')}`,
        remediation: 'set defaultMode: 0400 on the Secret volume (0440 with fsGroup if a non-root group must read it)',
        evidence: { volumes: modes },
      }
    : open.length
      ? {
          status: 'warn',
          message: `private keys mounted with Kubernetes' default mode 0644 (world-readable inside the Pod): ${open.map(what).join('; ')}`,
          remediation: 'set defaultMode: 0400 on the Secret volume, as the nova manifests do',
          evidence: { volumes: modes },
        }
      : { status: 'pass', message: `private keys are mounted owner-only: ${modes.map(what).join('; ')}`, evidence: { volumes: modes } };
}

/** Missing Secrets (optional references are allowed to be missing). */
function podMissingSecret({ pod, snapshot: snap, secrets, namespace: ns }: Of<'pod'>): CheckVerdict | undefined {
  const required = [
    ...new Set(
      secretUses(pod)
        .filter((u) => !u.optional)
        .map((u) => u.secret),
    ),
  ];
  if (required.length === 0) return undefined;
  if (!snap.secrets)
    return {
      status: 'skip',
      message: `secrets in ${ns} could not be listed (see k8s.rbac): cannot tell whether ${required.join(', ')} exist`,
      evidence: { referenced: required },
    };
  const missing = required.filter((n) => !secrets.has(n));
  return missing.length
    ? {
        status: 'fail',
        message: `the Pod references Secret(s) that do not exist: ${missing.join(', ')}; it cannot start (ContainerCreating / CreateContainerConfigError) or runs without its certificates`,
        remediation: `create ${missing.join(', ')} in namespace ${ns} (cert-manager: is the Certificate issuing it Ready?), or fix the secretName`,
        evidence: { referenced: required, missing },
      }
    : { status: 'pass', message: `every Secret the Pod references exists: ${required.join(', ')}`, evidence: { referenced: required } };
}

function certificateReady({ certificate: c, namespace: ns }: Of<'certificate'>): CheckVerdict {
  const ready = (c.status?.conditions ?? []).find((x) => x.type === 'Ready');
  const ev = certificateEvidence(c);
  return ready?.status === 'True'
    ? { status: 'pass', message: `Ready${ready.message ? `: ${safeText(ready.message, 200)}` : ''}`, evidence: { ...ev, ready: 'True' } }
    : {
        status: 'fail',
        message: `not Ready (${ready ? `${ready.status}${ready.reason ? `, ${safeText(ready.reason, 80)}` : ''}${ready.message ? `: ${safeText(ready.message, 240)}` : ''}` : 'no Ready condition: cert-manager has not processed it'}); Secret ${c.spec?.secretName ?? '?'} is not being (re)issued`,
        remediation: `kubectl describe certificate ${c.metadata.name} -n ${ns} and the CertificateRequest/Order it made; fix the issuer (${c.spec?.issuerRef?.kind ?? 'Issuer'} ${c.spec?.issuerRef?.name ?? '?'})`,
        evidence: { ...ev, ready: ready?.status ?? 'absent', ...(ready?.reason ? { reason: ready.reason } : {}) },
      };
}

/** What the evidence shows of a cert-manager Certificate. */
function certificateEvidence(c: Of<'certificate'>['certificate']) {
  return {
    secretName: c.spec?.secretName,
    dnsNames: c.spec?.dnsNames ?? [],
    ...(c.status?.notAfter ? { notAfter: c.status.notAfter } : {}),
    ...(c.status?.renewalTime ? { renewalTime: c.status.renewalTime } : {}),
  };
}

/** cert-manager's default: duration 90 days, renewal at 2/3 of it (renewBefore = duration / 3). */
const CM_DEFAULT_DURATION_MS = 2160 * 3_600_000;

function certificateRenewBefore({ certificate: c }: Of<'certificate'>, { policy }: ClusterContext): CheckVerdict {
  const ev = certificateEvidence(c);
  const duration = parseGoDuration(c.spec?.duration) ?? CM_DEFAULT_DURATION_MS;
  const pct = c.spec?.renewBeforePercentage;
  const explicit = parseGoDuration(c.spec?.renewBefore);
  const renewBefore = explicit ?? (pct !== undefined ? (duration * pct) / 100 : duration / 3);
  const how =
    explicit !== undefined
      ? `renewBefore ${c.spec!.renewBefore}`
      : pct !== undefined
        ? `renewBeforePercentage ${pct}`
        : "cert-manager's default (1/3 of the duration)";
  const evR = {
    ...ev,
    duration: c.spec?.duration ?? '2160h (default)',
    renewBeforeDays: days(renewBefore),
    warnDays: policy.warnDays,
    failDays: policy.failDays,
  };
  const d = days(renewBefore);
  const status = daysStatus(d, policy);
  return status === 'fail'
    ? {
        status: 'fail',
        message: `renews only ${d} days before expiry (${how}): under the policy's failDays (${policy.failDays}), so every cycle the certificate fails expiry checks and one failed renewal is an outage`,
        remediation: `set spec.renewBefore to at least ${policy.warnDays * 24}h (the policy's warnDays)`,
        evidence: evR,
      }
    : status === 'warn'
      ? {
          status: 'warn',
          message: `renews ${d} days before expiry (${how}): under the policy's warnDays (${policy.warnDays}), so the certificate is reported as expiring for ${Math.round((policy.warnDays - d) * 10) / 10} days of every cycle`,
          remediation: `set spec.renewBefore to at least ${policy.warnDays * 24}h, or lower --warn-days to match`,
          evidence: evR,
        }
      : { status: 'pass', message: `renews ${d} days before expiry (${how})`, evidence: evR };
}

const checks = [
  { id: 'k8s.secret-cert-expiry', title: 'Certificates in Secrets are not expiring', run: on('secret', secretCertExpiry) },
  { id: 'k8s.secret-key-matches', title: 'Each private key in a Secret belongs to its certificate', run: on('secret', secretKeyMatches) },
  { id: 'k8s.secret-chain', title: "Certificates in a Secret chain to the Secret's CA", run: on('secret', secretChain) },
  {
    id: 'k8s.secret-san-covers-service',
    title: "A Secret's server certificate covers the Services whose Pods mount it",
    run: on('secret', secretSanCoversService),
  },
  { id: 'k8s.configmap-private-key', title: 'No private key in a ConfigMap', run: on('configmap', configMapPrivateKey) },
  { id: 'k8s.pod-secret-mount-readonly', title: 'Certificate Secrets are mounted readOnly: true', run: on('pod', podSecretMountReadonly) },
  { id: 'k8s.pod-secret-default-mode', title: 'Private keys are mounted owner-only (defaultMode 0400/0600)', run: on('pod', podSecretDefaultMode) },
  { id: 'k8s.pod-missing-secret', title: 'Every Secret a Pod references exists', run: on('pod', podMissingSecret) },
  { id: 'k8s.certificate-ready', title: 'cert-manager Certificates are Ready', run: on('certificate', certificateReady) },
  { id: 'k8s.certificate-renew-before', title: 'cert-manager renews before the expiry policy would warn', run: on('certificate', certificateRenewBefore) },
  { id: 'k8s.rbac', title: 'The scan could read every resource it needs', run: rbac },
] as const satisfies readonly ClusterCheck[];

/** The id of a k8s-audit check. */
export type K8sAuditCheckId = (typeof checks)[number]['id'];

/** The k8s-audit suite (README "k8s-audit"; stable ids, as every check id). */
export const k8sAudit: Suite<ClusterContext, ClusterCheck> = {
  id: 'k8s-audit',
  title: 'Kubernetes objects (Secrets, ConfigMaps, Pods, cert-manager Certificates)',
  kind: 'cluster',
  checks: [...checks],
};
