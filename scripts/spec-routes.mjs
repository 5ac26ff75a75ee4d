#!/usr/bin/env node
// Prints every operation of openapi.yaml as "METHOD /path", one per line, sorted (byte order, like
// `LC_ALL=C sort`). `build/kooperd routes` prints the daemon's route table the same way, and a test
// diffs the two. Usage: node scripts/spec-routes.mjs [path/to/openapi.yaml]
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

const here = dirname(fileURLToPath(import.meta.url));
const file = process.argv[2] ?? resolve(here, '..', 'openapi.yaml');

let doc;
try {
  doc = parse(readFileSync(file, 'utf8'));
} catch (err) {
  console.error(`spec-routes: cannot read ${file}: ${err.message}`);
  process.exit(2);
}
if (!doc || typeof doc.paths !== 'object' || doc.paths === null) {
  console.error(`spec-routes: ${file} has no paths`);
  process.exit(2);
}

const routes = [];
for (const [path, item] of Object.entries(doc.paths)) {
  for (const method of Object.keys(item ?? {})) {
    if (HTTP_METHODS.includes(method)) routes.push(`${method.toUpperCase()} ${path}`);
  }
}
routes.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
process.stdout.write(routes.map((r) => `${r}\n`).join(''));
