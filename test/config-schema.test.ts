// The config file's published JSON Schema (schema/mtls-harness.config.schema.json) is derived from the
// one schema definition the loader walks (src/config/schema.ts): it is up to date, a standard
// validator (ajv, draft 2020-12) accepts it, and it agrees with the harness's own loader on what is a
// valid file — the full example, every kind of mistake, and durations.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseDuration } from '../src/cli/args.js';
import { parseConfigText } from '../src/config/load.js';
import { configJsonSchema, DURATION_PATTERN } from '../src/config/schema.js';
import { reportConfigKeys } from '../src/report/reporters/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const schema = configJsonSchema(reportConfigKeys());
// ajv's 2020 entry is CommonJS: its default import is the class at run time, which its types do not say.
const Ajv = Ajv2020 as unknown as typeof import('ajv').default;
const validate = new Ajv({ allErrors: true, strict: true, strictRequired: false }).compile(schema);

const loaderAccepts = (text: string) => {
  try {
    parseConfigText(text, 'mtls.yaml', reportConfigKeys());
    return true;
  } catch {
    return false;
  }
};
const schemaAccepts = (text: string) => validate(parseYaml(text) ?? {}) as boolean;

describe('the config JSON Schema', () => {
  it('the committed schema file is what `npm run schema` writes from the one definition', () => {
    const committed = readFileSync(path.join(root, 'schema/mtls-harness.config.schema.json'), 'utf8');
    expect(committed).toBe(`${JSON.stringify(schema, null, 2)}\n`);
  });

  it('examples/mtls.yaml (every key) is valid for both the loader and the schema', () => {
    const text = readFileSync(path.join(root, 'examples/mtls.yaml'), 'utf8');
    expect(loaderAccepts(text)).toBe(true);
    expect(schemaAccepts(text), JSON.stringify(validate.errors)).toBe(true);
    // Every key of the definition appears in the example (so it stays the full reference).
    const keys = (s: Record<string, unknown>, out = new Set<string>()): Set<string> => {
      for (const [k, v] of Object.entries((s.properties as Record<string, Record<string, unknown>>) ?? {})) {
        out.add(k);
        keys(v, out);
        if (v.items) keys(v.items as Record<string, unknown>, out);
      }
      return out;
    };
    for (const k of keys(schema)) expect(text, `examples/mtls.yaml lacks ${k}`).toMatch(new RegExp(`\\b${k}:`));
  });

  const cases: [what: string, yaml: string, valid: boolean][] = [
    ['empty file', '', true],
    ['one endpoint', 'targets:\n  - endpoint: a:1\n', true],
    ['a reference', 'targets:\n  - reference: { implementation: nginx, profile: strict }\n', true],
    ['a typo in a key', 'targets:\n  - endpont: a:1\n', false],
    ['an unknown top-level key', 'target: []\n', false],
    ['a string where a number goes', 'concurrency: "16"\n', false],
    ['concurrency 0', 'concurrency: 0\n', false],
    ['concurrency 300', 'concurrency: 300\n', false],
    ['concurrency 2.5', 'concurrency: 2.5\n', false],
    ['warnDays 2.5', 'policy: { warnDays: 2.5 }\n', false],
    ['an enum outside its values', 'failOn: sometimes\n', false],
    ['protocol outside its values', 'targets:\n  - endpoint: a:1\n    protocol: telnet\n', false],
    ['both endpoint and reference', 'targets:\n  - endpoint: a:1\n    reference: { implementation: nginx, profile: strict }\n', false],
    ['neither endpoint nor reference', 'targets:\n  - servername: x\n', false],
    ['a reference without a profile', 'targets:\n  - reference: { implementation: nginx }\n', false],
    ['a list where a string goes', 'targets:\n  - endpoint: [a, b]\n', false],
    ['a client command as a list', 'clients:\n  - command: [curl, "{url}"]\n', true],
    ['a client with no command', 'clients:\n  - name: x\n', false],
    ['a client env value that is not a string', 'clients:\n  - command: x\n    env: { A: 1 }\n', false],
    ['checks as globs and negations', 'checks: ["chain.*", "!chain.rejects-ca-as-client"]\n', true],
    ['a duration that is a number', 'timeout: 5\n', false],
    ['waivers: a file', 'waivers: mtls-waivers.yaml\n', true],
    ['waivers: an entry', 'waivers:\n  - { target: "api*", check: reject.no-client-cert, reason: legacy, owner: me, expires: "2027-01-31" }\n', true],
    ['waivers: an unknown key', 'waivers:\n  - { target: "api*", check: x, reason: r, owner: o, expires: "2027-01-31", severity: low }\n', false],
    ['waivers: a mapping', 'waivers: { target: x }\n', false],
    ['waivers: an empty path', 'waivers: ""\n', false],
  ];
  it.each(cases)('%s: the loader and the schema agree (valid: %s)', (_what, yaml, valid) => {
    expect(loaderAccepts(yaml)).toBe(valid);
    expect(schemaAccepts(yaml), JSON.stringify(validate.errors)).toBe(valid);
  });

  it.each(['5s', '500ms', '2m', '1h', '1.5s', '10', ' 5s ', '5 s', '5sec', '-1s', '1d', '', 'five'])(
    'duration %j: the schema pattern agrees with the harness parser',
    (d) => {
      let parsed = true;
      try {
        parseDuration('--timeout', d);
      } catch {
        parsed = false;
      }
      expect(new RegExp(DURATION_PATTERN).test(d) && !/^\s*0+(\.0+)?(ms|s|m|h)?\s*$/.test(d)).toBe(parsed);
    },
  );
});
