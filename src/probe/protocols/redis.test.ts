// The redis module on replies recorded from a real server: Redis 7.0.15 (Debian), TLS port with
// --tls-auth-clients optional, answering the harness's PING (and, for the password replies, AUTH).
// Replies no server here could produce (protected mode, ACLs, loading) are built from the Redis
// sources' wording and marked so. Then truncated and hostile bytes.
import { describe, expect, it } from 'vitest';
import { readPong, redis } from './redis.js';

const hex = (h: string) => Buffer.from(h, 'hex');

const PONG = hex('2b504f4e470d0a');
/** requirepass set, PING without AUTH. */
const NOAUTH = hex('2d4e4f415554482041757468656e7469636174696f6e2072657175697265642e0d0a');
/** AUTH with a wrong password. */
const WRONGPASS = hex('2d57524f4e475041535320696e76616c696420757365726e616d652d70617373776f72642070616972206f7220757365722069732064697361626c65642e0d0a');
/** An unknown command. */
const UNKNOWN = hex('2d45525220756e6b6e6f776e20636f6d6d616e642027464f4f272c2077697468206172677320626567696e6e696e6720776974683a200d0a');

describe('redis: the reply to PING', () => {
  it('+PONG is served', () => {
    expect(readPong(PONG, false)).toEqual({
      rejectedAt: 'accepted',
      reason: 'the Redis server answered PING: +PONG',
      application: { protocol: 'redis', message: '+PONG' },
    });
    expect(redis.session({ opts: { host: 'h', port: 1 }, appUser: 'x' }).request?.()).toBe('PING\r\n');
  });

  it('-NOAUTH and -WRONGPASS asked for a password: served, saying the certificate is not what admits the client', () => {
    expect(readPong(NOAUTH, false)).toMatchObject({
      rejectedAt: 'accepted',
      reason: /^the Redis server asked for a password \(-NOAUTH Authentication required\.\): the certificate is not what admits this client/,
      application: { code: 'NOAUTH' },
    });
    expect(readPong(WRONGPASS, false)).toMatchObject({ rejectedAt: 'accepted', application: { code: 'WRONGPASS' } });
  });

  it('-ERR is an answer; -NOPERM and -DENIED are refusals at the Redis layer; -LOADING is unreachable', () => {
    expect(readPong(UNKNOWN, false)).toMatchObject({
      rejectedAt: 'accepted',
      reason: "the Redis server answered PING with an error: -ERR unknown command 'FOO', with args beginning with: ",
    });
    // Built: protected mode (networking.c) and an ACL refusal (acl.c), a server loading its data set.
    expect(
      readPong(
        Buffer.from('-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user.\r\n'),
        false,
      ),
    ).toMatchObject({ rejectedAt: 'application', application: { code: 'DENIED' } });
    expect(readPong(Buffer.from("-NOPERM User default has no permissions to run the 'ping' command\r\n"), false)).toMatchObject({
      rejectedAt: 'application',
      reason: /^the TLS connection was established, then the Redis server refused the command: -NOPERM/,
    });
    expect(readPong(Buffer.from('-LOADING Redis is loading the dataset in memory\r\n'), false)).toMatchObject({
      rejectedAt: 'unreachable',
      failure: { kind: 'unavailable', phase: 'exchange' },
    });
  });

  it('waits for the line; truncated, endless, hostile and foreign replies end classified', () => {
    expect(readPong(PONG.subarray(0, 3), false)).toBeUndefined();
    expect(readPong(PONG.subarray(0, 3), true)).toMatchObject({ rejectedAt: 'accepted', application: { message: '+PO' } });
    expect(readPong(Buffer.alloc(0), true)).toBeUndefined();
    const endless = Buffer.alloc(5000, 0x41);
    expect(readPong(endless, false)).toMatchObject({ rejectedAt: 'accepted', reason: /not as Redis does/ });
    expect(readPong(Buffer.from('HTTP/1.1 400 Bad Request\r\n'), false)).toMatchObject({ rejectedAt: 'accepted', reason: /not as Redis does/ });
    const evil = readPong(Buffer.from('-DENIED \x1b[2J\u202egone\r\n'), false);
    expect(evil?.application?.message).not.toMatch(/[\u0000-\u001f\u202e]/);
    expect(readPong(Buffer.from(`-ERR ${'x'.repeat(3000)}\r\n`), false)?.application?.message?.length).toBeLessThanOrEqual(201);
    for (let i = 0; i < 200; i++)
      expect(() => readPong(Buffer.from(Array.from({ length: 1 + (i % 30) }, (_, j) => (i * 7 + j * 41) & 0xff)), true)).not.toThrow();
  });

  it('is in the registry with ports 6379 and 6380, raw TLS at connect', () => {
    expect(redis.defaultPorts).toEqual([6379, 6380]);
    expect(redis.session({ opts: { host: 'h', port: 1 }, appUser: 'x' }).startTls).toBeUndefined();
  });
});
