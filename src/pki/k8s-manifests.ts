import { stringify } from 'yaml';
import { HarnessError } from '../core/errors.js';

/** One Kubernetes Secret to write: data values are PEM text, base64-encoded on output. */
export interface SecretSpec {
  name: string;
  namespace: string;
  /** `kubernetes.io/tls` requires `tls.crt` and `tls.key`; `Opaque` takes any keys. */
  type: 'kubernetes.io/tls' | 'Opaque';
  data: Record<string, string>;
}

/** Labels on every Secret we write, so operators can find (and prune) them. */
export const MANAGED_BY_LABELS = { 'app.kubernetes.io/managed-by': 'mtls-harness' } as const;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Validates a namespace or service name as an RFC 1123 label (Kubernetes' rule for both). */
export function assertDnsLabel(what: string, value: string): string {
  if (!DNS_LABEL.test(value)) {
    throw new HarnessError(
      'usage.invalid-value',
      `${what} "${value}" is not a valid Kubernetes name: use lower-case letters, digits and "-", at most 63 characters, starting and ending with a letter or digit`,
    );
  }
  return value;
}

/**
 * Renders Secrets as one multi-document YAML stream (`kubectl apply -f`). A CA private key is never
 * accepted here: a Secret carrying it would hand every pod that mounts it the power to mint identities.
 */
export function renderSecretsYaml(secrets: SecretSpec[], header: string): string {
  const docs = secrets.map((s) => {
    if (!DNS_SUBDOMAIN.test(s.name)) throw new HarnessError('usage.invalid-value', `Secret name "${s.name}" is not a valid Kubernetes name`);
    assertDnsLabel('namespace', s.namespace);
    if (s.type === 'kubernetes.io/tls' && (!s.data['tls.crt'] || !s.data['tls.key'])) {
      throw new HarnessError('internal', `Secret ${s.name}: type kubernetes.io/tls needs tls.crt and tls.key`);
    }
    for (const [k, v] of Object.entries(s.data)) {
      if (/ca[-.]key/i.test(k)) throw new HarnessError('internal', `Secret ${s.name}: refusing to put a CA private key (${k}) into a Secret`);
      if (!/^[-._a-zA-Z0-9]+$/.test(k)) throw new HarnessError('internal', `Secret ${s.name}: invalid data key "${k}"`);
      if (typeof v !== 'string' || v.length === 0) throw new HarnessError('internal', `Secret ${s.name}: empty value for ${k}`);
    }
    const data: Record<string, string> = {};
    for (const k of Object.keys(s.data).sort()) data[k] = Buffer.from(s.data[k]!, 'utf8').toString('base64');
    return stringify(
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: s.name, namespace: s.namespace, labels: { ...MANAGED_BY_LABELS } }, type: s.type, data },
      { lineWidth: 0 },
    );
  });
  const head = header
    .split('\n')
    .map((l) => `# ${l}`.trimEnd())
    .join('\n');
  return `${head}\n---\n${docs.join('---\n')}`;
}
