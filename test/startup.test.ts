// Issue 17, start-up: a command loads what it uses when it uses it. `run` with the whole catalogue
// against a live target, crafted clients included (--ca-key), mints its certificates with
// src/pki/encode.ts and reads them with src/pki/fields.ts: the certificate library (@peculiar/x509,
// tsyringe, reflect-metadata: about 40 ms to load) is not loaded at all, nor the HTML renderer, the
// browser driver, execa or yaml, none of which it uses. Counted in the built CLI: ES modules through a load hook, CommonJS ones from the
// require cache at exit. (The time itself is measured by `npm run bench`, not asserted here.)
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { suitesOfKind } from '../suites/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintFixturePki } from '../src/pki/generate.js';
import { NodeReference, type StartedNodeReference } from '../src/targets/reference/node.js';
import { spawnCli, writeClientFiles } from './helpers/cli.js';

let dir: string;
let strict: StartedNodeReference;
const f = (n: string) => path.join(dir, n);

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mtls-startup-'));
  const pki = await mintFixturePki();
  await writeClientFiles(dir, pki);
  strict = await new NodeReference({ profile: 'strict', pki }).start();
  await fs.writeFile(
    f('hooks.mjs'),
    `import { appendFileSync } from 'node:fs';\nexport async function load(url, context, next) { appendFileSync(${JSON.stringify(f('modules.txt'))}, url + '\\n'); return next(url, context); }\n`,
  );
  await fs.writeFile(
    f('register.mjs'),
    `import { appendFileSync } from 'node:fs';\nimport { createRequire, register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(f('hooks.mjs')).href)});\nconst cache = createRequire(import.meta.url).cache;\nprocess.on('exit', () => appendFileSync(${JSON.stringify(f('modules.txt'))}, Object.keys(cache).map((p) => 'file://' + p).join('\\n') + '\\n'));\n`,
  );
});
afterAll(async () => {
  await strict?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

describe('start-up', () => {
  // The crafted-profiles suite summarises deliberately malformed certificates (v1 with extensions,
  // negative serials, duplicate extensions…), which the fast reader (pki/fields.ts) leaves to the
  // full library: it is the one suite that loads it (about 40 ms), so it is left out here.
  it('run, every suite but crafted-profiles with --ca-key against a live target, loads no certificate library, no HTML renderer, browser driver, process runner or YAML parser', async () => {
    const r = await spawnCli(
      [
        'run',
        '--target',
        `127.0.0.1:${strict.endpoint.port}`,
        '--servername',
        'localhost',
        '--ca',
        f('ca.pem'),
        '--cert',
        f('client.pem'),
        '--key',
        f('client-key.pem'),
        '--ca-key',
        f('ca-key.pem'),
        '--suite',
        suitesOfKind('server')
          .filter((x) => x.id !== 'crafted-profiles')
          .map((x) => x.id)
          .join(','),
        '--json',
        f('r.json'),
        '--quiet',
      ],
      dir,
      { NODE_OPTIONS: `--import ${f('register.mjs')}` },
      60_000,
    );
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(await fs.readFile(f('r.json'), 'utf8')) as {
      results: { check: string; status: string; evidence?: { presentedCertificate?: { subject: string } } }[];
    };
    // The crafted clients were minted and presented (their evidence summarised).
    expect(report.results.find((x) => x.check === 'expiry.rejects-expired-client')?.status).toBe('pass');
    expect(report.results.find((x) => x.check === 'expiry.rejects-expired-client')?.evidence?.presentedCertificate?.subject).toMatch(/^CN=/);
    const loaded = [...new Set((await fs.readFile(f('modules.txt'), 'utf8')).trim().split('\n'))];
    expect(loaded.some((u) => u.includes('/dist/src/pki/encode.js'))).toBe(true);
    expect(loaded.filter((u) => /\/node_modules\/(@peculiar\/x509|tsyringe|reflect-metadata)\//.test(u))).toEqual([]);
    expect(loaded.filter((u) => /\/dist\/src\/report\/html\/|\/node_modules\/(preact|preact-render-to-string|playwright-core|execa|yaml)\//.test(u))).toEqual(
      [],
    );
  }, 60_000);
});
