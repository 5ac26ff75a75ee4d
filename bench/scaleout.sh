#!/usr/bin/env bash
# bench/scaleout.sh — scale-out shown, not claimed (`make bench-scaleout`, or
# BENCH_CASES=scaleout bash bench/run.sh): one kooperd against two behind HAProxy, both over the
# same primary and a streaming standby of it (reads flagged RT_REPLICA go to the standby).
#
#   bash bench/scaleout.sh [BUILD]     BUILD holds kooperd (default: build)
#
# 1. a throwaway primary (scripts/test-pg-fixture.sh: fsync off), `kooperd migrate`, BENCH_TENANTS
#    tenants with an admin token each and BENCH_PER_TENANT partners each (bench/seed.sql);
# 2. a streaming standby of it (pg_basebackup -R: scripts/test-pg-fixture.sh standby);
# 3. two daemons (KOOP_THREADS=BENCH_THREADS each), DATABASE_URL the primary, DATABASE_READ_URL
#    the standby;
# 4. HAProxy (Debian's haproxy, HTTP mode, keep-alive to the daemons, round robin) in front of
#    one daemon, then of both; per case wrk (bench/partners.lua) against HAProxy; for reference
#    the same straight at one daemon; the mixed case runs get with writes beside it (create);
# 5. a table: req/s, p50, p99, and the CPU time per request of the daemons, the primary, the
#    standby, HAProxy and wrk (from /proc), and where the daemons served the reads
#    (koop_replica_reads_total).
# What it can show is bounded by the machine: everything here (wrk, HAProxy, both daemons, both
# clusters) shares its cores; on 2 cores a second daemon adds no CPU, only a second queue, so
# the two-daemon figure is what the same CPU does split across two processes. The CPU columns
# say where the time goes; with the daemons on machines of their own the primary's column is
# what stays shared.
#
# Environment: BENCH_DURATION (10), BENCH_CONNECTIONS (32), BENCH_WRK_THREADS (2), BENCH_THREADS
# (KOOP_THREADS per daemon, 4), BENCH_TENANTS (10), BENCH_PER_TENANT (200), BENCH_SCALE_CASES
# (get list), BENCH_WARMUP (2), BENCH_OUT (a new /tmp/koopscale.XXXXXX).
set -euo pipefail

root=$(cd "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
BUILD=${1:-build}
KOOPERD=$root/$BUILD/kooperd
[[ $BUILD == /* ]] && KOOPERD=$BUILD/kooperd
DURATION=${BENCH_DURATION:-10}
CONNS=${BENCH_CONNECTIONS:-32}
WRK_THREADS=${BENCH_WRK_THREADS:-2}
THREADS=${BENCH_THREADS:-4}
TENANTS=${BENCH_TENANTS:-10}
PER_TENANT=${BENCH_PER_TENANT:-200}
WARMUP=${BENCH_WARMUP:-2}
read -r -a CASES <<<"${BENCH_SCALE_CASES:-get list}"

die() {
	echo "scaleout: $*" >&2
	exit 1
}
say() { echo "== $*" >&2; }
for v in DURATION CONNS WRK_THREADS THREADS TENANTS PER_TENANT; do
	[[ ${!v} =~ ^[0-9]+$ ]] && ((${!v} > 0)) || die "$v must be a positive integer, got '${!v}'"
done
((TENANTS <= 99)) || die "BENCH_TENANTS must be at most 99"
for c in "${CASES[@]}"; do
	[[ $c == get || $c == list || $c == mixed ]] || die "BENCH_SCALE_CASES: get, list or mixed, not '$c'"
done
[[ -x $KOOPERD ]] || die "$KOOPERD not found; build it first"
for tool in wrk haproxy psql curl; do
	command -v "$tool" >/dev/null || die "$tool not found (bash scripts/deps.sh bench)"
done
OUT=${BENCH_OUT:-$(mktemp -d /tmp/koopscale.XXXXXX)}
mkdir -p -- "$OUT"

# ---- cleanup: only what this script started, by PID or by directory ----
pids=()
primary_dir="" standby_dir=""
cleanup() {
	local rc=$? p
	trap - EXIT INT TERM
	for p in "${pids[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in "${pids[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	[[ -n $standby_dir ]] && scripts/test-pg-fixture.sh stop "$standby_dir" || true
	[[ -n $primary_dir ]] && scripts/test-pg-fixture.sh stop "$primary_dir" || true
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

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

# ---- 1. primary, seed ----
say "primary and seed (output in $OUT)"
eval "$(scripts/test-pg-fixture.sh start koop_scale)"
primary_dir=$KOOP_PG_DIR
SERVE_URL=$DATABASE_URL
export DATABASE_URL=$DATABASE_OWNER_URL
"$KOOPERD" migrate 2>"$OUT/migrate.log" || die "kooperd migrate failed ($OUT/migrate.log)"
q() { psql "$DATABASE_URL" -XAtq -v ON_ERROR_STOP=1 "$@"; }
declare -A TOKEN=()
for ((i = 1; i <= TENANTS; i++)); do
	nn=$(printf '%02d' "$i")
	tid=$("$KOOPERD" create-tenant --name "Gmina Skala $nn" --teryt "24${nn}011" \
		--kind gmina_miejska --voivodeship slaskie 2>>"$OUT/seed.log") || die "create-tenant failed"
	TOKEN[$tid]=$("$KOOPERD" create-token --role admin --tenant "$tid" --name "Skala $nn" \
		--email "scale-admin-$nn@example.org" 2>>"$OUT/seed.log") || die "create-token failed"
done
q -v per_tenant="$PER_TENANT" -f bench/seed.sql >>"$OUT/seed.log"
DATA=$OUT/data.lua
{
	echo "return {"
	while IFS='|' read -r tid ids; do
		printf '{token = "%s", ids = {%s}},\n' "${TOKEN[$tid]}" "$ids"
	done < <(q -c "SELECT tenant_id, string_agg('\"' || id || '\"', ',') FROM bench_ids
	               WHERE n <= 2000 GROUP BY tenant_id")
	echo "}"
} >"$DATA"
PRIMARY_PM=$(head -n 1 "$primary_dir/data/postmaster.pid")

# ---- 2. standby ----
say "streaming standby (pg_basebackup -R)"
eval "$(scripts/test-pg-fixture.sh standby "$primary_dir" koop_scale)"
standby_dir=$KOOP_PG_STANDBY_DIR
STANDBY_PM=$(head -n 1 "$standby_dir/data/postmaster.pid")
READ_URL=$DATABASE_READ_URL

# ---- 3. two daemons ----
start_daemon() { # name → sets the global DPORT, appends to pids and DPIDS
	local log=$OUT/daemon-$1.log port="" deadline
	DATABASE_URL=$SERVE_URL DATABASE_READ_URL=$READ_URL KOOP_LISTEN=127.0.0.1:0 \
		KOOP_THREADS=$THREADS KOOP_METRICS_PUBLIC=1 KOOP_RATE_LIMIT=10000000 KOOP_PER_IP_LIMIT=10000 \
		KOOP_CONN_LIMIT=10000 KOOP_TRUSTED_PROXIES=127.0.0.1 "$KOOPERD" serve 2>"$log" &
	local pid=$!
	pids+=("$pid")
	DPIDS+=("$pid")
	deadline=$((SECONDS + 30))
	while [[ -z $port ]] && ((SECONDS < deadline)) && kill -0 "$pid" 2>/dev/null; do
		port=$(grep -m 1 -oE '"msg":"listening",.*"port":[0-9]+' "$log" | grep -oE '[0-9]+$' || true)
		[[ -n $port ]] || sleep 0.1
	done
	[[ -n $port ]] || die "daemon $1 did not start ($log)"
	until curl -fsS -o /dev/null "http://127.0.0.1:$port/readyz"; do sleep 0.1; done
	DPORT=$port
}
DPIDS=()
start_daemon a
PORT_A=$DPORT
start_daemon b
PORT_B=$DPORT

# ---- 4. HAProxy ----
haproxy_pid=""
start_haproxy() { # ports... → sets HPORT
	HPORT=$(free_port) || die "no free port"
	local cfg=$OUT/haproxy-$#.cfg p n=0
	{
		echo "global"
		echo "    maxconn 4096"
		echo "    nbthread 1"
		echo "defaults"
		echo "    mode http"
		echo "    timeout connect 5s"
		echo "    timeout client 60s"
		echo "    timeout server 60s"
		echo "    option http-keep-alive"
		echo "    http-reuse always"
		echo "frontend api"
		echo "    bind 127.0.0.1:$HPORT"
		echo "    default_backend kooperd"
		echo "backend kooperd"
		echo "    balance roundrobin"
		for p; do
			n=$((n + 1))
			echo "    server d$n 127.0.0.1:$p check inter 2s"
		done
	} >"$cfg"
	haproxy -f "$cfg" -db >"$OUT/haproxy-$#.log" 2>&1 &
	haproxy_pid=$!
	pids+=("$haproxy_pid")
	local deadline=$((SECONDS + 10))
	until curl -fsS -o /dev/null "http://127.0.0.1:$HPORT/healthz" 2>/dev/null; do
		((SECONDS < deadline)) || die "haproxy did not start ($OUT/haproxy-$#.log)"
		sleep 0.1
	done
}
stop_haproxy() {
	kill -TERM "$haproxy_pid" 2>/dev/null || true
	wait "$haproxy_pid" 2>/dev/null || true
	haproxy_pid=""
}

# CPU time in clock ticks (utime+stime of every thread; a cluster: its postmaster and children)
TICK_US=$((1000000 / $(getconf CLK_TCK)))
proc_ticks() {
	awk '{ sub(/^.*\) /, ""); print $12 + $13 + $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0
}
tree_ticks() {
	local total p
	total=$(proc_ticks "$1")
	for p in $(pgrep -P "$1" || true); do total=$((total + $(proc_ticks "$p"))); done
	echo "$total"
}
daemons_ticks() {
	local total=0 p
	for p in "${DPIDS[@]}"; do total=$((total + $(proc_ticks "$p"))); done
	echo "$total"
}
metric() { # port series
	curl -fsS "http://127.0.0.1:$1/metrics" | awk -v s="$2" '$1 == s { print $2 }'
}
replica_reads() {
	local s=0 p
	for p in "$PORT_A" "$PORT_B"; do
		s=$((s + $(metric "$p" 'koop_replica_reads_total{served_by="replica"}')))
	done
	echo "$s"
}
primary_reads() {
	local s=0 p
	for p in "$PORT_A" "$PORT_B"; do
		s=$((s + $(metric "$p" 'koop_replica_reads_total{served_by="primary"}')))
	done
	echo "$s"
}
kv() { # line key
	local w
	for w in $1; do
		[[ $w == "$2="* ]] && {
			echo "${w#*=}"
			return 0
		}
	done
	echo ""
}
per_req() { awk -v t="$1" -v n="$2" -v us="$TICK_US" 'BEGIN { if (n > 0) printf "%.0f", t * us / n; else print "?" }'; }
ms() { awk -v us="$1" 'BEGIN { printf "%.2f", us / 1000 }'; }

errors=0
rows=()
run_case() { # label url case
	local label=$1 url=$2 mode=$3 log=$OUT/wrk-$1-$3.log wmode=$3 wlog2="" bg=""
	[[ $mode == mixed ]] && wmode=get
	wrk -t1 -c4 -d"${WARMUP}s" -s bench/partners.lua "$url" -- "$wmode" "$DATA" 1 >/dev/null 2>&1 || true
	local d0 p0 s0 h0 r0 pr0
	d0=$(daemons_ticks) p0=$(tree_ticks "$PRIMARY_PM") s0=$(tree_ticks "$STANDBY_PM")
	h0=$(proc_ticks "${haproxy_pid:-0}") r0=$(replica_reads) pr0=$(primary_reads)
	if [[ $mode == mixed ]]; then # writes beside the reads: a quarter of the connections create
		wlog2=$OUT/wrk-$1-mixed-create.log
		BENCH_STATUS_HOOK=1 wrk -t1 -c$((CONNS / 4 > 0 ? CONNS / 4 : 1)) -d"${DURATION}s" --latency --timeout 10s \
			-s bench/partners.lua "$url" -- create "$DATA" 1 >"$wlog2" 2>&1 &
		bg=$!
	fi
	BENCH_STATUS_HOOK=1 wrk -t"$WRK_THREADS" -c"$CONNS" -d"${DURATION}s" --latency --timeout 10s -s bench/partners.lua \
		"$url" -- "$wmode" "$DATA" "$WRK_THREADS" >"$log" 2>&1 || die "wrk failed ($log)"
	[[ -n $bg ]] && wait "$bg"
	local line n bad wline="" wn=0
	line=$(grep -m1 '^BENCH ' "$log") || die "no result from wrk ($log)"
	n=$(kv "$line" requests)
	bad=$(($(kv "$line" non2xx) + $(kv "$line" err_connect) + $(kv "$line" err_read) + $(kv "$line" err_timeout)))
	if [[ -n $wlog2 ]]; then
		wline=$(grep -m1 '^BENCH ' "$wlog2") || die "no result from wrk ($wlog2)"
		wn=$(kv "$wline" requests)
		bad=$((bad + $(kv "$wline" non2xx) + $(kv "$wline" err_connect) + $(kv "$wline" err_read)))
	fi
	((bad == 0)) || errors=$((errors + bad))
	local all=$((n + wn)) rr pr
	rr=$(($(replica_reads) - r0)) pr=$(($(primary_reads) - pr0))
	rows+=("$(printf '| %-18s | %-6s | %9s | %7s | %7s | %5s | %8s | %8s | %8s | %8s | %14s | %4s |' \
		"$label" "$mode" "$(kv "$line" rps)${wline:+ +$(kv "$wline" rps)w}" \
		"$(ms "$(kv "$line" p50_us)")" "$(ms "$(kv "$line" p99_us)")" "$bad" \
		"$(per_req $(($(daemons_ticks) - d0)) "$all")" "$(per_req $(($(tree_ticks "$PRIMARY_PM") - p0)) "$all")" \
		"$(per_req $(($(tree_ticks "$STANDBY_PM") - s0)) "$all")" \
		"$(if [[ -n $haproxy_pid ]]; then per_req $(($(proc_ticks "$haproxy_pid") - h0)) "$all"; else echo -; fi)" \
		"$rr / $pr" "$(nproc)")")
	say "$label $mode: $(kv "$line" rps) req/s${wline:+ (+ $(kv "$wline" rps) writes/s)}"
}

for c in "${CASES[@]}"; do
	run_case "one, direct" "http://127.0.0.1:$PORT_A" "$c"
done
start_haproxy "$PORT_A"
for c in "${CASES[@]}"; do
	run_case "one behind HAProxy" "http://127.0.0.1:$HPORT" "$c"
done
stop_haproxy
start_haproxy "$PORT_A" "$PORT_B"
for c in "${CASES[@]}"; do
	run_case "two behind HAProxy" "http://127.0.0.1:$HPORT" "$c"
done
stop_haproxy

echo
echo "Scale-out: wrk -c$CONNS -t$WRK_THREADS, ${DURATION}s per row; KOOP_THREADS=$THREADS per daemon;"
echo "$TENANTS tenants x $PER_TENANT partners; primary + streaming standby on the same machine."
echo "CPU columns: µs of CPU per request (daemons together, primary cluster, standby cluster, HAProxy)."
echo
echo "| setup              | case   |     req/s | p50 ms  | p99 ms  | bad   | daemons  | primary  | standby  | haproxy  | replica/primary | cores |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
echo "logs: $OUT"
nerr=$(cat "$OUT"/daemon-*.log | grep -c '"level":"error"' || true)
if ((errors > 0 || nerr > 0)); then
	echo "!!! $errors failed requests, $nerr daemon errors: the numbers above are not valid"
	exit 1
fi
