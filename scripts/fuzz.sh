#!/usr/bin/env bash
# scripts/fuzz.sh — runs libFuzzer targets one after another, as make fuzz and make test do.
#
#   scripts/fuzz.sh FUZZ_BUILD SECONDS TARGET...
#
# Each FUZZ_BUILD/TARGET runs for SECONDS on a scratch corpus (FUZZ_BUILD/corpus/TARGET, kept
# between runs) seeded from fuzz/corpus/TARGET, which it reads but never writes. A crash, a leak,
# a sanitizer report or an input slower than 10 s stops it: the input is saved as
# FUZZ_BUILD/crashes/TARGET-crash-<sha1> and the script exits 1 (reproduce with
# `FUZZ_BUILD/TARGET FILE`). Prints one line per target: runs, exec/s, cov, ft, corpus.
set -euo pipefail

[[ $# -ge 3 ]] || { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0" >&2; exit 2; }
build=$1 seconds=$2
shift 2
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
mkdir -p "$build/crashes" "$build/logs"
failed=0
for t in "$@"; do
    work=$build/corpus/$t log=$build/logs/$t.log
    mkdir -p "$work"
    # the targets log through server/log.c (JSON lines on stderr) into the same log as libFuzzer
    if ! "$build/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$build/crashes/$t-" "$work" "fuzz/corpus/$t" \
        >"$log" 2>&1; then
        echo "fuzz $t: FAILED (log: $log)" >&2
        grep -E 'ERROR|SUMMARY|runtime error|Test unit written|^==' "$log" | head -n 20 >&2 || true
        failed=1
        continue
    fi
    runs=$(grep -oE '^stat::number_of_executed_units: +[0-9]+' "$log" | grep -oE '[0-9]+$' || echo '?')
    speed=$(grep -oE '^stat::average_exec_per_sec: +[0-9]+' "$log" | grep -oE '[0-9]+$' || echo '?')
    last=$(grep -E '^#[0-9]+' "$log" | tail -n 1 || true)
    cov=$(grep -oE 'cov: [0-9]+' <<<"$last" || true)
    ft=$(grep -oE 'ft: [0-9]+' <<<"$last" || true)
    corp=$(grep -oE 'corp: [0-9]+/[0-9]+[a-zA-Z]*' <<<"$last" || true)
    echo "fuzz $t: ${seconds}s, $runs runs, $speed exec/s, $cov, $ft, $corp"
done
exit "$failed"
