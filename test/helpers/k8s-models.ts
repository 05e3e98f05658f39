// Kubernetes manifests checked offline against client-node's generated models (the Kubernetes
// OpenAPI schema as code), as kubectl --validate=strict would: test/k8s-deploy.test.ts (deploy/)
// and test/serve-deploy.test.ts (deploy/serve/).
import * as k8s from '@kubernetes/client-node';

const models = k8s as unknown as Record<string, { getAttributeTypeMap?: () => { name: string; baseName: string; type: string }[] }>;

/** Walks a value against a client-node model type; returns the unknown or mistyped fields. */
export function validate(value: unknown, type: string, at: string): string[] {
  if (value === undefined || value === null) return [];
  const arr = /^Array<(.+)>$/.exec(type);
  if (arr) return Array.isArray(value) ? value.flatMap((v, i) => validate(v, arr[1]!, `${at}[${i}]`)) : [`${at}: expected a list`];
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map)
    return typeof value === 'object' && !Array.isArray(value)
      ? Object.entries(value as object).flatMap(([k, v]) => validate(v, map[1]!, `${at}.${k}`))
      : [`${at}: expected a map`];
  switch (type) {
    case 'string':
      return typeof value === 'string' ? [] : [`${at}: expected a string, got ${JSON.stringify(value)}`];
    case 'number':
      return typeof value === 'number' ? [] : [`${at}: expected a number, got ${JSON.stringify(value)}`];
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`${at}: expected a boolean`];
    case 'IntOrString':
      return typeof value === 'string' || typeof value === 'number' ? [] : [`${at}: expected an int or string`];
    case 'Date':
      return typeof value === 'string' ? [] : [`${at}: expected a date string`];
    case 'any':
    case 'object':
      return [];
  }
  const model = models[type];
  if (!model?.getAttributeTypeMap) return [`${at}: unknown model type ${type}`];
  if (typeof value !== 'object' || Array.isArray(value)) return [`${at}: expected an object (${type})`];
  // loadAllYaml deserialises into the models: a field named as a reserved word (NetworkPolicy's `from`) arrives as its property (`_from`).
  const attrs = new Map(model.getAttributeTypeMap().flatMap((a) => [[a.baseName, a.type] as const, [a.name, a.type] as const]));
  return Object.entries(value as object).flatMap(([k, v]) =>
    attrs.has(k) ? validate(v, attrs.get(k)!, `${at}.${k}`) : [`${at}.${k}: unknown field (not in ${type})`],
  );
}

/** Values at a path with [] for "every element". */
export function at(o: unknown, p: string): unknown[] {
  let cur: unknown[] = [o];
  for (const seg of p.split('.')) {
    const many = seg.endsWith('[]');
    const key = many ? seg.slice(0, -2) : seg;
    cur = cur.flatMap((c) => {
      const v = (c as Record<string, unknown> | undefined)?.[key];
      return many ? (Array.isArray(v) ? v : [undefined]) : [v];
    });
  }
  return cur;
}
