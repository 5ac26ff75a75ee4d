#!/usr/bin/env bash
# tests/upgrade.sh BUILD_DIR — every released version's database upgrades in place (make test).
#
# For each release in tests/upgrade/releases:
#   1. builds that commit from git history (git archive into BUILD_DIR/releases/COMMIT, kept as a
#      cache between runs);
#   2. in a throwaway cluster, migrates a database with it, loads its demo data and fills it
#      through its own API by running its own HTTP suites (partners, services, families,
#      task_teams, partnership) against its own daemon;
#   3. mints an admin token per tenant (and a platform admin) with its CLI, and reads every record
#      through its API (tests/upgrade/snapshot.mjs);
#   4. copies the database; upgrades the original with `kooperd migrate` (twice: the second run
#      must change nothing) and the copy by starting `kooperd serve` on it;
#   5. reads every record again through the current daemon on the serve-upgraded copy, with the
#      same tokens, and requires every answer and field value to be kept (compare.mjs);
#   6. requires the schemas of both upgraded databases and of a fresh install to be the same
#      (pg_dump --schema-only, comments and pg_dump's session keys dropped, lines sorted).
# KOOP_UPGRADE_SUITES overrides the list of the old version's suites used to fill.
set -euo pipefail

BUILD=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
BUILD=$(realpath -m "$BUILD")
PG_BIN=/usr/lib/postgresql/15/bin
suites=${KOOP_UPGRADE_SUITES:-partners services families task_teams partnership}
out=$(mktemp -d /tmp/koopup.XXXXXX)
pids=()
KOOP_PG_DIR=""

cleanup() {
	local rc=$?
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	[[ -n $KOOP_PG_DIR ]] && scripts/test-pg-fixture.sh stop "$KOOP_PG_DIR" >/dev/null 2>&1
	if ((rc != 0)); then echo "tests/upgrade.sh: FAILED (logs kept in $out)" >&2; else rm -rf "$out"; fi
	exit "$rc"
}
trap cleanup EXIT
say() { echo "upgrade: $*" >&2; }
die() { say "$*"; exit 1; }

free_port() {
	local p
	for _ in $(seq 1 50); do
		p=$((20000 + RANDOM % 40000))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return 0; }
	done
	return 1
}

# start_daemon BINARY DATABASE_URL LOG [SERVING_URL] → sets $port and appends to pids
# (0.1.0 takes the owner's URL alone; the current daemon serves as SERVING_URL's login and
# migrates at start as DATABASE_URL's, given as DATABASE_OWNER_URL)
start_daemon() {
	local bin=$1 url=$2 log=$3 serving=${4:-}
	local env=(DATABASE_URL="$url")
	[[ -n $serving ]] && env=(DATABASE_URL="$serving" DATABASE_OWNER_URL="$url")
	for _ in 1 2 3 4 5; do
		port=$(free_port)
		env "${env[@]}" KOOP_LISTEN="127.0.0.1:$port" KOOP_THREADS=4 KOOP_AUTH_FAIL_LIMIT=100000 \
			KOOP_PER_IP_LIMIT=1000 KOOP_CORS_ORIGINS=https://portal.example \
			"$bin" serve 2>>"$log" &
		local pid=$!
		for _ in $(seq 1 600); do
			if curl -fsS -o /dev/null "http://127.0.0.1:$port/readyz" 2>/dev/null; then
				pids+=("$pid")
				daemon=$pid
				return 0
			fi
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done
	die "the daemon $bin did not become ready (log: $log)"
}
stop_daemon() {
	kill -TERM "$daemon" && wait "$daemon" || die "the daemon did not exit 0 after SIGTERM"
	local keep=() p # (not ${pids[@]/$daemon/}: that also cuts $daemon out of longer pids)
	for p in "${pids[@]}"; do [[ $p == "$daemon" ]] || keep+=("$p"); done
	pids=("${keep[@]}")
}

schema_of() { # DBNAME → sorted schema lines
	"$PG_BIN/pg_dump" -h "$KOOP_PG_DIR/run" -U postgres --schema-only "$1" |
		grep -vE '^(--|\\restrict |\\unrestrict |$)' | LC_ALL=C sort
}

eval "$(scripts/test-pg-fixture.sh start koop_fresh)"
psql_c() { "$PG_BIN/psql" -h "$KOOP_PG_DIR/run" -U postgres -XAtq -v ON_ERROR_STOP=1 "$@"; }
url_of() { scripts/pg.sh url "$KOOP_PG_DIR" "$1"; }

say "fresh install with the current tree"
DATABASE_URL=$(url_of koop_fresh) "$BUILD/kooperd" migrate 2>>"$out/fresh.log"
schema_of koop_fresh >"$out/schema-fresh.sql"

checked=0
while read -r version commit; do
	[[ -z $version || $version == \#* ]] && continue
	git cat-file -e "$commit^{commit}" 2>/dev/null ||
		die "release $version ($commit) is not in this clone's history (a shallow clone? git fetch --unshallow)"
	rel=$BUILD/releases/$commit
	if [[ ! -x $rel/build/kooperd || ! -x $rel/build/http_tests ]]; then
		say "building $version ($commit) from git history"
		rm -rf "$rel" && mkdir -p "$rel"
		git archive "$commit" | tar -x -C "$rel"
		# its own Makefile, targets only: packages were installed by this tree's make test
		# (a plain build of its own: not the variables of the make running us, such as make asan's
		# BUILD, OPT and SAN, which reach a sub-make through MAKEFLAGS)
		env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$rel" --no-print-directory -j2 BUILD=build \
			build/kooperd build/http_tests >"$out/build-$version.log" 2>&1 ||
			die "building $version failed (see $out/build-$version.log)"
	fi
	old=$rel/build/kooperd
	db=koop_up_${version//./_}
	scripts/pg.sh createdb "$KOOP_PG_DIR" "$db" 2>/dev/null
	up=$(url_of "$db")

	say "$version: migrate, demo data, its own suites ($suites) through its API"
	DATABASE_URL=$up "$old" migrate 2>>"$out/old.log"
	tenant=$(DATABASE_URL=$up "$old" create-tenant --name "Miasto Wodzisław Śląski" --teryt 2415011 \
		--kind gmina_miejska --voivodeship slaskie)
	psql_c -d "$db" -v tenant_id="$tenant" -f "$rel/sql/demo/demo.sql" >/dev/null
	platform=$(DATABASE_URL=$up "$old" create-token --role platform_admin --name "Upgrade platform")
	start_daemon "$old" "$up" "$out/old.log"
	: >"$out/pii.txt"
	for s in $suites; do
		(cd "$rel" && CK_RUN_SUITE=$s CK_DEFAULT_TIMEOUT=120 ASAN_OPTIONS=detect_leaks=0 \
			DATABASE_URL=$up KOOP_PG_DIR=$KOOP_PG_DIR KOOP_TEST_URL=http://127.0.0.1:$port \
			KOOP_TEST_DIRECT_URL=http://127.0.0.1:$port KOOP_TEST_PLATFORM_TOKEN=$platform \
			KOOP_TEST_DAEMON_LOG=$out/old.log KOOP_TEST_BUILD=$rel/build KOOP_TEST_PII_FILE=$out/pii.txt \
			build/http_tests) >"$out/fill-$version-$s.log" 2>&1 || true
		say "  $s: $(grep -E '^[0-9]+%: Checks' "$out/fill-$version-$s.log" | tail -n 1)"
	done
	{
		echo "platform $platform"
		while read -r t; do
			echo "$t $(DATABASE_URL=$up "$old" create-token --role admin --name "Upgrade check" \
				--tenant "$t" --email upgrade-check@example.invalid)"
		done < <(psql_c -d "$db" -c "SELECT id FROM tenants WHERE active ORDER BY id")
	} >"$out/tokens.txt"
	counts=$(psql_c -d "$db" -c "SELECT (SELECT count(*) FROM tenants) || ' tenants, ' ||
		(SELECT count(*) FROM families) || ' families, ' || (SELECT count(*) FROM plan_actions) ||
		' actions, ' || (SELECT count(*) FROM services) || ' services'")
	say "$version: filled: $counts"
	node tests/upgrade/snapshot.mjs "http://127.0.0.1:$port" "$out/tokens.txt" "$out/before.json"
	stop_daemon

	say "$version: upgrade with kooperd migrate, and a copy by kooperd serve"
	psql_c -d postgres -c "CREATE DATABASE ${db}_serve TEMPLATE $db"
	DATABASE_URL=$up "$BUILD/kooperd" migrate 2>>"$out/new.log"
	DATABASE_URL=$up "$BUILD/kooperd" migrate 2>"$out/again.log"
	if grep -v 'applied the functions' "$out/again.log" | grep -q .; then
		cat "$out/again.log" >&2
		die "a second migrate did more than reapply the functions"
	fi
	start_daemon "$BUILD/kooperd" "$(url_of "${db}_serve")" "$out/new.log" \
		"$(scripts/pg.sh url "$KOOP_PG_DIR" "${db}_serve" koop_serve)"
	node tests/upgrade/snapshot.mjs "http://127.0.0.1:$port" "$out/tokens.txt" "$out/after.json"
	stop_daemon
	node tests/upgrade/compare.mjs "$out/before.json" "$out/after.json" | sed "s/^/upgrade: $version: /" >&2
	[[ ${PIPESTATUS[0]} == 0 ]] || die "$version: records changed in the upgrade"

	for d in "$db" "${db}_serve"; do
		schema_of "$d" >"$out/schema-$d.sql"
		if ! diff -u "$out/schema-fresh.sql" "$out/schema-$d.sql" >"$out/schema-$d.diff"; then
			head -n 40 "$out/schema-$d.diff" >&2
			die "$version: the schema of $d after the upgrade differs from a fresh install's"
		fi
	done
	say "$version: schema of both upgraded databases = fresh install ($(wc -l <"$out/schema-fresh.sql") lines)"
	checked=$((checked + 1))
done <tests/upgrade/releases
((checked > 0)) || die "no release listed in tests/upgrade/releases"
echo "upgrade: $checked release(s) upgrade in place: every record kept, schema as fresh"
