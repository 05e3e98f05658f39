// The engine of the `k8s-audit` suite (suites/k8s-audit.ts): findings about Kubernetes objects
// (Secrets holding certificates, ConfigMaps, Pods, cert-manager Certificates) read from the API.
// Each finding is a Result whose target is the object (`secret/nova/grpc-tls-certs`). Evidence names
// data keys, never their values.
import type { Clock } from '../core/clock.js';
import type { Result, TargetReport } from '../core/model.js';
import type { Policy } from '../core/target.js';
import { TargetIds } from '../core/target-id.js';
import { selectorMatches, type Forbidden, type NamespaceSnapshot, type Service } from '../targets/k8s/objects.js';
import { isServerPair, isTlsSecret, keyPairs, readSecretMaterial, type SecretMaterial } from '../targets/k8s/secrets.js';
import { k8sAudit, type ClusterCheck } from '../../suites/k8s-audit.js';
import { secretUses, targetOf, type ClusterObject } from './cluster.js';

/**
 * The suite for selection (`--suite k8s-audit`, `--check k8s.…`, `--list-checks`) and its checks:
 * evaluated by `auditCluster` on the objects read, not by the runner against endpoints.
 */
export const K8S_AUDIT_SUITE = k8sAudit;
export const K8S_AUDIT_CHECKS: readonly ClusterCheck[] = k8sAudit.checks;
export { parseGoDuration } from './cluster.js';

export interface AuditInput {
  snapshots: NamespaceSnapshot[];
  forbidden: Forbidden[];
  policy: Policy;
  clock: Clock;
  /** Only these check ids (default: all). */
  checks?: ReadonlySet<string>;
  /** Ids the report already holds (k8s scan: its Service targets): the objects' ids stay unique beside them. */
  takenIds?: Iterable<string>;
}

export interface AuditOutput {
  results: Result[];
  /** One report entry per audited object (kind `kubernetes`). */
  targets: TargetReport[];
}

/** What the audit judges, in report order: the refused reads, then per namespace its reads, Secrets, ConfigMaps, Pods, Certificates. */
function objectsOf(i: AuditInput): ClusterObject[] {
  const objects: ClusterObject[] = i.forbidden.map((forbidden) => ({ kind: 'forbidden', forbidden }));
  for (const snap of i.snapshots) {
    const ns = snap.namespace;
    if (!i.forbidden.some((f) => f.namespace === ns)) objects.push({ kind: 'namespace', namespace: ns });
    const secretsByName = new Map<string, { material: SecretMaterial }>();
    for (const s of snap.secrets ?? []) secretsByName.set(s.metadata.name, { material: readSecretMaterial(s, ns) });

    // Services whose Pods mount each Secret (all of it, or its server files: a client mounting only
    // its own files with `items:` does not serve with the Secret).
    const servedBy = new Map<string, Service[]>();
    for (const p of snap.pods ?? []) {
      // Services opted out of the scan (mtls-harness/enabled: "false", e.g. a metrics port) are not dialled with TLS.
      const services = (snap.services ?? []).filter(
        (svc) => selectorMatches(svc.spec?.selector, p.metadata.labels) && svc.metadata.annotations?.['mtls-harness/enabled']?.trim().toLowerCase() !== 'false',
      );
      for (const u of secretUses(p)) {
        if (!u.volume) continue;
        const entry = secretsByName.get(u.secret);
        if (entry && u.items) {
          const serverKeys = new Set(
            keyPairs(entry.material)
              .filter(isServerPair)
              .flatMap((kp) => [kp.certKey, kp.keyKey]),
          );
          if (!u.items.some((k) => serverKeys.has(k))) continue;
        }
        const list = servedBy.get(u.secret) ?? [];
        for (const svc of services) if (!list.includes(svc)) list.push(svc);
        servedBy.set(u.secret, list);
      }
    }

    for (const { material } of secretsByName.values()) {
      if (isTlsSecret(material)) objects.push({ kind: 'secret', namespace: ns, material, services: servedBy.get(material.ref.split('/')[2]!) ?? [] });
    }
    for (const configMap of snap.configMaps ?? []) objects.push({ kind: 'configmap', namespace: ns, configMap });
    for (const pod of snap.pods ?? []) objects.push({ kind: 'pod', namespace: ns, pod, snapshot: snap, secrets: secretsByName });
    for (const certificate of snap.certificates ?? []) objects.push({ kind: 'certificate', namespace: ns, certificate });
  }
  return objects;
}

/** Runs the audit on what the scan read: every selected check of the suite on every object, in catalogue order. */
export function auditCluster(i: AuditInput): AuditOutput {
  const checks = k8sAudit.checks.filter((c) => !i.checks || i.checks.has(c.id));
  const results: Result[] = [];
  // One target per label (several objects may be one target, e.g. a namespace's refused reads).
  const ids = new TargetIds(i.takenIds);
  const idOf = new Map<string, string>();
  for (const object of objectsOf(i)) {
    const ctx = { object, policy: i.policy, clock: i.clock };
    const target = targetOf(object);
    for (const check of checks) {
      const v = check.run(ctx);
      if (!v) continue;
      let targetId = idOf.get(target);
      if (targetId === undefined) idOf.set(target, (targetId = ids.next(target)));
      results.push({
        targetId,
        target,
        suite: k8sAudit.id,
        check: check.id,
        title: check.title,
        status: v.status,
        message: v.message,
        ...(v.remediation ? { remediation: v.remediation } : {}),
        evidence: v.evidence ?? {},
        durationMs: 0,
      });
    }
  }

  const seen = new Set<string>();
  const targets: TargetReport[] = [];
  for (const r of results) {
    if (seen.has(r.targetId)) continue;
    seen.add(r.targetId);
    targets.push({ id: r.targetId, name: r.target, endpoint: r.target, kind: 'kubernetes', policy: { ...i.policy } });
  }
  return { results, targets };
}
