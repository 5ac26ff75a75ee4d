#!/usr/bin/env node
// scripts/messages.mjs — lists every client-facing message format in the tree, for the unit test
// that checks each has a Polish translation in server/messages.c (tests/unit/messages.c).
//
// C (server/, api/): the format given to koop_fail (3rd argument), koop_fail_field and
// koop_error_add (5th), spec.c's add (5th), row_error (5th), auth.c's unauthorized (2nd),
// snprintf(err|msg, ...) in csv.c and api/services.c, and literals assigned to `msg`, `*msg`, `why`, `detail`.
// SQL (sql/functions/*.sql): the detail of koop.fail (3rd), the message of koop.fail_field (3rd),
// koop.not_found('x') ("no such x"), and every `'message', <expr>` pair. An SQL expression becomes
// a format: literals are kept ('' is '), format('...') gives its format, anything else joined by
// || is %s; CASE ... THEN 'a' ELSE 'b' END gives each branch.
//
// Output, one line each: "F<TAB>file:line<TAB>format" for a format, "D<TAB>file:line<TAB>expr" for
// a message computed at run time (a variable: its texts are listed where they are written).
// Usage: node scripts/messages.mjs [ROOT]
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = process.argv[2] || new URL('..', import.meta.url).pathname;
const out = [];

// Blanks comments (keeping newlines, so offsets keep their line numbers).
function stripComments(text, sql) {
  let r = '';
  for (let i = 0; i < text.length; ) {
    const c = text[i];
    if (c === '"' || c === "'") {
      const q = c;
      let j = i + 1;
      while (j < text.length && text[j] !== q) {
        if (!sql && text[j] === '\\') j++;
        else if (sql && text[j] === q && text[j + 1] === q) j++;
        j++;
      }
      r += text.slice(i, j + 1);
      i = j + 1;
    } else if (!sql && c === '/' && text[i + 1] === '*') {
      const e = text.indexOf('*/', i + 2);
      const end = e < 0 ? text.length : e + 2;
      r += text.slice(i, end).replace(/[^\n]/g, ' ');
      i = end;
    } else if ((!sql && c === '/' && text[i + 1] === '/') || (sql && c === '-' && text[i + 1] === '-')) {
      let e = text.indexOf('\n', i);
      if (e < 0) e = text.length;
      r += ' '.repeat(e - i);
      i = e;
    } else {
      r += c;
      i++;
    }
  }
  return r;
}

const lineOf = (text, pos) => text.slice(0, pos).split('\n').length;

// Splits the arguments of the call whose '(' is at text[open]: [{text, pos}], top level only.
function callArgs(text, open, sql) {
  const args = [];
  let depth = 0, start = open + 1;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '"' || c === "'") {
      const q = c;
      i++;
      while (i < text.length && text[i] !== q) {
        if (!sql && text[i] === '\\') i++;
        else if (sql && text[i] === q && text[i + 1] === q) i++;
        i++;
      }
      continue;
    }
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      depth--;
      if (depth === 0) {
        args.push({ text: text.slice(start, i), pos: start });
        return args;
      }
    } else if (c === ',' && depth === 1) {
      args.push({ text: text.slice(start, i), pos: start });
      start = i + 1;
    }
  }
  return args;
}

// ---- C -------------------------------------------------------------------------------------

function cLiterals(expr) {
  // groups of adjacent literals: "a" "b" is one string
  const groups = [];
  const re = /"((?:[^"\\]|\\.)*)"/g;
  let m, last = -1, cur = null;
  while ((m = re.exec(expr))) {
    const s = m[1].replace(/\\(.)/g, (_, x) => ({ n: '\n', t: '\t' })[x] ?? x);
    if (cur !== null && /^\s*$/.test(expr.slice(last, m.index))) cur += s;
    else {
      if (cur !== null) groups.push(cur);
      cur = s;
    }
    last = re.lastIndex;
  }
  if (cur !== null) groups.push(cur);
  return groups;
}

function emitC(file, text, pos, expr) {
  // a JSON key read back (json_object_get(e, "message")) is no message
  const lits = cLiterals(expr.replace(/json_\w+\s*\([^()]*\)/g, ''));
  const where = `${file}:${lineOf(text, pos)}`;
  if (!lits.length) {
    out.push(`D\t${where}\t${expr.trim().replace(/\s+/g, ' ')}`);
    return;
  }
  for (const l of lits) if (l !== '%s' && l !== '') out.push(`F\t${where}\t${l}`);
}

const cCalls = [
  ['koop_fail', 2],
  ['koop_fail_field', 4],
  ['koop_error_add', 4],
  ['add', 4, ['server/spec.c']],
  ['row_error', 4],
  ['unauthorized', 1, ['server/auth.c']],
  ['snprintf', 2, ['server/csv.c', 'api/services.c'], /^\s*(err|msg)\s*$/],
];

function scanC(file) {
  const text = stripComments(readFileSync(join(root, file), 'utf8'), false);
  for (const [name, idx, only, first] of cCalls) {
    if (only && !only.includes(file)) continue;
    const re = new RegExp(`(?<![\\w.>])${name}\\s*\\(`, 'g');
    let m;
    while ((m = re.exec(text))) {
      const before = text.slice(Math.max(0, m.index - 40), m.index);
      if (/\b(int|void|bool|static)\s+$/.test(before) || /\b(int|void)\s*\*?\s*$/.test(before)) continue; // a definition
      const args = callArgs(text, m.index + m[0].length - 1, false);
      if (args.length <= idx) continue;
      if (first && !first.test(args[0].text)) continue;
      if (name === 'koop_fail' && /^\s*const\b/.test(args[0].text)) continue; // prototype
      emitC(file, text, args[idx].pos, args[idx].text);
    }
  }
  const as = /(?:\*\s*msg|\bmsg|\bwhy|\bdetail)\s*=\s*([^;=][^;]*);/g;
  let m;
  while ((m = as.exec(text))) {
    const lits = cLiterals(m[1]);
    if (lits.length) emitC(file, text, m.index, m[1]);
  }
}

// ---- SQL -----------------------------------------------------------------------------------

// Top-level pieces of an SQL expression split at ||.
function sqlPieces(expr) {
  const pieces = [];
  let depth = 0, start = 0;
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i];
    if (c === "'") {
      i++;
      while (i < expr.length && !(expr[i] === "'" && expr[i + 1] !== "'")) i += expr[i] === "'" ? 2 : 1;
      continue;
    }
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (depth === 0 && c === '|' && expr[i + 1] === '|') {
      pieces.push(expr.slice(start, i));
      start = i + 2;
      i++;
    }
  }
  pieces.push(expr.slice(start));
  return pieces.map((p) => p.trim());
}

// 'a' 'b' (adjacent literals, which SQL joins across a newline) or null when p is not only that.
function sqlLiteral(p) {
  const re = /\s*'((?:[^']|'')*)'/y;
  let s = '', m, pos = 0, any = false;
  while ((m = re.exec(p))) {
    s += m[1].replace(/''/g, "'");
    pos = re.lastIndex;
    any = true;
  }
  return any && p.slice(pos).trim() === '' ? s : null;
}

function sqlFormats(expr) {
  const e = expr.trim();
  if (/^CASE\b/i.test(e)) {
    const res = [];
    const re = /\b(?:THEN|ELSE)\s+('(?:[^']|'')*'(?:\s*'(?:[^']|'')*')*)/gi;
    let m;
    while ((m = re.exec(e))) res.push(sqlLiteral(m[1]));
    return res.length ? res : null;
  }
  const fm = /^format\s*\(/i.exec(e);
  if (fm) {
    const args = callArgs(e, fm[0].length - 1, true);
    const lit = args.length ? sqlLiteral(args[0].text) : null;
    return lit === null ? null : [lit];
  }
  let s = '', lit = false;
  for (const p of sqlPieces(e)) {
    const l = sqlLiteral(p);
    if (l === null) s += '%s';
    else {
      s += l;
      lit = true;
    }
  }
  return lit ? [s] : null;
}

function emitSql(file, text, pos, expr) {
  const where = `${file}:${lineOf(text, pos)}`;
  const f = sqlFormats(expr);
  if (!f) out.push(`D\t${where}\t${expr.trim().replace(/\s+/g, ' ')}`);
  else for (const s of f) out.push(`F\t${where}\t${s}`);
}

function scanSql(file) {
  const text = stripComments(readFileSync(join(root, file), 'utf8'), true);
  const re = /koop\.(fail_field|fail|not_found)\s*\(/g;
  let m;
  while ((m = re.exec(text))) {
    if (/FUNCTION\s+$/i.test(text.slice(Math.max(0, m.index - 30), m.index))) continue;
    const args = callArgs(text, m.index + m[0].length - 1, true);
    if (m[1] === 'not_found') {
      const lit = args.length ? sqlLiteral(args[0].text) : null;
      if (lit !== null) out.push(`F\t${file}:${lineOf(text, args[0].pos)}\tno such ${lit}`);
      else if (args.length) out.push(`D\t${file}:${lineOf(text, args[0].pos)}\t'no such ' || ${args[0].text.trim()}`);
    } else if (args.length > 2) {
      emitSql(file, text, args[2].pos, args[2].text);
    }
  }
  // every 'message', <expr> pair (errors[] items built in SQL)
  const mr = /'message'\s*,/g;
  while ((m = mr.exec(text))) {
    const open = m.index - 1; // treat as if inside a call: read up to the next top-level , or )
    let depth = 0, i = mr.lastIndex, start = i;
    for (; i < text.length; i++) {
      const c = text[i];
      if (c === "'") {
        i++;
        while (i < text.length && !(text[i] === "'" && text[i + 1] !== "'")) i += text[i] === "'" ? 2 : 1;
        continue;
      }
      if (c === '(') depth++;
      else if (c === ')') {
        if (depth === 0) break;
        depth--;
      } else if (c === ',' && depth === 0) break;
    }
    void open;
    emitSql(file, text, start, text.slice(start, i));
  }
}

const list = (dir, ext) =>
  readdirSync(join(root, dir))
    .filter((f) => f.endsWith(ext))
    .sort()
    .map((f) => `${dir}/${f}`);

for (const f of [...list('server', '.c'), ...list('api', '.c')]) {
  if (f === 'server/messages.c' || f === 'server/problem.c') continue;
  scanC(f);
}
for (const f of list('sql/functions', '.sql')) scanSql(f);
const seen = new Set();
for (const l of out) {
  if (seen.has(l)) continue;
  seen.add(l);
  console.log(l);
}
