#!/usr/bin/env node
// Compares two snapshots (tests/upgrade/snapshot.mjs) taken before and after an upgrade:
//   node tests/upgrade/compare.mjs BEFORE.json AFTER.json
// Every answer, record and field value of BEFORE must be in AFTER, equal. AFTER may hold more
// (fields a new version adds; audit rows and events written by the reading itself). Arrays of
// records are matched by id; other arrays element by element as a multiset. Fields that move
// by themselves are not compared: token last_used_at (moves on use), generated_at of reports and
// exported_at of exports. One documented change of value is accepted: 0.1.0 showed a tenant's
// voivodeship as an ASCII code ("slaskie"), later versions show its Polish name ("śląskie")
// (sql/schema/004_casework.sql converts the stored values), in `voivodeship` and in HSDS
// `state_province`; exactly that mapping, nothing else. Exits 1 listing the first differences.
import { readFileSync } from 'node:fs';

const VOLATILE = new Set(['last_used_at', 'generated_at', 'exported_at']);
const VOIVODESHIP_NAMES = {
  dolnoslaskie: 'dolnośląskie', kujawsko_pomorskie: 'kujawsko-pomorskie', lubelskie: 'lubelskie',
  lubuskie: 'lubuskie', lodzkie: 'łódzkie', malopolskie: 'małopolskie', mazowieckie: 'mazowieckie',
  opolskie: 'opolskie', podkarpackie: 'podkarpackie', podlaskie: 'podlaskie', pomorskie: 'pomorskie',
  slaskie: 'śląskie', swietokrzyskie: 'świętokrzyskie', warminsko_mazurskie: 'warmińsko-mazurskie',
  wielkopolskie: 'wielkopolskie', zachodniopomorskie: 'zachodniopomorskie',
};
const renamedVoivodeship = (where, a, b) =>
  /\.(voivodeship|state_province)$/.test(where) && VOIVODESHIP_NAMES[a] === b;
const [beforeFile, afterFile] = process.argv.slice(2);
const before = JSON.parse(readFileSync(beforeFile, 'utf8'));
const after = JSON.parse(readFileSync(afterFile, 'utf8'));
const diffs = [];
let values = 0;

function covers(a, b) { // is a (old) contained in b (new)? no recording
  const saved = diffs.length;
  sub(a, b, '');
  const ok = diffs.length === saved;
  diffs.length = saved;
  return ok;
}
function sub(a, b, where) {
  if (a === null || typeof a !== 'object') {
    values++;
    if (a !== b && !renamedVoivodeship(where, a, b)) diffs.push(`${where}: ${JSON.stringify(a)} became ${JSON.stringify(b)}`);
    return;
  }
  if (Array.isArray(a)) {
    if (!Array.isArray(b)) return void diffs.push(`${where}: an array became ${JSON.stringify(b)}`);
    if (a.every((x) => x && typeof x === 'object' && 'id' in x)) {
      const byId = new Map(b.filter((x) => x && typeof x === 'object').map((x) => [x.id, x]));
      for (const x of a) {
        if (!byId.has(x.id)) diffs.push(`${where}[id=${x.id}]: missing`);
        else sub(x, byId.get(x.id), `${where}[id=${x.id}]`);
      }
      return;
    }
    const left = [...b];
    a.forEach((x, i) => {
      const j = left.findIndex((y) => covers(x, y));
      if (j < 0) diffs.push(`${where}[${i}]: ${JSON.stringify(x).slice(0, 200)} is missing`);
      else { values++; left.splice(j, 1); }
    });
    return;
  }
  if (b === null || typeof b !== 'object' || Array.isArray(b))
    return void diffs.push(`${where}: an object became ${JSON.stringify(b)}`);
  for (const k of Object.keys(a)) {
    if (VOLATILE.has(k)) continue;
    if (!(k in b)) diffs.push(`${where}.${k}: missing`);
    else sub(a[k], b[k], `${where}.${k}`);
  }
}

for (const key of Object.keys(before)) {
  if (!(key in after)) diffs.push(`${key}: answered before the upgrade, not after`);
  else sub(before[key], after[key], key);
}
const answers = Object.keys(before).length;
if (diffs.length) {
  console.error(`upgrade lost or changed ${diffs.length} values (of ${values} compared):`);
  for (const d of diffs.slice(0, 40)) console.error(`  ${d}`);
  process.exit(1);
}
console.log(`${answers} answers, ${values} values: all kept`);
