/**
 * Writes the JSON Schema of every `--json` result to docs/reference/schemas/ (`npm run schemas`),
 * generated from the zod schemas of src/cli/result-schemas.ts. test/result-schemas.test.ts fails
 * when the files and the zod schemas drift apart.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { jsonSchemas } from '../src/cli/result-schemas.js';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'reference', 'schemas');
const files = jsonSchemas();
await mkdir(dir, { recursive: true });
for (const name of await readdir(dir)) {
  if (name.endsWith('.schema.json') && !(name in files)) await rm(path.join(dir, name));
}
for (const [name, schema] of Object.entries(files)) {
  await writeFile(path.join(dir, name), `${JSON.stringify(schema, null, 2)}\n`);
}
// Biome's JSON layout, so `npm run lint` accepts the files as written.
execFileSync(path.join(dir, '..', '..', '..', 'node_modules', '.bin', 'biome'), ['format', '--write', dir], {
  stdio: 'ignore',
});
process.stdout.write(`wrote ${Object.keys(files).length} schemas to ${path.relative(process.cwd(), dir)}\n`);
