import { caddy } from './caddy.js';
import { gnutls } from './gnutls.js';
import { haproxy } from './haproxy.js';
import { nginx } from './nginx.js';
import { openssl } from './openssl.js';
import type { ProcessImplementation, ProcessImplementationName } from './process.js';
import { stunnel } from './stunnel.js';

export const PROCESS_IMPLEMENTATIONS: Readonly<Record<ProcessImplementationName, ProcessImplementation>> = { openssl, nginx, haproxy, stunnel, caddy, gnutls };
/** `node-grpc`: @grpc/grpc-js with the health service (protocol grpc). */
export const IMPLEMENTATIONS = ['node', 'node-grpc', 'openssl', 'nginx', 'haproxy', 'stunnel', 'caddy', 'gnutls'] as const;
export type ImplementationName = (typeof IMPLEMENTATIONS)[number];
