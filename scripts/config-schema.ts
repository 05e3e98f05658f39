// Writes the config file's JSON Schema (schema/mtls-harness.config.schema.json) from the one schema
// definition in src/config/schema.ts: `npm run schema`. test/config-schema.test.ts fails when the
// committed file differs from what this writes.
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { configJsonSchema } from '../src/config/schema.js';
import { reportConfigKeys } from '../src/report/reporters/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const file = path.join(root, 'schema', 'mtls-harness.config.schema.json');
writeFileSync(file, `${JSON.stringify(configJsonSchema(reportConfigKeys()), null, 2)}\n`);
process.stdout.write(`wrote ${path.relative(root, file)}\n`);
