// The Kubernetes object a target came from (TargetReport.origin, k8s scan), as one line for the
// table, the JUnit properties and the HTML target card. Everything in it was read from the API:
// shown through safeText.
import type { TargetOrigin } from '../core/target.js';
import { safeText } from '../core/text.js';

/** `Gateway gateway-mtls/gw, listener https`. */
export function originText(o: TargetOrigin): string {
  return safeText(`${o.kind} ${o.namespace}/${o.name}${o.section ? `, ${o.section}` : ''}`, 300);
}

/** `tls.mode=Terminate; frontendValidation=none` (what the object declares), or ''. */
export function declaredText(o: TargetOrigin): string {
  return Object.entries(o.declared ?? {})
    .map(([k, v]) => `${safeText(k, 80)}=${safeText(v, 300)}`)
    .join('; ');
}
