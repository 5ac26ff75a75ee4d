#!/usr/bin/env bash
# scripts/run.sh — what `make run` runs after building build/kooperd.
#
#   scripts/run.sh [EXTRA SERVE FLAGS...]
#
# Without DATABASE_URL: a private cluster in ./var/pg (KOOP_PG_DIR) is initialised on first use and
# started, database `koop` is created if absent, DATABASE_OWNER_URL points at it as its owner
# (postgres: migrations, demo data) and DATABASE_URL as the serving login koop_serve. Then: migrations,
# the demo tenant (Miasto Wodzisław Śląski, TERYT 2415011) with sql/demo/demo.sql on first run,
# a fresh admin token with a curl example, and `build/kooperd serve` in the foreground.
# Ctrl-C or SIGTERM stops the daemon (SIGTERM, then wait; a second Ctrl-C kills it) and then the
# private cluster, if this script started it.
#
# Environment:
#   DATABASE_URL   use this database instead of the private cluster (the serving login), with
#   DATABASE_OWNER_URL  its owner's URL for migrations and the demo data
#   KOOP_PG_DIR    private cluster directory (default ./var/pg)
#   KOOP_LISTEN    listen address for the daemon (default 127.0.0.1:8080)
#   KOOP_PG_PORT, KOOP_PG_FAST   passed to scripts/pg.sh
set -euo pipefail

cd "$(dirname -- "${BASH_SOURCE[0]}")/.."
root=$PWD
readonly KOOPERD=$root/build/kooperd PG_SH=$root/scripts/pg.sh DEMO_SQL=$root/sql/demo/demo.sql
readonly DEMO_TERYT=2415011

say() { echo "run.sh: $*" >&2; }
die() {
	say "$*"
	exit 1
}

[[ -x $KOOPERD ]] || die "$KOOPERD is missing; build it with: make run"

psql_bin=/usr/lib/postgresql/15/bin/psql
[[ -x $psql_bin ]] || psql_bin=$(command -v psql) || die "psql not found (scripts/deps.sh run)"

export KOOP_LISTEN=${KOOP_LISTEN:-127.0.0.1:8080}

pg_dir=""      # set when this script started the private cluster
daemon_pid=""  # set while the daemon runs
signals=0

# Runs on every exit: make sure the daemon is gone, then stop the cluster we started.
# Further Ctrl-C are ignored here (and by the children, which inherit SIG_IGN), so
# stopping PostgreSQL cannot be interrupted half-way.
# shellcheck disable=SC2317 # called by trap
cleanup() {
	local rc=$?
	trap '' INT TERM HUP
	local pids p
	# The daemon, even if a signal came between its start and daemon_pid=$!.
	pids=$(jobs -p)
	for p in $pids; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in $pids; do
		wait "$p" 2>/dev/null || true
	done
	if [[ -n $pg_dir ]]; then
		"$PG_SH" stop "$pg_dir" || rc=1
	fi
	exit "$rc"
}
trap cleanup EXIT

# First signal: ask the daemon to shut down gracefully. Second: kill it. The main loop below
# keeps waiting until it is gone; cleanup then stops the cluster.
# shellcheck disable=SC2317 # called by trap
on_signal() {
	signals=$((signals + 1))
	if [[ -z $daemon_pid ]]; then
		exit 130
	fi
	if ((signals == 1)); then
		say "stopping kooperd (pid $daemon_pid); Ctrl-C again to kill it"
		kill -TERM "$daemon_pid" 2>/dev/null || true
	else
		say "killing kooperd (pid $daemon_pid)"
		kill -KILL "$daemon_pid" 2>/dev/null || true
	fi
}
trap on_signal INT TERM HUP

if [[ -z ${DATABASE_URL:-} ]]; then
	dir=${KOOP_PG_DIR:-$root/var/pg}
	"$PG_SH" init "$dir"
	if ! "$PG_SH" status "$dir" >/dev/null; then
		pg_dir=$dir # from here on, cleanup stops it
		"$PG_SH" start "$dir"
	else
		say "using the PostgreSQL already running in $dir (left running on exit)"
	fi
	"$PG_SH" createdb "$dir" koop
	# two credentials: the owner migrates and loads the demo, koop_serve serves
	DATABASE_OWNER_URL=$("$PG_SH" url "$dir" koop)
	DATABASE_URL=$("$PG_SH" url "$dir" koop koop_serve)
	export DATABASE_URL DATABASE_OWNER_URL
fi
owner_url=${DATABASE_OWNER_URL:-$DATABASE_URL}

say "applying migrations"
"$KOOPERD" migrate

tenant_id=$("$psql_bin" "$owner_url" -XAtq -v ON_ERROR_STOP=1 \
	-c "SELECT id FROM tenants WHERE teryt = '$DEMO_TERYT'")
if [[ -z $tenant_id ]]; then
	say "creating the demo tenant (Miasto Wodzisław Śląski)"
	tenant_id=$("$KOOPERD" create-tenant --name "Miasto Wodzisław Śląski" --teryt "$DEMO_TERYT" \
		--kind gmina_miejska --voivodeship slaskie)
	[[ $tenant_id =~ ^[0-9a-fA-F-]{36}$ ]] || die "create-tenant printed '$tenant_id', expected a UUID"
	if [[ -f $DEMO_SQL ]]; then
		say "loading demo data from sql/demo/demo.sql"
		"$psql_bin" "$owner_url" -Xq -v ON_ERROR_STOP=1 -v tenant_id="$tenant_id" -f "$DEMO_SQL" >/dev/null
	else
		say "sql/demo/demo.sql not found; the demo tenant has no sample data"
	fi
fi
tenant_id=${tenant_id%%$'\n'*}

token=$("$KOOPERD" create-token --role admin --name "Demo admin" --tenant "$tenant_id" \
	--email admin@demo.local)
[[ -n $token ]] || die "create-token printed nothing"

host=${KOOP_LISTEN%:*}
port=${KOOP_LISTEN##*:}
case $host in
"" | 0.0.0.0 | "*") host=127.0.0.1 ;;
"[::]" | "::") host="[::1]" ;;
esac
base="http://$host:$port"

cat <<EOF

  Kooperacje is starting on $base  (demo tenant $tenant_id)
  Admin token (shown once):
    TOKEN=$token
  Try:
    curl -H "Authorization: Bearer \$TOKEN" $base/v1/partners
  Docs: $base/docs    Health: $base/readyz    Stop: Ctrl-C

EOF

"$KOOPERD" serve "$@" &
daemon_pid=$!

# `wait` returns early whenever a trapped signal arrives; keep waiting until the daemon is gone.
rc=0
while :; do
	rc=0
	wait "$daemon_pid" || rc=$?
	kill -0 "$daemon_pid" 2>/dev/null || break
done
daemon_pid=""
if ((signals > 0)); then
	say "kooperd stopped"
	exit 0
fi
say "kooperd exited with status $rc"
exit "$rc"
