import type { Check, Suite } from '../src/checks/types.js';
import type { CheckVerdict } from '../src/core/model.js';
import { judgePresentsCert, judgeRejects, type BadServer, type ClientRun, type ServerProfile } from '../src/client-test/checks.js';

/**
 * What a client-conformance check is judged on: the client's run against the check's server, and
 * its run against the valid server (the baseline every refusal is measured against; for
 * `client.presents-cert` the two are the same run).
 */
export interface ClientCheckContext {
  run: ClientRun;
  baseline: ClientRun;
}

/** A client-conformance check: the server it runs against (`profile`), and what is wrong with that server. */
export interface ClientCheck extends Check<ClientCheckContext, CheckVerdict>, BadServer {
  profile: ServerProfile;
}

export const CLIENT_SUITE_ID = 'client-conformance';

/** A `client.rejects-*` check: the client must refuse a server whose certificate is bad one way. */
const rejects = (c: Omit<ClientCheck, 'run'>): ClientCheck => ({ ...c, run: ({ run, baseline }) => judgeRejects(c, run, baseline) });

/**
 * The client-under-test catalogue (docs/CONFORMANCE.md, docs/client-test.md), in run order; the first
 * check's run against the valid server is also the baseline of the others. Evaluated by
 * client-test/run.ts, one reference server per check.
 */
export const clientConformance: Suite<ClientCheckContext, ClientCheck> = {
  id: CLIENT_SUITE_ID,
  title: 'Client under test (presents its certificate, refuses bad servers)',
  kind: 'client',
  checks: [
    { id: 'client.presents-cert', title: 'Client presents a certificate that chains to the CA', profile: 'valid', run: ({ run }) => judgePresentsCert(run) },
    rejects({
      id: 'client.rejects-untrusted-server',
      title: 'Client refuses a server certificate from an unknown CA',
      profile: 'untrusted-ca',
      serverFlaw: 'is issued by a CA the client was not told to trust (same name as the trusted CA, another key)',
      remediation: 'verify the server against your CA only (curl --cacert; never -k/--insecure; node: no rejectUnauthorized: false; Go: no InsecureSkipVerify)',
    }),
    rejects({
      id: 'client.rejects-wrong-san-server',
      title: 'Client refuses a server certificate for another name',
      profile: 'wrong-san',
      serverFlaw: 'chains to the trusted CA but names only wrong.example',
      remediation:
        'keep hostname verification on (node: no custom checkServerIdentity that returns undefined; OpenSSL: -verify_hostname / SSL_set1_host; Go: set ServerName)',
    }),
    rejects({
      id: 'client.rejects-expired-server',
      title: 'Client refuses an expired server certificate',
      profile: 'expired',
      serverFlaw: 'chains to the trusted CA but expired yesterday',
      remediation: 'do not ignore validity dates (OpenSSL: no -no_check_time / X509_V_FLAG_NO_CHECK_TIME; check the client host clock)',
    }),
    rejects({
      id: 'client.rejects-self-signed-server',
      title: 'Client refuses a self-signed server certificate',
      profile: 'self-signed',
      serverFlaw: 'is self-signed (not issued by any CA the client trusts)',
      remediation: 'verify the server chain against your CA (a client that trusts any self-signed certificate talks to anyone)',
    }),
    rejects({
      id: 'client.rejects-incomplete-chain-server',
      title: 'Client refuses a chain it cannot complete to the CA',
      profile: 'incomplete-chain',
      serverFlaw: 'is issued by an intermediate the server does not send (the client trusts only the root)',
      remediation: 'verify the full chain to your root; do not trust intermediates the server did not send unless you configured them',
    }),
  ],
};

/** The checks of the suite, in run order. */
export const CLIENT_CHECKS: readonly ClientCheck[] = clientConformance.checks;
