#!/usr/bin/env node
// Prints every named enum of openapi.yaml, one per line: "Name value value ...", sorted by name
// (byte order). A schema of components.schemas with an enum is named by its key ("Sector"); an
// enum inline in one of its properties (directly, in an array's items, or in a oneOf/anyOf
// branch) is named "Schema.property" ("Action.held_from"). Values keep the spec's order. The unit
// test tests/unit/vocab_spec.c compares these with the registry of api/vocab.c.
// Usage: node scripts/spec-enums.mjs [path/to/openapi.yaml]
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const here = dirname(fileURLToPath(import.meta.url));
const file = process.argv[2] ?? resolve(here, '..', 'openapi.yaml');

let doc;
try {
  doc = parse(readFileSync(file, 'utf8'));
} catch (err) {
  console.error(`spec-enums: cannot read ${file}: ${err.message}`);
  process.exit(2);
}
const schemas = doc?.components?.schemas;
if (!schemas || typeof schemas !== 'object') {
  console.error(`spec-enums: ${file} has no components.schemas`);
  process.exit(2);
}

// The enum of a schema: its own, its array items', or a oneOf/anyOf branch's (null branches aside).
function enumOf(s) {
  if (!s || typeof s !== 'object') return null;
  if (Array.isArray(s.enum)) return s.enum;
  if (s.items && Array.isArray(s.items.enum)) return s.items.enum;
  for (const branch of [...(s.oneOf ?? []), ...(s.anyOf ?? [])]) {
    const e = enumOf(branch);
    if (e) return e;
  }
  return null;
}

const out = [];
for (const [name, s] of Object.entries(schemas)) {
  const own = enumOf(s);
  if (own) out.push([name, own]);
  for (const [prop, p] of Object.entries(s?.properties ?? {})) {
    const e = enumOf(p);
    if (e) out.push([`${name}.${prop}`, e]);
  }
}
out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
process.stdout.write(out.map(([n, e]) => `${n} ${e.join(' ')}\n`).join(''));
