// npm run bench (CRL part, issue 19): reading the user's CRL for chain.client-cert-not-revoked,
// CRLs of 1,000 / 10,000 / 100,000 entries (our CA's, the client's serial among them): the structure
// located in the DER, the one entry decoded, the signature verified. The @peculiar/x509 reader it
// replaced failed above about 1,200 entries ("Maximum ASN.1 node count exceeded").
import { X509Certificate } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { runBench, stats, writeBenchJson } from './bench-util.js';
import { readCrlsFor } from '../src/pki/client-crl.js';
import { mintCrl } from '../src/pki/crl.js';
import { mintFixturePki } from '../src/pki/generate.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 10);

runBench(async () => {
  const pki = await mintFixturePki();
  const leaf = new X509Certificate(pki.client.certPem);
  const issuer = new X509Certificate(pki.client.issuerOf!.certPem);
  const rows = [];
  for (const entries of [1_000, 10_000, 100_000]) {
    const now = new Date();
    const revoked = Array.from({ length: entries }, (_, i) => ({ serialHex: (0x10000000 + i).toString(16), revokedAt: now }));
    revoked.splice(entries / 2, 0, { serialHex: leaf.serialNumber, revokedAt: now });
    const pem = mintCrl(pki.client.issuerOf!, { thisUpdate: now, nextUpdate: new Date(now.getTime() + 86_400_000), revoked });
    const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    const times: number[] = [];
    for (let k = 0; k < RUNS; k++) {
      const t0 = performance.now();
      const [r] = readCrlsFor(leaf, issuer, [{ source: 'bench', der }]);
      times.push(performance.now() - t0);
      if (!r?.listed || r.signatureOk !== true) throw new Error(`the ${entries}-entry CRL was not read as listing the client`);
    }
    const s = stats(times);
    rows.push({ entries, bytes: der.length, ...s });
    console.log(`CRL of ${entries} entries (${der.length} bytes): median ${s.medianMs} ms, p95 ${s.p95Ms} ms`);
  }
  console.log(`written ${writeBenchJson('crl', { runs: RUNS, rows })}`);
});
