import { KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { checkCredentialPlugin } from './credentials.js';

const withExec = (command: string, args: string[]) => {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:1', skipTLSVerify: false }],
    users: [{ name: 'u', exec: { apiVersion: 'client.authentication.k8s.io/v1', command, args, interactiveMode: 'Never' } }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
};

describe('checkCredentialPlugin', () => {
  it('a plugin that never answers (a prompt with no terminal) is a clear error after the timeout', async () => {
    const t0 = Date.now();
    await expect(checkCredentialPlugin(withExec('sleep', ['5']), 'test', 300)).rejects.toThrow(
      /exec credential plugin "sleep" of user "u" \(context "x", test\) failed: no credential within 0\.3 s \(a plugin that prompts cannot/,
    );
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('a user without a plugin: nothing runs', async () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: 'https://127.0.0.1:1', skipTLSVerify: false }],
      users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    await expect(checkCredentialPlugin(kc, 'test')).resolves.toBeUndefined();
  });
});
