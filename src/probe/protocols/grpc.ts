/**
 * grpc: TLS at connect with ALPN h2, read like raw TLS; when the connection is accepted, one real
 * grpc.health.v1 Health/Check call over the same credentials decides what was served
 * (`UNAUTHENTICATED` and `PERMISSION_DENIED` are refusals at the gRPC layer).
 */
import * as tlsModule from 'node:tls';
import { safeText } from '../../core/text.js';
import { grpcHealthCheck } from '../grpc.js';
import { sniOf, tlsContextOptions, type ProbeOptions } from '../options.js';
import { roundMs, type ProbeOutcome } from '../outcome.js';
import { readOnly } from './tls.js';
import type { ProtocolModule } from './types.js';

/** gRPC statuses that mean "refused at the application layer" (the gRPC analogue of HTTP 401/403). */
const GRPC_REFUSALS = new Set([7, 16]);
/** Statuses the client produces itself when no gRPC answer came (the transport failed). */
const GRPC_NO_ANSWER = new Set([1, 4, 14]);

/** An accepted gRPC connection: one Health/Check call over the same credentials decides what was served. */
export async function withGrpcCall(opts: ProbeOptions, o: ProbeOutcome): Promise<ProbeOutcome> {
  const context = opts.secureContext?.context ?? tlsModule.createSecureContext(tlsContextOptions(opts));
  const servername = sniOf(opts);
  const g = await grpcHealthCheck({
    host: opts.host,
    port: opts.port,
    ...(servername ? { servername } : {}),
    secureContext: context,
    timeoutMs: Math.max(1000, (opts.timeoutMs ?? 5000) - o.durationMs),
  });
  const detail = g.details ? ` (${g.details})` : '';
  const base = { ...o, grpc: g, durationMs: roundMs(o.durationMs + g.durationMs) };
  if (GRPC_REFUSALS.has(g.code))
    return {
      ...base,
      rejectedAt: 'application',
      reason: `the TLS connection was established, then the gRPC Health/Check call was refused with ${g.codeName}${detail}`,
    };
  if (g.code === 0) return { ...base, reason: `the gRPC Health/Check call was answered: ${g.servingStatus}` };
  if (GRPC_NO_ANSWER.has(g.code))
    return { ...base, reason: `the TLS handshake was accepted, but the gRPC Health/Check call got no answer: ${g.codeName}${detail}` };
  return { ...base, reason: `the gRPC Health/Check call was answered with ${g.codeName}${detail}` };
}

export const grpc: ProtocolModule<'grpc'> = {
  name: 'grpc',
  title: 'gRPC',
  layer: 'gRPC',
  plaintextHttp: true,
  defaultPorts: [443, 50051],
  detection: { names: ['grpc', 'grpcs'] },
  alpn: ['h2'],
  startsTls: 'at connect',
  alpnRefusal: 'it does not serve HTTP/2, which gRPC needs',
  session: () => readOnly,
  afterAccepted: withGrpcCall,
  refusal: (o) => (o.grpc ? `${o.grpc.codeName}${o.grpc.details ? `: ${safeText(o.grpc.details, 120)}` : ''}` : safeText(o.reason, 120)),
};
