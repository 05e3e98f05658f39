import { examples } from './format.js';

/** `mtls-harness reference start --help`. The implementations are test/help.test.ts's to keep in step. */
export function referenceHelp(): string {
  return `Usage: mtls-harness reference start IMPL --profile NAME [options]

Starts a reference mTLS server (node, node-grpc, openssl, nginx, haproxy,
stunnel, caddy, gnutls, apache, apache-location, postgres, mariadb, mosquitto,
redis) in a profile of
docs/CONFORMANCE.md on 127.0.0.1, prints its endpoint and the paths of the CA
and client credentials, and runs until Ctrl-C, so you can point your own
clients at it (docs/reference-servers.md).

Options:
  --profile NAME            strict, optional-client-cert, no-client-auth, ...
  --provider P              process (default: a local binary) or container
  --out DIR                 where the fixture PKI is written (default: a new
                            private temp dir, removed at exit); keys are 0600

${examples('mtls-harness reference start node --profile strict', 'mtls-harness reference start nginx --profile optional-client-cert --out pki')}`;
}
