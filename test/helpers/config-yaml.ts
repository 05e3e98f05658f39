// Config-file text for tests that locate findings on a target's line (SARIF, the CI integrations).

/** The checks those tests run: enough for a fail on a server that serves a client without a certificate. */
export const ENFORCEMENT_CHECKS = 'checks: [reject.no-client-cert, handshake.client-auth-mode, handshake.accepts-valid-client-cert]';

/**
 * The lines of one live target (a node reference on 127.0.0.1, the client files of writeClientFiles
 * beside the config), its first line `- name:`: the line findings are located at.
 */
export function liveTargetLines(name: string, port: number): string[] {
  return [
    `  - name: ${JSON.stringify(name)}`,
    `    endpoint: 127.0.0.1:${port}`,
    '    servername: localhost',
    '    ca: ca.pem',
    '    cert: client.pem',
    '    key: client-key.pem',
  ];
}
