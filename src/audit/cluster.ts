/**
 * What the k8s audit's checks (suites/k8s-audit.ts) see: one Kubernetes object the scan read (or
 * a read it was refused) and the policy. The engine (k8s.ts) walks the objects and judges each with
 * the suite's checks in catalogue order. Evidence names data keys, never their values.
 */
import type { X509Certificate } from 'node:crypto';
import { DAY_MS, type Clock } from '../core/clock.js';
import type { Policy } from '../core/target.js';
import { summarizeCertificate } from '../pki/inspect.js';
import {
  objectRef,
  podContainers,
  type Certificate,
  type ConfigMap,
  type Forbidden,
  type NamespaceSnapshot,
  type Pod,
  type Service,
  type Volume,
} from '../targets/k8s/objects.js';
import type { SecretMaterial } from '../targets/k8s/secrets.js';

/** One thing the k8s audit judges: an object read from the API, a namespace read in full, or a read refused. */
export type ClusterObject =
  /** A list or get the scan was refused (403). */
  | { kind: 'forbidden'; forbidden: Forbidden }
  /** A namespace every resource of which the scan could read. */
  | { kind: 'namespace'; namespace: string }
  /** A Secret holding certificates, with the Services whose Pods mount its server certificate. */
  | { kind: 'secret'; namespace: string; material: SecretMaterial; services: Service[] }
  | { kind: 'configmap'; namespace: string; configMap: ConfigMap }
  /** A Pod, with its namespace's snapshot and Secrets (by name) to resolve what it mounts. */
  | { kind: 'pod'; namespace: string; pod: Pod; snapshot: NamespaceSnapshot; secrets: ReadonlyMap<string, { material: SecretMaterial }> }
  /** A cert-manager Certificate. */
  | { kind: 'certificate'; namespace: string; certificate: Certificate };

/** What a k8s-audit check is judged on. */
export interface ClusterContext {
  object: ClusterObject;
  policy: Policy;
  clock: Clock;
}

/** The report target of an object: `secret/nova/grpc-tls-certs`, `rbac/nova`, `rbac/cluster/list namespaces`. */
export function targetOf(o: ClusterObject): string {
  switch (o.kind) {
    case 'forbidden':
      return `rbac/${o.forbidden.namespace ?? 'cluster'}/${o.forbidden.verb} ${o.forbidden.resource}`;
    case 'namespace':
      return `rbac/${o.namespace}`;
    case 'secret':
      return o.material.ref;
    case 'configmap':
      return objectRef('configmap', o.configMap.metadata, o.namespace);
    case 'pod':
      return objectRef('pod', o.pod.metadata, o.namespace);
    case 'certificate':
      return objectRef('certificate', o.certificate.metadata, o.namespace);
  }
}

/** What a Pod mounts or references of Secrets. */
export interface SecretUse {
  secret: string;
  volume?: Volume;
  /** From env/envFrom (not mounted). */
  env?: boolean;
  optional: boolean;
  /** The keys projected (`items`), when limited. */
  items?: string[];
}

export function secretUses(p: Pod): SecretUse[] {
  const uses: SecretUse[] = [];
  for (const v of p.spec?.volumes ?? []) {
    if (v.secret?.secretName)
      uses.push({
        secret: v.secret.secretName,
        volume: v,
        optional: !!v.secret.optional,
        ...(v.secret.items ? { items: v.secret.items.map((i) => i.key) } : {}),
      });
    for (const s of v.projected?.sources ?? []) {
      if (s.secret?.name)
        uses.push({ secret: s.secret.name, volume: v, optional: !!s.secret.optional, ...(s.secret.items ? { items: s.secret.items.map((i) => i.key) } : {}) });
    }
  }
  for (const c of podContainers(p)) {
    for (const e of c.env ?? [])
      if (e.valueFrom?.secretKeyRef?.name) uses.push({ secret: e.valueFrom.secretKeyRef.name, env: true, optional: !!e.valueFrom.secretKeyRef.optional });
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

/** Milliseconds as days, one decimal. */
export const days = (ms: number): number => Math.round((ms / DAY_MS) * 10) / 10;

/** What the evidence shows of a certificate in a Secret: never the key. */
export function certEvidence(key: string, c: X509Certificate, clock: Clock) {
  const s = summarizeCertificate(c, clock);
  return {
    key,
    subject: s.subject,
    issuer: s.issuer,
    notAfter: s.notAfter,
    daysLeft: s.daysLeft,
    sans: [...s.sans.dns, ...s.sans.ip, ...s.sans.uri],
    fingerprintSha256: s.fingerprintSha256,
  };
}
