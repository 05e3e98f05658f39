/**
 * https: TLS at connect (ALPN http/1.1), one HTTP/1.1 GET after the handshake; the response head
 * decides (`rejection.ts` `classifyHttp`): a status of `rejectStatuses` (400, 401, 403, 495, 496)
 * is a refusal at the HTTP layer, any other status was served.
 */
import * as net from 'node:net';
import { safeText } from '../../core/text.js';
import type { ProbeOptions } from '../options.js';
import { classifyHttp } from '../rejection.js';
import type { AppVerdict, ProtocolModule } from './types.js';

/** HTTP statuses that mean "refused at the application layer" by default. */
export const DEFAULT_REJECT_STATUSES: readonly number[] = [400, 401, 403, 495, 496];

/** The one request of an https probe: GET the path, Host the SNI (else the host, an IPv6 one in brackets), then close. */
export function httpRequest(opts: Pick<ProbeOptions, 'host' | 'port' | 'httpPath'>, servername: string | undefined): string {
  const hostHeader = servername ?? (net.isIP(opts.host) === 6 ? `[${opts.host}]` : opts.host);
  return `GET ${opts.httpPath ?? '/'} HTTP/1.1\r\nHost: ${hostHeader}:${opts.port}\r\nUser-Agent: mtls-harness\r\nAccept: */*\r\nConnection: close\r\n\r\n`;
}

export const https: ProtocolModule<'https'> = {
  name: 'https',
  title: 'HTTPS',
  layer: 'HTTP',
  plaintextHttp: true,
  defaultPorts: [443, 8443],
  detection: { names: ['https', 'http2', 'h2'] },
  alpn: ['http/1.1'],
  startsTls: 'at connect',
  answer: 'HTTP response',
  session(ctx) {
    const rejectStatuses = ctx.opts.rejectStatuses ?? DEFAULT_REJECT_STATUSES;
    return {
      request: () => httpRequest(ctx.opts, ctx.servername),
      read(buffered, ended) {
        const text = buffered.toString('latin1');
        const head = text.includes('\r\n\r\n') || text.includes('\n\n');
        // classifyHttp answers `accepted` or `application` only.
        if (head || (ended && buffered.length > 0)) return classifyHttp(text, rejectStatuses) as AppVerdict;
        return undefined;
      },
    };
  },
  refusal: (o) => safeText(o.httpStatusLine ?? String(o.httpStatus), 120),
  controlRefusedHint(c) {
    if (c.rejectedAt === 'application' && c.httpStatus === 403 && c.protocol === 'TLSv1.3') {
      return 'an HTTP 403 to every client over TLS 1.3 is what a server asking for certificates per path (post-handshake authentication) answers: try --tls-max 1.2, or --path with a path that is not protected per location';
    }
    if (c.rejectedAt !== 'application' && !c.httpStatus)
      return 'the server closed on the HTTP request of every client: if this is not an HTTP service, give --protocol tls (or the protocol it speaks)';
    return undefined;
  },
};
