#!/usr/bin/env bash
# scripts/pg.sh — a private PostgreSQL 15 cluster in one directory, reachable only by Unix socket.
#
#   scripts/pg.sh init     DIR            initdb into DIR/data (no-op if already initialised)
#   scripts/pg.sh start    DIR            start it, wait until ready (no-op if running)
#   scripts/pg.sh stop     DIR            fast shutdown, wait (no-op if not running)
#   scripts/pg.sh status   DIR            exit 0 running, 3 stopped, 4 not initialised
#   scripts/pg.sh url      DIR [DBNAME] [USER]   print a libpq URL for DBNAME (default koop) as USER
#                                         (default postgres, the owner; koop_serve to serve)
#   scripts/pg.sh createdb DIR NAME       create database NAME if absent (cluster must be running)
#   scripts/pg.sh psql     DIR [DBNAME] [PSQL ARGS...]   open psql on it
#   scripts/pg.sh standby  DIR PRIMARY_DIR  a streaming standby of the running cluster in
#                                         PRIMARY_DIR (pg_basebackup -R into DIR/data; then start)
#
# Layout: DIR/data (PGDATA), DIR/run (socket directory), DIR/log/postgres.log.
# listen_addresses='' — no TCP at all, so it never conflicts with a system cluster on port 5432.
# Superuser "postgres", trust authentication (only the socket's owner can reach DIR/run).
# Two credentials, as in production: "postgres" owns the databases and runs `kooperd migrate`;
# "koop_serve" (LOGIN NOINHERIT, no superuser, owns nothing; ensured at every start) is the login
# `kooperd serve` connects as — migrations make it a member of koop_app (sql/schema/003).
# Run as root, the cluster belongs to the `postgres` user (PostgreSQL refuses root): DIR is chowned
# to it, and parents of DIR that `postgres` cannot traverse get o+x (printed).
# Messages go to stderr; only `url` and `status` print to stdout.
#
# Environment:
#   KOOP_PG_FAST=1   (at start) fsync, synchronous_commit and full_page_writes off — for tests
#   KOOP_PG_PORT     port number naming the socket file .s.PGSQL.PORT (default 5432; no TCP)
#   KOOP_PG_BIN      PostgreSQL binaries (default /usr/lib/postgresql/15/bin)
set -euo pipefail

PG_BIN=${KOOP_PG_BIN:-/usr/lib/postgresql/15/bin}
PG_PORT=${KOOP_PG_PORT:-5432}
readonly PG_BIN PG_PORT
readonly TUNABLES=glibc.malloc.trim_threshold=268435456:glibc.malloc.mmap_threshold=33554432:glibc.malloc.top_pad=16777216
readonly SOCKET_MAX=107 # sizeof(sun_path) - 1

die() {
	echo "pg.sh: $*" >&2
	exit 1
}
say() { echo "pg.sh: $*" >&2; }

usage() {
	sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0" >&2
	exit 2
}

[[ $# -ge 2 ]] || usage
cmd=$1
[[ -n $2 ]] || usage
DIR=$(realpath -m -- "$2")
shift 2
if ! [[ $PG_PORT =~ ^[0-9]{1,5}$ ]] || ((PG_PORT == 0 || PG_PORT > 65535)); then
	die "KOOP_PG_PORT='$PG_PORT' is not a port number"
fi

DATA=$DIR/data
RUN=$DIR/run
LOG=$DIR/log/postgres.log
SOCKET=$RUN/.s.PGSQL.$PG_PORT

as_root=0
((EUID == 0)) && as_root=1

# Run a PostgreSQL server-side tool as the cluster owner, from / (postgres may not read our cwd),
# with a locale that always exists.
as_owner() {
	if ((as_root)); then
		(cd / && runuser -u postgres -- env LC_ALL=C.UTF-8 LANG=C.UTF-8 "$@")
	else
		(cd / && env LC_ALL=C.UTF-8 LANG=C.UTF-8 "$@")
	fi
}

check_socket_path() {
	((${#SOCKET} <= SOCKET_MAX)) ||
		die "socket path '$SOCKET' is ${#SOCKET} bytes; Unix sockets allow at most $SOCKET_MAX. Use a shorter DIR (e.g. under /tmp, or set KOOP_PG_DIR)."
}

# As root: make DIR owned by postgres and reachable by it through every parent.
prepare_dir_for_postgres() {
	((as_root)) || return 0
	id -u postgres >/dev/null 2>&1 || die "user 'postgres' does not exist (install postgresql-15: scripts/deps.sh run)"
	if ! runuser -u postgres -- test -x "$DIR"; then
		local p parents=() changed=()
		p=$(dirname -- "$DIR")
		while :; do
			parents=("$p" "${parents[@]}")
			[[ $p == / ]] && break
			p=$(dirname -- "$p")
		done
		for p in "${parents[@]}"; do
			if ! runuser -u postgres -- test -x "$p"; then
				chmod o+x -- "$p"
				changed+=("$p")
			fi
		done
		((${#changed[@]} == 0)) || say "granted o+x (search only) on ${changed[*]} so the postgres user can reach $DIR"
		runuser -u postgres -- test -x "$DIR" || die "user postgres still cannot enter $DIR"
	fi
}

is_initialised() { [[ -f $DATA/PG_VERSION ]]; }

# pg_ctl status: 0 running, 3 not running, 4 no data dir.
pg_status() {
	local rc=0
	as_owner "$PG_BIN/pg_ctl" status -D "$DATA" >/dev/null 2>&1 || rc=$?
	return "$rc"
}

conf_quote() { printf "'%s'" "${1//\'/\'\'}"; }

# Settings that follow this script (rewritten at every start; included from postgresql.conf).
write_conf() {
	local fast=${KOOP_PG_FAST:-0} tmp
	tmp=$DATA/koop.conf.tmp
	{
		echo "# Written by scripts/pg.sh at each start; edit the script, not this file."
		echo "listen_addresses = ''"
		echo "port = $PG_PORT"
		echo "unix_socket_directories = $(conf_quote "$RUN")"
		echo "unix_socket_permissions = 0700"
		echo "max_connections = 200"
		echo "shared_buffers = 128MB"
		echo "timezone = 'UTC'"
		echo "log_timezone = 'UTC'"
		if [[ $fast == 1 ]]; then
			echo "# KOOP_PG_FAST=1: durability off (tests only)"
			echo "fsync = off"
			echo "synchronous_commit = off"
			echo "full_page_writes = off"
		fi
	} >"$tmp"
	((as_root)) && chown postgres:postgres "$tmp"
	mv -f -- "$tmp" "$DATA/koop.conf"
}

# Serialise init/start/stop on one DIR. The lock fd must not leak into the postmaster.
take_lock() {
	exec 9>>"$DIR/.pg.lock"
	flock -w 120 9 || die "timed out waiting for the lock on $DIR/.pg.lock"
}

cmd_init() {
	check_socket_path
	[[ -x $PG_BIN/initdb ]] || die "$PG_BIN/initdb not found (install postgresql-15: scripts/deps.sh run)"
	mkdir -p -- "$DIR"
	take_lock
	if is_initialised; then
		local v
		v=$(<"$DATA/PG_VERSION")
		[[ $v == 15 ]] || die "$DATA holds a PostgreSQL $v cluster, expected 15"
		return 0
	fi
	if [[ -e $DATA ]] && [[ -n $(ls -A -- "$DATA" 2>/dev/null) ]]; then
		die "$DATA exists, is not empty and is not a cluster; move it away"
	fi
	mkdir -p -- "$RUN" "$DIR/log"
	chmod 0700 -- "$RUN"
	((as_root)) && chown postgres:postgres -- "$DIR" "$RUN" "$DIR/log" "$DIR/.pg.lock"
	prepare_dir_for_postgres
	say "initdb $DATA"
	as_owner "$PG_BIN/initdb" -D "$DATA" -A trust -E UTF8 --locale=C.UTF-8 --nosync -U postgres \
		>"$DIR/log/initdb.log" 2>&1 9>&- || {
		cat -- "$DIR/log/initdb.log" >&2
		die "initdb failed"
	}
	printf "\n# Private cluster settings (scripts/pg.sh)\ninclude_if_exists = 'koop.conf'\n" >>"$DATA/postgresql.conf"
	write_conf
}

cmd_start() {
	check_socket_path
	[[ -d $DIR ]] || die "$DIR does not exist; run: scripts/pg.sh init $DIR"
	take_lock
	is_initialised || die "no cluster in $DIR; run: scripts/pg.sh init $DIR"
	local rc=0
	pg_status || rc=$?
	if ((rc == 0)); then
		ensure_serve_login
		return 0
	fi
	prepare_dir_for_postgres
	mkdir -p -- "$RUN" "$DIR/log"
	((as_root)) && chown postgres:postgres -- "$RUN" "$DIR/log"
	write_conf
	say "starting PostgreSQL in $DIR (socket $RUN)"
	if ! as_owner env GLIBC_TUNABLES="$TUNABLES" "$PG_BIN/pg_ctl" start -w -t 60 -D "$DATA" -l "$LOG" \
		>/dev/null 9>&-; then
		tail -n 30 -- "$LOG" >&2 || true
		die "PostgreSQL did not start (log: $LOG)"
	fi
	ensure_serve_login
}

# The serving login (see the header): made, or allowed to log in, once the cluster runs
# (a standby has it from its primary, and cannot write).
ensure_serve_login() {
	[[ -f $DATA/standby.signal ]] && return 0
	local psql
	psql=$(psql_bin)
	"$psql" "$(url_for postgres)" -Xq -v ON_ERROR_STOP=1 >/dev/null 9>&- <<'SQL' ||
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'koop_serve') THEN
        CREATE ROLE koop_serve LOGIN NOINHERIT;
    ELSE
        ALTER ROLE koop_serve LOGIN;
    END IF;
END $$;
SQL
		die "cannot make the serving login koop_serve in $DIR"
}

cmd_stop() {
	[[ -d $DIR ]] || return 0
	is_initialised || return 0
	take_lock
	local rc=0
	pg_status || rc=$?
	((rc == 0)) || return 0
	say "stopping PostgreSQL in $DIR"
	as_owner "$PG_BIN/pg_ctl" stop -m fast -w -t 60 -D "$DATA" >/dev/null 9>&- ||
		die "PostgreSQL in $DIR did not stop (log: $LOG)"
}

cmd_status() {
	if ! is_initialised; then
		echo "not initialised: $DIR"
		return 4
	fi
	local rc=0 pid
	pg_status || rc=$?
	if ((rc == 0)); then
		pid=$(head -n 1 -- "$DATA/postmaster.pid" 2>/dev/null || echo '?')
		echo "running: pid $pid, socket $SOCKET"
		return 0
	fi
	echo "stopped: $DIR"
	return 3
}

# Percent-encode everything but unreserved characters and '/'.
urlencode() {
	local s=$1 out="" c i
	local LC_ALL=C
	for ((i = 0; i < ${#s}; i++)); do
		c=${s:i:1}
		case $c in
		[A-Za-z0-9._~/-]) out+=$c ;;
		*) out+=$(printf '%%%02X' "'$c") ;;
		esac
	done
	printf '%s' "$out"
}

url_for() {
	local db=$1 user=${2:-postgres} port=""
	[[ $PG_PORT == 5432 ]] || port=":$PG_PORT"
	printf 'postgresql://%s@%s/%s?host=%s' "$(urlencode "$user")" "$port" "$(urlencode "$db")" "$(urlencode "$RUN")"
}

cmd_url() {
	check_socket_path
	url_for "${1:-koop}" "${2:-postgres}"
	echo
}

psql_bin() {
	if [[ -x $PG_BIN/psql ]]; then echo "$PG_BIN/psql"; else command -v psql || die "psql not found"; fi
}

cmd_createdb() {
	local name=${1:-}
	[[ -n $name ]] || die "usage: scripts/pg.sh createdb DIR NAME"
	local psql exists
	psql=$(psql_bin)
	# psql variables are not interpolated in -c, hence the here-strings.
	exists=$("$psql" "$(url_for postgres)" -XAtq -v ON_ERROR_STOP=1 -v name="$name" \
		<<<"SELECT 1 FROM pg_database WHERE datname = :'name';") ||
		die "cannot connect to the cluster in $DIR (is it started?)"
	[[ $exists == 1 ]] && return 0
	say "creating database $name"
	"$psql" "$(url_for postgres)" -Xq -v ON_ERROR_STOP=1 -v name="$name" \
		<<<'CREATE DATABASE :"name";' >/dev/null
}

cmd_psql() {
	local db=${1:-koop}
	(($# == 0)) || shift
	local psql
	psql=$(psql_bin)
	exec "$psql" "$(url_for "$db")" "$@"
}

cmd_standby() {
	local primary=${1:-}
	[[ -n $primary ]] || die "usage: scripts/pg.sh standby DIR PRIMARY_DIR"
	primary=$(realpath -m -- "$primary")
	check_socket_path
	[[ -x $PG_BIN/pg_basebackup ]] || die "$PG_BIN/pg_basebackup not found"
	mkdir -p -- "$DIR"
	take_lock
	is_initialised && die "$DATA already holds a cluster"
	mkdir -p -- "$RUN" "$DIR/log"
	chmod 0700 -- "$RUN"
	((as_root)) && chown postgres:postgres -- "$DIR" "$RUN" "$DIR/log" "$DIR/.pg.lock"
	prepare_dir_for_postgres
	say "pg_basebackup of $primary into $DATA (streaming standby)"
	as_owner "$PG_BIN/pg_basebackup" -D "$DATA" -R -X stream -c fast -h "$primary/run" -p "$PG_PORT" \
		-U postgres >"$DIR/log/basebackup.log" 2>&1 9>&- || {
		cat -- "$DIR/log/basebackup.log" >&2
		die "pg_basebackup failed"
	}
	exec 9>&-
	cmd_start
}

case $cmd in
init) cmd_init ;;
standby) cmd_standby "$@" ;;
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
url) cmd_url "$@" ;;
createdb) cmd_createdb "$@" ;;
psql) cmd_psql "$@" ;;
*) usage ;;
esac
