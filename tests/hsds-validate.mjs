#!/usr/bin/env node
// Validates an HSDS 3.1 page of services against the official schemas in tests/hsds-3.1/:
//   node tests/hsds-validate.mjs FILE.json
// FILE holds the HSDS API's page shape ({total_items, ..., contents: [service, ...]}); every item
// of contents must be a valid HSDS 3.1 service (service.json with every schema it refers to:
// organization, service_at_location, location, address, schedule, phone, service_capacity,
// unit, attribute, taxonomy_term, ...). Prints each error and exits 1 on the first invalid
// document, 0 when all are valid.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'hsds-3.1');
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
for (const f of readdirSync(dir).filter((n) => n.endsWith('.json') && n !== 'openapi.json')) {
  const schema = JSON.parse(readFileSync(join(dir, f), 'utf8'));
  delete schema.$id;
  ajv.addSchema(schema, f); // the schemas refer to each other by file name
}
const validate = ajv.getSchema('service.json');
const doc = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const pageKeys = ['total_items', 'total_pages', 'page_number', 'size', 'first_page', 'last_page', 'empty', 'contents'];
const missing = pageKeys.filter((k) => !(k in doc));
if (missing.length) {
  console.error(`hsds-validate: not an HSDS page: missing ${missing.join(', ')}`);
  process.exit(1);
}
let bad = 0;
doc.contents.forEach((s, i) => {
  if (!validate(s)) {
    bad++;
    for (const e of validate.errors.slice(0, 10))
      console.error(`hsds-validate: contents[${i}] (${s.id})${e.instancePath}: ${e.message}`);
  }
});
if (bad) process.exit(1);
console.log(`hsds-validate: ${doc.contents.length} services valid against HSDS 3.1`);
