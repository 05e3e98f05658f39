import { examples } from './format.js';
import { runSharedOptionsHelp } from './run.js';

/** `mtls-harness k8s scan --help` (and `k8s --help`). */
export function k8sHelp(): string {
  return `Usage: mtls-harness k8s scan [-n NAMESPACE ...|--all-namespaces] [options]

Discovers the Services of a namespace, reaches each port through port-forward
(or directly with --in-cluster), runs the conformance suites against it, and
audits the namespace's Secrets, ConfigMaps, Pods and cert-manager Certificates
(suite k8s-audit). docs/k8s.md has the details.

Cluster:
  --kubeconfig FILE         kubeconfig (default: KUBECONFIG, ~/.kube/config,
                            then the Pod's service account)
  --context NAME            kubeconfig context (default: the current one)
  -n, --namespace NS        namespace to scan (repeatable; default: the
                            context's, else default)
  -A, --all-namespaces      every namespace (needs a ClusterRole)
  -l, --selector SEL        only Services matching this label selector (the
                            audit covers the whole namespace)
  --service NAME            only this Service (repeatable)
  --in-cluster              running in a Pod: its service account, Services
                            dialled as NAME.NS.svc.cluster.local directly
  --istio-root-namespace NS Istio's root namespace (meshConfig.rootNamespace),
                            whose PeerAuthentication is mesh-wide (default
                            istio-system)
Credentials (from Secrets; held in memory, never written or printed):
  --secret [NS/]NAME        client certificate, key and CA to probe with:
                            client.crt/.key, client.pem/client-key.pem,
                            kong-client.crt/.key or tls.crt/.key, and ca.crt
                            or ca.pem (NS: the first namespace scanned)
  --ca-key-secret [NS/]NAME the CA certificate and key (a cert-manager CA
                            issuer's tls.crt/tls.key, ca.crt/ca.key, ...) for
                            the crafted-certificate checks
Service annotations:
  mtls-harness/enabled: "false"     not probed
  mtls-harness/servername: NAME     SNI and the name the certificate must cover
                                    (default NAME.NS.svc.cluster.local)
  mtls-harness/protocol: grpc       https (default), tls, grpc, postgres,
                                    mysql, redis or mqtt (also: appProtocol
                                    grpc, a port named grpc*)
  mtls-harness/ports: "https,8443"  only these ports (default: every TCP port
                                    not named http/metrics)
  mtls-harness/expected-names: a,b  further names the certificate must cover
The files below (--ca, --cert, --key, --p12, --ca-key) go instead of or over the
Secrets; --suite and --check select k8s-audit checks too.
${runSharedOptionsHelp()}

Exit status: 0 no fail and no error; 1 otherwise (a 403 is an error result,
k8s.rbac); 2 usage error or no reachable cluster (nothing was run).

${examples(
  'mtls-harness k8s scan -n payments --secret payments/client-mtls',
  'mtls-harness k8s scan -A --suite k8s-audit --json audit.json',
  'mtls-harness k8s scan -n nova -l app=api --ca-key-secret nova/ca --quiet',
)}`;
}
