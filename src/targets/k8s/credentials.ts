// Credential plugins of a kubeconfig user (`exec:`, client.authentication.k8s.io/v1 ExecCredential,
// as EKS's `aws eks get-token` and GKE's gke-gcloud-auth-plugin; or a legacy `auth-provider:`): run
// once before the first API call, so a plugin that fails is one clear exit-2 line naming the plugin
// and what it printed, not an "unreachable" API server. client-node caches the credential and runs
// the plugin again when its expirationTimestamp passes.
import { HarnessError } from '../../core/errors.js';
import { safeText } from '../../core/text.js';

type KubeConfig = import('@kubernetes/client-node').KubeConfig;

/** How long a plugin may take (a browser login flow is interactive: it cannot run here). */
const PLUGIN_TIMEOUT_MS = 60_000;

export async function checkCredentialPlugin(kc: KubeConfig, from: string, timeoutMs = PLUGIN_TIMEOUT_MS): Promise<void> {
  const user = kc.getCurrentUser();
  if (!user || (!user.exec && !user.authProvider)) return;
  const exec = (user.exec ?? (user.authProvider?.config as { exec?: unknown } | undefined)?.exec) as { command?: string } | undefined;
  const what = exec
    ? `exec credential plugin "${safeText(exec.command ?? '(no command)', 120)}"`
    : `auth-provider "${safeText(user.authProvider?.name ?? '', 60)}"`;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      kc.applyToHTTPSOptions({}),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no credential within ${timeoutMs / 1000} s (a plugin that prompts cannot: the scan gives it no terminal)`)),
          timeoutMs,
        );
        timer.unref();
      }),
    ]);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why =
      err.code === 'ENOENT'
        ? 'not found (is it installed and on PATH?)'
        : err instanceof SyntaxError
          ? `its output is not an ExecCredential (JSON): ${safeText(err.message, 160)}`
          : safeText((err.message ?? String(e)).trim().split('\n').filter(Boolean).slice(-3).join(' / ') || 'it failed without a message', 400);
    throw new HarnessError(
      'k8s.unauthorized',
      `the ${what} of user "${safeText(user.name, 80)}" (context "${kc.getCurrentContext()}", ${from}) failed: ${why}`,
    );
  } finally {
    clearTimeout(timer);
  }
}
