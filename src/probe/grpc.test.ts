import { describe, expect, it } from 'vitest';
import { decodeHealthRequest, decodeHealthResponse, encodeHealthRequest, encodeHealthResponse } from './grpc.js';

describe('grpc.health.v1 messages', () => {
  it('encodes and decodes HealthCheckRequest and HealthCheckResponse as protobuf', () => {
    expect(encodeHealthRequest({})).toEqual(Buffer.alloc(0));
    expect(encodeHealthRequest({ service: 'svc' })).toEqual(Buffer.from([0x0a, 3, 0x73, 0x76, 0x63]));
    expect(decodeHealthRequest(encodeHealthRequest({ service: 'grpc.health.v1.Health' }))).toEqual({ service: 'grpc.health.v1.Health' });
    expect(encodeHealthResponse({ status: 1 })).toEqual(Buffer.from([0x08, 0x01]));
    expect(decodeHealthResponse(Buffer.from([0x08, 0x02]))).toEqual({ status: 2 });
    expect(decodeHealthResponse(Buffer.alloc(0))).toEqual({ status: 0 });
    const long = 'x'.repeat(300);
    expect(decodeHealthRequest(encodeHealthRequest({ service: long })).service).toBe(long); // two-byte length varint
  });

  it('skips unknown fields and survives truncated or hostile bytes', () => {
    expect(decodeHealthResponse(Buffer.from([0x12, 0x02, 0x61, 0x62, 0x08, 0x01]))).toEqual({ status: 1 });
    expect(decodeHealthResponse(Buffer.from([0x08]))).toEqual({ status: 0 });
    expect(decodeHealthRequest(Buffer.from([0x0a, 0x7f, 0x61]))).toEqual({ service: '' });
    expect(decodeHealthResponse(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]))).toEqual({ status: 0 });
  });
});
