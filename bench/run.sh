#!/usr/bin/env bash
# bench/run.sh — wrk against kooperd beside pgbench on the same SQL, in one run (`make bench`).
#
#   bash bench/run.sh [BUILD]          BUILD holds kooperd (default: build)
#
# 1. a throwaway PostgreSQL (scripts/test-pg-fixture.sh: fsync off), `kooperd migrate`;
# 2. BENCH_TENANTS tenants with one admin token each (kooperd create-tenant / create-token), then
#    BENCH_PER_TENANT partners per tenant in one INSERT ... SELECT as the owner (bench/seed.sql);
# 3. kooperd serve on a free port, polled on /readyz;
# 4. per case, wrk (bench/partners.lua, --latency) and pgbench (-M prepared, bench/pg_*.sql: the
#    minimal equivalent SQL as the owner) with the same concurrency and duration:
#       get     GET /v1/partners/{id}          vs one partner by id as JSON
#       list    GET /v1/partners?limit=50      vs the same keyset page of 50 as one jsonb_agg
#       create  POST /v1/partners              vs one INSERT ... RETURNING the JSON
# 5. a table: req/s, p50, p99, pgbench TPS, ratio and its target, the daemon's RSS, and any
#    non-2xx response, socket error, failed pgbench transaction or daemon error/warning — which
#    also makes the exit status 1; then the CPU time per request (from /proc) of kooperd, of the
#    cluster serving it, of wrk, and of the cluster and client under pgbench. On this shared VM
#    absolute rates drift up to 2x between runs; CPU per request is the steadier figure.
# Logs (wrk, pgbench, daemon) stay in the output directory it prints.
#
# Environment:
#   BENCH_DURATION     seconds per wrk run and per pgbench run (10)
#   BENCH_CONNECTIONS  wrk connections = pgbench clients (16)
#   BENCH_WRK_THREADS  wrk -t = pgbench -j (2)
#   BENCH_THREADS      KOOP_THREADS of the daemon (4); a list such as "2 4 8" runs every wrk case
#                      once per value (pgbench once per case)
#   BENCH_CASES        which cases, in order (get list create)
#   BENCH_TENANTS      tenants to create (50)
#   BENCH_PER_TENANT   partners per tenant (200)
#   BENCH_WARMUP       seconds of GET traffic after each daemon start, not measured (2)
#   BENCH_DURABLE=1    a cluster with fsync and synchronous_commit on (scripts/pg.sh without
#                      KOOP_PG_FAST): writes bound by commit latency, as in production
#   BENCH_STATUS_HOOK=0  no response() hook in wrk (only statuses >= 400 are then counted)
#   BENCH_STRICT=1     exit 1 also when a ratio misses its target
#   BENCH_OUT          output directory (default: a new /tmp/koopbench.XXXXXX)
set -euo pipefail

root=$(cd "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

BUILD=${1:-build}
KOOPERD=$root/$BUILD/kooperd
[[ $BUILD == /* ]] && KOOPERD=$BUILD/kooperd
DURATION=${BENCH_DURATION:-10}
CONNS=${BENCH_CONNECTIONS:-16}
WRK_THREADS=${BENCH_WRK_THREADS:-2}
read -r -a THREAD_LIST <<<"${BENCH_THREADS:-4}"
read -r -a CASES <<<"${BENCH_CASES:-get list create}"
TENANTS=${BENCH_TENANTS:-50}
PER_TENANT=${BENCH_PER_TENANT:-200}
WARMUP=${BENCH_WARMUP:-2}
DURABLE=${BENCH_DURABLE:-0}
SAMPLE=2000 # (tenant, id) pairs wrk's GET cycles over

die() {
	echo "bench: $*" >&2
	exit 1
}
say() { echo "== $*" >&2; }

is_uint() { [[ $1 =~ ^[0-9]+$ ]] && (($1 > 0)); }
for v in DURATION CONNS WRK_THREADS TENANTS PER_TENANT; do
	is_uint "${!v}" || die "$v must be a positive integer, got '${!v}'"
done
[[ $WARMUP =~ ^[0-9]+$ ]] || die "BENCH_WARMUP must be an integer"
((TENANTS <= 99)) || die "BENCH_TENANTS must be at most 99 (TERYT powiat codes 01..99)"
((${#THREAD_LIST[@]} > 0)) || die "BENCH_THREADS is empty"
for t in "${THREAD_LIST[@]}"; do is_uint "$t" || die "BENCH_THREADS: '$t' is not a thread count"; done
for c in "${CASES[@]}"; do
	case $c in get | list | create) ;; *) die "BENCH_CASES: unknown case '$c' (get list create)" ;; esac
done
[[ -x $KOOPERD ]] || die "$KOOPERD not found; build it first (make BUILD=$BUILD $BUILD/kooperd)"
for tool in wrk pgbench psql curl; do
	command -v "$tool" >/dev/null || die "$tool not found (bash scripts/deps.sh bench)"
done

declare -A TARGET=([get]=0.6 [list]=0.7 [create]=0.8)
declare -A PG_SCRIPT=([get]=bench/pg_get.sql [list]=bench/pg_list.sql [create]=bench/pg_create.sql)

OUT=${BENCH_OUT:-$(mktemp -d /tmp/koopbench.XXXXXX)}
mkdir -p -- "$OUT"

# ---- cleanup: only what this script started, by PID or by directory ----

daemon_pid=""
pg_dir=""
pg_kind=""

stop_daemon() {
	[[ -n $daemon_pid ]] || return 0
	local pid=$daemon_pid rc=0
	daemon_pid=""
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		local deadline=$((SECONDS + 15))
		while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
		if kill -0 "$pid" 2>/dev/null; then
			echo "bench: daemon $pid ignored SIGTERM for 15 s; killing it" >&2
			kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
	wait "$pid" 2>/dev/null || rc=$?
	((rc == 0)) || echo "bench: daemon $pid exited with status $rc" >&2
	return 0
}

stop_cluster() {
	[[ -n $pg_dir ]] || return 0
	local dir=$pg_dir
	pg_dir=""
	if [[ $pg_kind == fixture ]]; then
		scripts/test-pg-fixture.sh stop "$dir" || true
	else
		scripts/pg.sh stop "$dir" || true
		[[ $dir == /tmp/koopbpg.* ]] && rm -rf -- "$dir"
	fi
}

# shellcheck disable=SC2317 # reached through the trap
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	stop_daemon
	stop_cluster
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- 1. database ----

say "database (output in $OUT)"
if [[ $DURABLE == 1 ]]; then
	pg_kind=durable
	pg_dir=$(mktemp -d /tmp/koopbpg.XXXXXX)
	scripts/pg.sh init "$pg_dir"
	scripts/pg.sh start "$pg_dir"
	scripts/pg.sh createdb "$pg_dir" koop_bench
	DATABASE_URL=$(scripts/pg.sh url "$pg_dir" koop_bench)
else
	pg_kind=fixture
	fixture_env=$(scripts/test-pg-fixture.sh start koop_bench)
	KOOP_PG_DIR="" DATABASE_URL=""
	eval "$fixture_env"
	pg_dir=$KOOP_PG_DIR
fi
[[ -n $DATABASE_URL ]] || die "no DATABASE_URL from the cluster set-up"
PM_PID=$(head -n 1 "$pg_dir/data/postmaster.pid")
export DATABASE_URL
"$KOOPERD" migrate 2>"$OUT/migrate.log" || {
	cat "$OUT/migrate.log" >&2
	die "kooperd migrate failed"
}

q() { psql "$DATABASE_URL" -XAtq -v ON_ERROR_STOP=1 "$@"; }

# ---- 2. seed ----

say "seeding $TENANTS tenants x $PER_TENANT partners"
t0=$SECONDS
declare -A TOKEN=()
for ((i = 1; i <= TENANTS; i++)); do
	nn=$(printf '%02d' "$i")
	tid=$("$KOOPERD" create-tenant --name "Gmina Bench $nn" --teryt "24${nn}011" \
		--kind gmina_miejska --voivodeship slaskie 2>>"$OUT/seed.log") ||
		die "create-tenant $nn failed (see $OUT/seed.log)"
	TOKEN[$tid]=$("$KOOPERD" create-token --role admin --tenant "$tid" --name "Bench admin $nn" \
		--email "bench-admin-$nn@example.org" 2>>"$OUT/seed.log") ||
		die "create-token $nn failed (see $OUT/seed.log)"
done
q -v per_tenant="$PER_TENANT" -f bench/seed.sql >>"$OUT/seed.log"
NIDS=$(q -c "SELECT count(*) FROM bench_ids")
NTENANTS=$(q -c "SELECT count(*) FROM bench_tenants")
((NIDS >= TENANTS * PER_TENANT && NTENANTS == TENANTS)) ||
	die "seeding left $NIDS partners in $NTENANTS tenants"

# wrk's data: per tenant its token and a random sample of its partners' ids
DATA=$OUT/data.lua
{
	echo "return {"
	while IFS='|' read -r tid ids; do
		[[ -n ${TOKEN[$tid]:-} ]] || die "no token for tenant $tid"
		printf '{token = "%s", ids = {%s}},\n' "${TOKEN[$tid]}" "$ids"
	done < <(q -c "SELECT tenant_id, string_agg('\"' || id || '\"', ',') FROM bench_ids
	               WHERE n <= $SAMPLE GROUP BY tenant_id")
	echo "}"
} >"$DATA"
say "seeded $NIDS partners in $NTENANTS tenants in $((SECONDS - t0)) s"

# ---- 3. daemon ----

free_port() {
	local p
	for _ in $(seq 1 50); do
		p=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

PORT=""
start_daemon() { # threads
	PORT=$(free_port) || die "no free port"
	KOOP_LISTEN=127.0.0.1:$PORT KOOP_THREADS=$1 KOOP_DRAIN_TIMEOUT=5 \
		"$KOOPERD" serve 2>>"$OUT/daemon-t$1.log" &
	daemon_pid=$!
	local deadline=$((SECONDS + 30))
	until curl -fsS -o /dev/null "http://127.0.0.1:$PORT/readyz" 2>/dev/null; do
		if ! kill -0 "$daemon_pid" 2>/dev/null; then
			tail -n 20 "$OUT/daemon-t$1.log" >&2 || true
			die "the daemon exited before it was ready"
		fi
		((SECONDS < deadline)) || die "the daemon was not ready within 30 s"
		sleep 0.05
	done
}

# ---- 4. runs ----

kv() { # line key → value of key=value
	local w
	for w in $1; do
		if [[ $w == "$2="* ]]; then
			echo "${w#*=}"
			return 0
		fi
	done
	echo ""
}

# CPU time in clock ticks: of one process (utime+stime, every thread), of the cluster (the
# postmaster with its reaped children, plus its live children), of this shell's children.
TICK_US=$((1000000 / $(getconf CLK_TCK)))
proc_ticks() { # pid [with reaped children: 1]
	awk -v c="${2:-0}" '{ sub(/^.*\) /, ""); print $12 + $13 + (c ? $14 + $15 : 0) }' \
		"/proc/$1/stat" 2>/dev/null || echo 0
}
db_children() { pgrep -P "$PM_PID" || true; }
db_ticks() {
	local total p
	total=$(proc_ticks "$PM_PID" 1)
	for p in $(db_children); do total=$((total + $(proc_ticks "$p"))); done
	echo "$total"
}
CHILD_TICKS=0
child_ticks() { # sets CHILD_TICKS: user+sys of this shell's waited-for children (no subshell!)
	times >"$OUT/.times"
	CHILD_TICKS=$(awk -v hz="$(getconf CLK_TCK)" 'NR == 2 {
		n = split($0, t, " "); s = 0
		for (i = 1; i <= n; i++) { split(t[i], ms, /[ms]/); s += ms[1] * 60 + ms[2] }
		printf "%d\n", s * hz + 0.5 }' "$OUT/.times")
}
# After pgbench exits, wait (poll) until its backends are gone and reaped into the postmaster's
# children time, so that the cluster's CPU counts them.
wait_backends() { # expected number of children
	local deadline=$((SECONDS + 10))
	while (($(db_children | wc -l) > $1)) && ((SECONDS < deadline)); do sleep 0.02; done
}
per_req() { # ticks requests → µs per request
	awk -v t="$1" -v n="$2" -v us="$TICK_US" 'BEGIN { if (n > 0) printf "%.0f", t * us / n; else print "?" }'
}

run_wrk() { # case threads seconds logname → the BENCH line, plus CPU ticks of wrk, daemon, cluster
	local log=$OUT/$4 w0 d0 p0
	child_ticks
	w0=$CHILD_TICKS d0=$(proc_ticks "$daemon_pid") p0=$(db_ticks)
	BENCH_STATUS_HOOK=${BENCH_STATUS_HOOK:-1} wrk -t"$WRK_THREADS" -c"$CONNS" -d"$3s" --latency \
		-s bench/partners.lua "http://127.0.0.1:$PORT" -- "$1" "$DATA" >"$log" 2>&1 ||
		die "wrk failed ($log): $(tail -n 3 "$log")"
	local line
	line=$(grep -m1 '^BENCH ' "$log") || die "no result line from wrk ($log)"
	child_ticks
	echo "$line cpu_wrk=$((CHILD_TICKS - w0)) cpu_daemon=$(($(proc_ticks "$daemon_pid") - d0))" \
		"cpu_db=$(($(db_ticks) - p0))"
}

declare -A R_RPS R_P50 R_P99 R_BAD R_STAT R_CWRK R_CSRV R_CDB
declare -A PG_TPS PG_LAT PG_FAIL PG_CCLI PG_CDB RSS HWM
errors=0

run_pgbench() { # case
	local c=$1 log=$OUT/pgbench-$1.txt rc=0 n0 w0 p0 ntx
	child_ticks
	n0=$(db_children | wc -l) w0=$CHILD_TICKS p0=$(db_ticks)
	pgbench -n -c "$CONNS" -j "$WRK_THREADS" -T "$DURATION" -M prepared -f "${PG_SCRIPT[$c]}" \
		-D nids="$NIDS" -D ntenants="$NTENANTS" "$DATABASE_URL" >"$log" 2>&1 || rc=$?
	wait_backends "$n0"
	ntx=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$log")
	child_ticks
	PG_CCLI[$c]=$(per_req $((CHILD_TICKS - w0)) "${ntx:-0}")
	PG_CDB[$c]=$(per_req $(($(db_ticks) - p0)) "${ntx:-0}")
	PG_TPS[$c]=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p' "$log")
	PG_LAT[$c]=$(sed -n 's/^latency average = \([0-9.]*\) ms/\1/p' "$log")
	PG_FAIL[$c]=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$log")
	if ((rc != 0)) || [[ -z ${PG_TPS[$c]} ]] || [[ ${PG_FAIL[$c]:-0} != 0 ]]; then
		echo "bench: !!! pgbench $c failed or had failed transactions (rc $rc, see $log):" >&2
		tail -n 5 "$log" >&2
		errors=$((errors + 1))
		PG_TPS[$c]=${PG_TPS[$c]:-0}
	fi
}

for th in "${THREAD_LIST[@]}"; do
	say "daemon with KOOP_THREADS=$th"
	start_daemon "$th"
	if ((WARMUP > 0)); then
		run_wrk get "$th" "$WARMUP" "warmup-t$th.txt" >/dev/null
	fi
	for c in "${CASES[@]}"; do
		say "wrk $c (threads $th, -t$WRK_THREADS -c$CONNS, ${DURATION}s)"
		line=$(run_wrk "$c" "$th" "$DURATION" "wrk-$c-t$th.txt")
		k="$c/$th"
		R_RPS[$k]=$(kv "$line" rps)
		R_P50[$k]=$(kv "$line" p50_us)
		R_P99[$k]=$(kv "$line" p99_us)
		R_STAT[$k]=$(kv "$line" statuses)
		n=$(kv "$line" requests)
		R_CWRK[$k]=$(per_req "$(kv "$line" cpu_wrk)" "$n")
		R_CSRV[$k]=$(per_req "$(kv "$line" cpu_daemon)" "$n")
		R_CDB[$k]=$(per_req "$(kv "$line" cpu_db)" "$n")
		bad=0
		for f in non2xx err_connect err_read err_write err_status err_timeout; do
			bad=$((bad + $(kv "$line" "$f")))
		done
		R_BAD[$k]=$bad
		if ((bad > 0)); then
			errors=$((errors + 1))
			echo "bench: !!! wrk $c with $th threads: $bad bad responses or socket errors: $line" >&2
		fi
		if [[ -z ${PG_TPS[$c]:-} ]]; then
			say "pgbench $c (-c$CONNS -j$WRK_THREADS, ${DURATION}s)"
			run_pgbench "$c"
		fi
	done
	RSS[$th]=$(awk '/^VmRSS:/ {print $2}' "/proc/$daemon_pid/status")
	HWM[$th]=$(awk '/^VmHWM:/ {print $2}' "/proc/$daemon_pid/status")
	stop_daemon
done
stop_cluster

# ---- 5. report ----

ms() { awk -v us="$1" 'BEGIN { printf "%.2f", us / 1000 }'; }

echo
echo "Kooperacje bench — $(date -u +%FT%TZ), $(nproc) CPUs, wrk -t$WRK_THREADS -c$CONNS -d${DURATION}s," \
	"pgbench -c$CONNS -j$WRK_THREADS -T$DURATION -M prepared, $NIDS partners / $NTENANTS tenants," \
	"cluster $([[ $DURABLE == 1 ]] && echo 'durable (fsync on)' || echo 'fast (fsync off)')"
fmt='%-7s %7s %10s %8s %8s %12s %8s %6s %7s %-4s %s\n'
# shellcheck disable=SC2059 # the format is ours
printf "$fmt" case threads "wrk req/s" "p50 ms" "p99 ms" "pgbench TPS" "pg ms" ratio target met "wrk responses"
missed=0
for c in "${CASES[@]}"; do
	for th in "${THREAD_LIST[@]}"; do
		k="$c/$th"
		if [[ -z ${R_RPS[$k]:-} || -z ${PG_TPS[$c]:-} ]]; then
			errors=$((errors + 1))
			echo "!!! no result for $c with $th threads"
		fi
		ratio=$(awk -v a="${R_RPS[$k]:-0}" -v b="${PG_TPS[$c]:-0}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')
		met=$(awk -v r="$ratio" -v t="${TARGET[$c]}" 'BEGIN { print (r != "n/a" && r + 0 >= t + 0) ? "yes" : "NO" }')
		[[ $met == yes ]] || missed=$((missed + 1))
		resp=${R_STAT[$k]:-0}
		((${R_BAD[$k]:-0} == 0)) || resp="!!! ${R_BAD[$k]:-0} BAD — $resp"
		# shellcheck disable=SC2059
		printf "$fmt" "$c" "$th" "${R_RPS[$k]:-0}" "$(ms "${R_P50[$k]:-0}")" "$(ms "${R_P99[$k]:-0}")" \
			"${PG_TPS[$c]:-0}" "${PG_LAT[$c]:-?}" "$ratio" ">=${TARGET[$c]}" "$met" "$resp"
	done
done
echo
echo "CPU per request, µs (all cores; 2 vCPUs give 2,000,000 µs per second between everything):"
fmt2='%-7s %7s %10s %14s %10s %14s %14s\n'
# shellcheck disable=SC2059
printf "$fmt2" case threads kooperd "postgres(api)" wrk "postgres(pgb)" "pgbench client"
for c in "${CASES[@]}"; do
	for th in "${THREAD_LIST[@]}"; do
		k="$c/$th"
		# shellcheck disable=SC2059
		printf "$fmt2" "$c" "$th" "${R_CSRV[$k]:-0}" "${R_CDB[$k]:-0}" "${R_CWRK[$k]:-0}" "${PG_CDB[$c]:-0}" "${PG_CCLI[$c]:-0}"
	done
done
echo
for th in "${THREAD_LIST[@]}"; do
	echo "daemon RSS after the runs (KOOP_THREADS=$th): VmRSS $((${RSS[$th]:-0} / 1024)) MB, peak VmHWM $((${HWM[$th]:-0} / 1024)) MB"
done
for th in "${THREAD_LIST[@]}"; do
	log=$OUT/daemon-t$th.log
	nerr=$(grep -c '"level":"error"' "$log" || true)
	nwarn=$(grep -c '"level":"warn"' "$log" || true)
	if ((nerr + nwarn > 0)); then
		errors=$((errors + 1))
		echo "!!! daemon log (KOOP_THREADS=$th) has $nerr errors and $nwarn warnings, e.g.:"
		grep -m 3 -E '"level":"(error|warn)"' "$log"
	fi
done
echo "logs: $OUT"
if ((errors > 0)); then
	echo
	echo "!!! BENCH HAD ERRORS ($errors): non-2xx responses, socket errors, failed pgbench transactions"
	echo "!!! or daemon errors — the numbers above are not valid. See $OUT."
	exit 1
fi
if ((missed > 0)); then
	echo "$missed case(s) below target."
	[[ ${BENCH_STRICT:-0} == 1 ]] && exit 1
fi
exit 0
