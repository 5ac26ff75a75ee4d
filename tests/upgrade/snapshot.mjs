#!/usr/bin/env node
// Reads every record a running daemon serves, through its API, into one JSON file:
//   node tests/upgrade/snapshot.mjs BASE_URL TOKENS_FILE OUT.json [openapi.yaml]
// TOKENS_FILE has one "LABEL TOKEN" per line (an admin token per tenant, and one platform admin).
// For each token it walks every GET path of openapi.yaml under /v1: a collection is read page by
// page (limit 200, next_cursor; the feed by next_after), a path with {params} is expanded with the
// ids of the collection above it. Answers other than 200 are left out (a route the daemon does not
// have, or a role that may not use it). Output: {"LABEL GET /concrete/path": body, ...}.
import { readFileSync, writeFileSync } from 'node:fs';
import { parse } from 'yaml';

const [base, tokensFile, outFile, specFile = 'openapi.yaml'] = process.argv.slice(2);
if (!base || !tokensFile || !outFile) {
  console.error('usage: snapshot.mjs BASE_URL TOKENS_FILE OUT.json [openapi.yaml]');
  process.exit(2);
}
const spec = parse(readFileSync(specFile, 'utf8'));
const templates = Object.entries(spec.paths)
  .filter(([p, item]) => p.startsWith('/v1/') && item.get)
  .map(([p]) => p)
  .sort((a, b) => a.split('/').length - b.split('/').length || (a < b ? -1 : 1));

let requests = 0;
async function get(token, path) {
  for (let attempt = 0; ; attempt++) {
    requests++;
    const r = await fetch(base + path, {
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
    });
    const text = await r.text();
    if (r.status === 503 && attempt < 20) { // a daemon still warming up: not the data's fault
      await new Promise((ok) => setTimeout(ok, 250));
      continue;
    }
    if (r.status !== 200) return { status: r.status };
    return { status: 200, body: JSON.parse(text) };
  }
}

const sep = (p) => (p.includes('?') ? '&' : '?');
// A collection in full: all pages merged into {items: [...]}; or the plain body of a record.
async function read(token, path) {
  const first = await get(token, path);
  if (first.status !== 200) return first;
  const b = first.body;
  if (!b || !Array.isArray(b.items)) return first;
  const items = [...b.items];
  if ('next_after' in b) { // the change feed
    let after = b.next_after, last = null;
    while (after !== last && items.length < 1e6) {
      last = after;
      const r = await get(token, `${path}${sep(path)}after=${after}&limit=200`);
      if (r.status !== 200 || r.body.items.length === 0) break;
      items.push(...r.body.items);
      after = r.body.next_after;
    }
    return { status: 200, body: { items } };
  }
  let cursor = b.next_cursor;
  if (cursor) { // read again with the largest page, to follow fewer cursors
    items.length = 0;
    cursor = null;
    let page = await get(token, `${path}${sep(path)}limit=200`);
    for (;;) {
      if (page.status !== 200) return page;
      items.push(...page.body.items);
      cursor = page.body.next_cursor;
      if (!cursor) break;
      page = await get(token, `${path}${sep(path)}limit=200&cursor=${encodeURIComponent(cursor)}`);
    }
  }
  return { status: 200, body: { ...b, items, next_cursor: null } };
}

async function walk(label, token, out) {
  const cache = new Map(); // concrete collection path → ids
  async function ids(collection) {
    if (!cache.has(collection)) {
      const r = await read(token, collection);
      const list = r.status === 200 && Array.isArray(r.body?.items)
        ? r.body.items.map((x) => x.id).filter(Boolean) : [];
      cache.set(collection, list);
      if (r.status === 200) out[`${label} GET ${collection}`] = r.body;
    }
    return cache.get(collection);
  }
  for (const t of templates) {
    const segs = t.split('/');
    let prefixes = [''];
    for (let i = 1; i < segs.length; i++) {
      const s = segs[i];
      if (s.startsWith('{')) {
        const next = [];
        for (const p of prefixes) for (const id of await ids(p)) next.push(`${p}/${id}`);
        prefixes = next;
      } else {
        prefixes = prefixes.map((p) => `${p}/${s}`);
      }
    }
    for (const p of prefixes) {
      if (`${label} GET ${p}` in out) continue;
      const r = await read(token, p);
      if (r.status === 200) out[`${label} GET ${p}`] = r.body;
      if (Array.isArray(r.body?.items)) cache.set(p, r.body.items.map((x) => x.id).filter(Boolean));
    }
  }
}

const tokens = readFileSync(tokensFile, 'utf8').split('\n').filter(Boolean).map((l) => l.split(' '));
const out = {};
const queue = [...tokens];
await Promise.all([1, 2, 3, 4].map(async () => {
  for (let t; (t = queue.shift());) await walk(t[0], t[1], out);
}));
const sorted = Object.fromEntries(Object.keys(out).sort().map((k) => [k, out[k]]));
writeFileSync(outFile, JSON.stringify(sorted));
console.error(`snapshot: ${Object.keys(out).length} answers from ${tokens.length} callers, ${requests} requests`);
