// The harness's loopback OCSP responder (RFC 6960 over HTTP, appendix A): started beside a reference
// server on the OCSP profiles, answering for the fixture PKI's CAs, stopped with the server.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { revokedSerialFor } from '../../pki/crl.js';
import type { FixturePki } from '../../pki/generate.js';
import { answerOcsp, ocspRequestDer, serialKey, type OcspAnswered, type OcspAuthority } from '../../pki/ocsp.js';
import { runsOcspResponder, type ProfileName } from '../profiles.js';

/** A running responder: its URL, what it answered, and how to stop it. */
export interface OcspResponder {
  /** `http://127.0.0.1:PORT/`: the URL servers are given and the OCSP-revoked client carries. */
  url: string;
  /** Every certificate it was asked about, in order, with its answer. */
  answered(): readonly OcspAnswered[];
  stop(): Promise<void>;
}

/** The largest OCSP request read (a request for one certificate is about a hundred bytes). */
const MAX_REQUEST = 64 * 1024;

/** The fixture PKI's CAs as a responder sees them: the root revokes the revoked client's serial (revokedSerialFor), the intermediate nothing. */
export function fixtureAuthorities(pki: FixturePki): OcspAuthority[] {
  const revokedAt = new Date(pki.createdAt.getTime() - 3600_000);
  return [
    { ca: pki.root, revoked: new Map([[serialKey(revokedSerialFor(pki.root)), revokedAt]]) },
    { ca: pki.intermediate, revoked: new Map() },
  ];
}

/** Starts a responder on 127.0.0.1 and an ephemeral port for `authorities`. */
export async function startOcspResponder(authorities: readonly OcspAuthority[], clock: () => Date = () => new Date()): Promise<OcspResponder> {
  const log: OcspAnswered[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_REQUEST) req.destroy();
      else chunks.push(c);
    });
    req.on('end', () => {
      let der: Buffer;
      try {
        der = ocspRequestDer(req.method ?? '', new URL(req.url ?? '/', 'http://x').pathname, Buffer.concat(chunks));
      } catch {
        res.writeHead(400).end();
        return;
      }
      const { response, answered } = answerOcsp(der, authorities, clock());
      if (log.length < 10_000) log.push(...answered);
      res.writeHead(200, { 'content-type': 'application/ocsp-response', 'content-length': response.length }).end(response);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    answered: () => [...log],
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The responder of a reference on a profile that has one (revocation-ocsp, no-revocation-check), else undefined. */
export async function responderFor(profile: ProfileName, pki: FixturePki): Promise<OcspResponder | undefined> {
  return runsOcspResponder(profile) ? startOcspResponder(fixtureAuthorities(pki)) : undefined;
}
