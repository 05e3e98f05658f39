import type * as tls from 'node:tls';

/**
 * grpc.health.v1 (https://github.com/grpc/grpc/blob/master/doc/health-checking.md), encoded by
 * hand: HealthCheckRequest { string service = 1; } and HealthCheckResponse { ServingStatus status = 1; }.
 */
export const HEALTH_CHECK_PATH = '/grpc.health.v1.Health/Check';
export const SERVING_STATUS = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'] as const;

export function encodeHealthRequest(req: { service?: string }): Buffer {
  const s = Buffer.from(req.service ?? '', 'utf8');
  if (s.length === 0) return Buffer.alloc(0);
  return Buffer.concat([Buffer.from([0x0a]), varint(s.length), s]);
}

export function decodeHealthRequest(b: Buffer): { service: string } {
  const f = fields(b);
  return { service: f.get(1)?.bytes?.toString('utf8') ?? '' };
}

export function encodeHealthResponse(res: { status: number }): Buffer {
  return res.status === 0 ? Buffer.alloc(0) : Buffer.concat([Buffer.from([0x08]), varint(res.status)]);
}

export function decodeHealthResponse(b: Buffer): { status: number } {
  return { status: fields(b).get(1)?.varint ?? 0 };
}

function varint(n: number): Buffer {
  const out: number[] = [];
  let v = n >>> 0;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return Buffer.from(out);
}

/** The top-level fields of a protobuf message (varints and length-delimited only); stops at anything else. */
function fields(b: Buffer): Map<number, { varint?: number; bytes?: Buffer }> {
  const out = new Map<number, { varint?: number; bytes?: Buffer }>();
  let off = 0;
  const readVarint = (): number | undefined => {
    let v = 0;
    for (let shift = 0; shift < 35 && off < b.length; shift += 7) {
      const byte = b[off++]!;
      v += (byte & 0x7f) * 2 ** shift;
      if (!(byte & 0x80)) return v;
    }
    return undefined;
  };
  while (off < b.length) {
    const key = readVarint();
    if (key === undefined) break;
    const field = Math.floor(key / 8);
    const wire = key % 8;
    if (wire === 0) {
      const v = readVarint();
      if (v === undefined) break;
      out.set(field, { varint: v });
    } else if (wire === 2) {
      const len = readVarint();
      if (len === undefined || off + len > b.length) break;
      out.set(field, { bytes: b.subarray(off, off + len) });
      off += len;
    } else break;
  }
  return out;
}

/** gRPC status code names (https://grpc.github.io/grpc/core/md_doc_statuscodes.html). */
export const GRPC_CODES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
] as const;

/** What a Health/Check call came back with: evidence of the `grpc` protocol. */
export interface GrpcHealthOutcome {
  /** gRPC status code and name (0 OK). */
  code: number;
  codeName: string;
  /** The server's status message (bounded, printable). */
  details?: string;
  /** Set when the call returned OK. */
  servingStatus?: (typeof SERVING_STATUS)[number] | string;
  durationMs: number;
}

export interface GrpcHealthOptions {
  host: string;
  port: number;
  servername?: string;
  /** The same TLS context as the TLS probe (trust anchors and client credentials). */
  secureContext: tls.SecureContext;
  timeoutMs: number;
  /** Health/Check's `service` field (default "": the server as a whole). */
  service?: string;
}

/**
 * One real grpc.health.v1.Health/Check call with @grpc/grpc-js over the given TLS context. The
 * server's chain and name are not judged here (the chain and SAN checks do that): the call is about
 * whether the server answers a gRPC request over this mTLS connection. Never throws: failures are
 * statuses (UNAVAILABLE with the transport's reason).
 */
export async function grpcHealthCheck(o: GrpcHealthOptions): Promise<GrpcHealthOutcome> {
  const grpc = await import('@grpc/grpc-js');
  const t0 = performance.now();
  const creds = grpc.credentials.createFromSecureContext(o.secureContext, { rejectUnauthorized: false, checkServerIdentity: () => undefined });
  const authority = o.servername ?? o.host;
  const target = `${o.host.includes(':') ? `[${o.host}]` : o.host}:${o.port}`;
  const client = new grpc.Client(target, creds, {
    'grpc.ssl_target_name_override': authority,
    'grpc.default_authority': authority,
    'grpc.enable_retries': 0,
    'grpc.initial_reconnect_backoff_ms': 1000,
    'grpc.max_receive_message_length': 64 * 1024,
    'grpc.enable_channelz': 0,
  });
  try {
    return await new Promise<GrpcHealthOutcome>((resolve) => {
      client.makeUnaryRequest(
        HEALTH_CHECK_PATH,
        encodeHealthRequest,
        decodeHealthResponse,
        { service: o.service ?? '' },
        new grpc.Metadata(),
        { deadline: Date.now() + o.timeoutMs },
        (err, res) => {
          const durationMs = Math.round(performance.now() - t0);
          if (err) {
            const code = typeof err.code === 'number' ? err.code : 2;
            const details = String(err.details ?? err.message ?? '')
              .replace(/[^\x20-\x7e]/g, '?')
              .slice(0, 300);
            resolve({ code, codeName: GRPC_CODES[code] ?? String(code), ...(details ? { details } : {}), durationMs });
            return;
          }
          const status = res?.status ?? 0;
          resolve({ code: 0, codeName: 'OK', servingStatus: SERVING_STATUS[status] ?? String(status), durationMs });
        },
      );
    });
  } finally {
    client.close();
  }
}
