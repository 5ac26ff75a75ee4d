#!/usr/bin/env bash
# Lints openapi.yaml with Spectral (.spectral.yaml) and Redocly (redocly.yaml), offline.
# Fails (exit 1) on any error or warning from either tool; exit 2 when the tools are not installed.
# Prints each problem, then one summary line. Usage: scripts/lint-openapi.sh [openapi.yaml]
set -u

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 2
spec=${1:-openapi.yaml}
bin=$root/node_modules/.bin

for tool in spectral redocly; do
  if [ ! -x "$bin/$tool" ]; then
    echo "lint-openapi: $bin/$tool is missing; run 'npm ci' first" >&2
    exit 2
  fi
done

# No network: no telemetry, no update check.
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_UPDATE_NOTIFIER=1

tmp=$(mktemp -d "${TMPDIR:-/tmp}/lint-openapi.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT

# Spectral: human-readable problems on stdout, JSON for counting. Severity 0=error 1=warn 2=info 3=hint.
"$bin/spectral" lint "$spec" --ruleset .spectral.yaml --fail-severity warn --display-only-failures \
  --format stylish --format json --output.json "$tmp/spectral.json" >"$tmp/spectral.txt" 2>&1
spectral_rc=$?
grep -v '^No results with a severity' "$tmp/spectral.txt" | sed '/^$/d'

# Redocly: JSON report (exit code alone ignores warnings), printed one problem per line.
"$bin/redocly" lint "$spec" --config redocly.yaml --format json --max-problems 1000 \
  >"$tmp/redocly.json" 2>"$tmp/redocly.err"
redocly_rc=$?

node - "$tmp/spectral.json" "$tmp/redocly.json" "$tmp/counts" <<'JS'
const fs = require('node:fs');
const read = (f) => { try { return JSON.parse(fs.readFileSync(f, 'utf8')); } catch { return null; } };
const s = read(process.argv[2]);
const r = read(process.argv[3]);
const se = s ? s.filter((p) => p.severity === 0).length : -1;
const sw = s ? s.filter((p) => p.severity === 1).length : -1;
let re = -1, rw = -1;
if (r && r.totals) {
  re = r.totals.errors; rw = r.totals.warnings;
  for (const p of r.problems) {
    const where = (p.location && p.location[0] && p.location[0].pointer) || '';
    console.log(`redocly ${p.severity} ${p.ruleId}: ${p.message} ${where}`);
  }
}
fs.writeFileSync(process.argv[4], `${se} ${sw} ${re} ${rw}\n`);
JS
read -r s_err s_warn r_err r_warn <"$tmp/counts" 2>/dev/null || s_err=-1

status=0
if [ "${s_err:--1}" -lt 0 ] || [ "${r_err:--1}" -lt 0 ]; then
  echo "lint-openapi: a linter did not produce a report:" >&2
  cat "$tmp/redocly.err" >&2
  status=1
elif [ "$s_err" -gt 0 ] || [ "$s_warn" -gt 0 ] || [ "$r_err" -gt 0 ] || [ "$r_warn" -gt 0 ] \
     || [ "$spectral_rc" -ne 0 ] || [ "$redocly_rc" -ne 0 ]; then
  status=1
fi

verdict=OK; [ $status -eq 0 ] || verdict=FAILED
echo "openapi lint $verdict: spectral $s_err errors $s_warn warnings; redocly $r_err errors $r_warn warnings ($spec)"
exit $status
