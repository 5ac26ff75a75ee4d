#!/usr/bin/env bash
# scripts/test-pg-fixture.sh — a throwaway PostgreSQL cluster for one test run.
#
#   eval "$(scripts/test-pg-fixture.sh start [DBNAME])"   DBNAME defaults to koop_test
#       makes a short temp dir /tmp/kooppg.XXXXXX, initialises and starts a fast cluster there
#       (KOOP_PG_FAST=1: fsync off), creates DBNAME, and prints on stdout, one per line:
#         KOOP_PG_DIR=/tmp/kooppg.XXXXXX
#         DATABASE_URL=postgresql://koop_serve@/DBNAME?host=/tmp/kooppg.XXXXXX/run   (serving login)
#         DATABASE_OWNER_URL=postgresql://postgres@/DBNAME?host=/tmp/kooppg.XXXXXX/run (the owner)
#       (values are shell-quoted only if they need it). On failure it cleans up and exits 1.
#   eval "$(scripts/test-pg-fixture.sh standby PRIMARY_DIR [DBNAME])"
#       a streaming standby (pg_basebackup -R) of the running cluster in PRIMARY_DIR, in a temp
#       dir of its own, started; prints KOOP_PG_STANDBY_DIR, DATABASE_READ_URL (serving login)
#       and KOOP_STANDBY_OWNER_URL (the superuser, to inspect and pause it).
#   scripts/test-pg-fixture.sh stop DIR
#       stops that cluster and removes DIR — only a directory this script created.
#
# Typical use in a Makefile recipe:
#   eval "$$(scripts/test-pg-fixture.sh start)"; trap 'scripts/test-pg-fixture.sh stop "$$KOOP_PG_DIR"' EXIT; ...
#
# Environment: KOOP_PG_PORT, KOOP_PG_BIN as for scripts/pg.sh; TMPDIR is ignored on purpose
# (the socket path must stay short).
set -euo pipefail

here=$(cd "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
readonly PG_SH=$here/pg.sh MARKER=.koop-test-fixture

emit() {
	local name=$1 value=$2
	if [[ $value =~ ^[A-Za-z0-9_./:@?=%+-]*$ ]]; then
		printf '%s=%s\n' "$name" "$value"
	else
		printf '%s=%q\n' "$name" "$value"
	fi
}

cmd_start() {
	local db=${1:-koop_test} dir url owner
	dir=$(mktemp -d /tmp/kooppg.XXXXXX)
	: >"$dir/$MARKER"
	if ! {
		KOOP_PG_FAST=1 "$PG_SH" init "$dir" &&
			KOOP_PG_FAST=1 "$PG_SH" start "$dir" &&
			"$PG_SH" createdb "$dir" "$db" &&
			url=$("$PG_SH" url "$dir" "$db" koop_serve) &&
			owner=$("$PG_SH" url "$dir" "$db")
	} >&2; then
		cmd_stop "$dir" || true
		echo "test-pg-fixture.sh: could not start a test cluster" >&2
		exit 1
	fi
	emit KOOP_PG_DIR "$dir"
	emit DATABASE_URL "$url"
	emit DATABASE_OWNER_URL "$owner"
}

cmd_standby() {
	local primary=${1:-} db=${2:-koop_test} dir url owner
	dir=$(mktemp -d /tmp/kooppg.XXXXXX)
	: >"$dir/$MARKER"
	if ! {
		KOOP_PG_FAST=1 "$PG_SH" standby "$dir" "$primary" &&
			url=$("$PG_SH" url "$dir" "$db" koop_serve) &&
			owner=$("$PG_SH" url "$dir" "$db")
	} >&2; then
		cmd_stop "$dir" || true
		echo "test-pg-fixture.sh: could not start a standby" >&2
		exit 1
	fi
	emit KOOP_PG_STANDBY_DIR "$dir"
	emit DATABASE_READ_URL "$url"
	emit KOOP_STANDBY_OWNER_URL "$owner"
}

cmd_stop() {
	local dir=${1:-}
	[[ -n $dir ]] || {
		echo "usage: scripts/test-pg-fixture.sh stop DIR" >&2
		exit 2
	}
	dir=$(realpath -m -- "$dir")
	[[ -d $dir ]] || return 0
	if [[ $dir != /tmp/kooppg.* || ! -f $dir/$MARKER ]]; then
		echo "test-pg-fixture.sh: $dir was not made by this script; not touching it" >&2
		exit 1
	fi
	"$PG_SH" stop "$dir" >&2
	rm -rf -- "$dir"
}

case ${1:-} in
start)
	shift
	cmd_start "$@"
	;;
standby)
	shift
	cmd_standby "$@"
	;;
stop)
	shift
	cmd_stop "$@"
	;;
*)
	sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0" >&2
	exit 2
	;;
esac
