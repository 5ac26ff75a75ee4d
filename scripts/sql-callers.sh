#!/usr/bin/env bash
# scripts/sql-callers.sh BUILD_DIR — grep finds both ends of every SQL function (make test runs it).
#
# 1. Every function of sql/functions/*.sql is called from somewhere: C (cli/, server/, api/:
#    a prepared statement or a declared SQL fragment), another function's body, or a trigger.
#    A function nobody calls is dead and is reported.
# 2. Every koop.<resource>_<op> function that a generic route calls (as `kooperd routes` prints
#    it) is named in api/, in the file that declares the resource: the route table assembles those
#    names at run time, so the resource file lists them for the reader.
# Exits 1 listing every miss.
set -euo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/.."
miss=0
mapfile -t fns < <(grep -ho 'CREATE OR REPLACE FUNCTION koop\.[a-z0-9_]*' sql/functions/*.sql |
	sed 's/.*koop\.//' | LC_ALL=C sort -u)
for f in "${fns[@]}"; do
	c=$({ grep -rhoE "koop[._]$f\b" cli server api --include='*.c' --include='*.h' || true; } | wc -l)
	s=$({ grep -hE "koop\.$f\b" sql/functions/*.sql sql/schema/*.sql || true; } |
		{ grep -vcE "(CREATE OR REPLACE FUNCTION|ON FUNCTION|DROP FUNCTION[^;]*) koop\.$f\b" || true; })
	if ((c + s == 0)); then
		echo "sql-callers: koop.$f is defined in sql/functions but nothing calls it" >&2
		miss=$((miss + 1))
	fi
done
mapfile -t ops < <("$BUILD/kooperd" routes | grep -oE '(create|get|list|patch|delete|transition):koop\.[a-z0-9_]+' |
	sed 's/.*://' | { grep -vx 'koop.page' || true; } | LC_ALL=C sort -u)
for f in "${ops[@]}"; do
	if ! grep -rqF "$f" api --include='*.c'; then
		echo "sql-callers: the route table calls $f, but no file in api/ names it" >&2
		miss=$((miss + 1))
	fi
done
((miss == 0)) || exit 1
echo "sql-callers: ${#fns[@]} functions, each called; the ${#ops[@]} that generic routes call are named in api/"
