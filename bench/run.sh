#!/usr/bin/env bash
# bench/run.sh — wrk against kooperd beside pgbench on the same SQL, in one run (`make bench`).
#
#   bash bench/run.sh [BUILD]          BUILD holds kooperd (default: build)
#
# 1. a throwaway PostgreSQL (scripts/test-pg-fixture.sh: fsync off), `kooperd migrate`;
# 2. BENCH_TENANTS tenants with one admin token each (kooperd create-tenant / create-token), then
#    BENCH_PER_TENANT partners per tenant in one INSERT ... SELECT as the owner (bench/seed.sql);
#    then, only for the cases that need them, as the owner: services with Polish texts
#    (seed_services.sql), families with members and a social worker's token per tenant
#    (seed_families.sql), a task team per tenant with referrals to one partner and that partner's
#    staff token (seed_referrals.sql, through the API's koop.* functions), and for `reports` one
#    more tenant with BENCH_BIG_FAMILIES families, teams and referrals (seed_big.sql);
# 3. kooperd serve on a free port, polled on /readyz;
# 4. per case, wrk (bench/partners.lua, --latency) and pgbench (-M prepared, bench/pg_*.sql: the
#    minimal equivalent SQL as the owner) with the same concurrency and duration:
#       get        GET /v1/partners/{id}          vs one partner by id as JSON
#       list       GET /v1/partners?limit=50      vs the same keyset page of 50 as one jsonb_agg
#       create     POST /v1/partners              vs one INSERT ... RETURNING the JSON
#       search     GET /v1/services?q=WORD        vs the LIKE on `search`, by relevance, 50 as JSON
#       family_get GET /v1/families/{id} (social worker) vs the family as JSON + its audit row
#       referrals  GET /v1/referrals (partner staff) vs the partner's page of 50 + its audit row
#       accept     POST /v1/referrals/{id}/transitions {"to":"accepted"}, each referral once,
#                  vs an UPDATE of the referral's row returning its JSON
#       longpoll   BENCH_WAITERS clients long-polling GET /v1/events?after=LATEST&wait=N in one
#                  tenant: GET /v1/partners/{id} without them (lp-idle) and with them (lp-wait),
#                  the daemon's threads, PostgreSQL connections and koop_longpoll_waiting while
#                  they wait; then one event in their tenant (POST /v1/partners) and how fast all
#                  of them answer (bench/longpoll.pl)
#       reports    (opt-in: BENCH_BIG=1 or BENCH_CASES=reports) GET /v1/reports/families and
#                  /v1/reports/referrals of the big tenant, BENCH_REPORT_RUNS times each, one at a
#                  time (rep-families, rep-referrals: p50 is the median, p99 the slowest), vs
#                  pgbench -c1 of the report's SQL function
# 5. a table: req/s, p50, p99, pgbench TPS, ratio and its target, the daemon's RSS, and any
#    non-2xx response, socket error, failed pgbench transaction or daemon error/warning — which
#    also makes the exit status 1; then the CPU time per request (from /proc) of kooperd, of the
#    cluster serving it, of wrk, and of the cluster and client under pgbench; then the long-poll
#    and report details. On this shared VM absolute rates drift up to 2x between runs; CPU per
#    request is the steadier figure.
# Logs (wrk, pgbench, daemon, long-poll clients) stay in the output directory it prints.
#
# Environment:
#   BENCH_DURATION     seconds per wrk run and per pgbench run (10)
#   BENCH_CONNECTIONS  wrk connections = pgbench clients (16)
#   BENCH_WRK_THREADS  wrk -t = pgbench -j (2)
#   BENCH_THREADS      KOOP_THREADS of the daemon (4); a list such as "2 4 8" runs every wrk case
#                      once per value (pgbench once per case)
#   BENCH_CASES        which cases, in order
#                      (get list create search family_get referrals accept longpoll);
#                      BENCH_CASES=scaleout alone runs bench/scaleout.sh instead (two daemons
#                      behind HAProxy over a primary and a streaming standby)
#   BENCH_BIG=1        also the reports case (seeds BENCH_BIG_FAMILIES families: about a minute)
#   BENCH_TENANTS      tenants to create (50)
#   BENCH_PER_TENANT   partners per tenant (200)
#   BENCH_SERVICES     services per tenant (400)
#   BENCH_SEARCH_WORDS the ?q= words, without diacritics (uzaleznien terapia doradztwo)
#   BENCH_FAMILIES     families per tenant, 3 members each (100; at most 1000)
#   BENCH_WALK         referrals per tenant for each accept run (600); more are seeded for the
#                      list (BENCH_WALK per BENCH_THREADS value, plus 100 that only pgbench updates)
#   BENCH_WAITERS      long-poll clients (200)
#   BENCH_SLOW         slow clients of the slowloris case (1100), from 127.0.0.2..127.0.0.6, each
#                      sending one header line every 5 s (bench/slowloris.pl) while wrk runs GETs
#   BENCH_LP_WAIT      their wait=N, seconds (30, or BENCH_DURATION + 20 if more; at most 60)
#   BENCH_BIG_FAMILIES families of the reports tenant (1000000)
#   BENCH_REPORT_RUNS  requests per report (5)
#   BENCH_WARMUP       seconds of GET traffic after each daemon start, not measured (2)
#   BENCH_WRK_TIMEOUT  seconds before wrk counts a request as timed out, an error (10)
#   BENCH_DURABLE=1    a cluster with fsync and synchronous_commit on (scripts/pg.sh without
#                      KOOP_PG_FAST): writes bound by commit latency, as in production
#   BENCH_STATUS_HOOK=0  no response() hook in wrk (only statuses >= 400 are then counted;
#                      accept always counts)
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
ALL_CASES="get list create search family_get referrals accept longpoll slowloris reports"
read -r -a CASES <<<"${BENCH_CASES:-get list create search family_get referrals accept longpoll slowloris}"
# two daemons behind HAProxy over a primary and a standby: a script of its own
if [[ " ${CASES[*]} " == *" scaleout "* ]]; then
	((${#CASES[@]} == 1)) || { echo "bench: BENCH_CASES=scaleout runs alone (bench/scaleout.sh)" >&2; exit 1; }
	exec bash bench/scaleout.sh "$BUILD"
fi
TENANTS=${BENCH_TENANTS:-50}
PER_TENANT=${BENCH_PER_TENANT:-200}
SERVICES=${BENCH_SERVICES:-400}
SEARCH_WORDS=${BENCH_SEARCH_WORDS:-uzaleznien terapia doradztwo}
FAMILIES=${BENCH_FAMILIES:-100}
WALK=${BENCH_WALK:-600}
PG_REFERRALS=100 # per tenant, updated only by pgbench's accept
WAITERS=${BENCH_WAITERS:-200}
SLOW=${BENCH_SLOW:-1100}
BIG_FAMILIES=${BENCH_BIG_FAMILIES:-1000000}
REPORT_RUNS=${BENCH_REPORT_RUNS:-5}
WARMUP=${BENCH_WARMUP:-2}
WRK_TIMEOUT=${BENCH_WRK_TIMEOUT:-10}
DURABLE=${BENCH_DURABLE:-0}
SAMPLE=2000 # (tenant, id) pairs wrk's GET cycles over

die() {
	echo "bench: $*" >&2
	exit 1
}
say() { echo "== $*" >&2; }

is_uint() { [[ $1 =~ ^[0-9]+$ ]] && (($1 > 0)); }
has_case() { [[ " ${CASES[*]} " == *" $1 "* ]]; }
need() { # case... → whether any of them runs
	local c
	for c; do has_case "$c" && return 0; done
	return 1
}
if [[ ${BENCH_BIG:-0} == 1 ]] && ! has_case reports; then CASES+=(reports); fi

for v in DURATION CONNS WRK_THREADS TENANTS PER_TENANT SERVICES FAMILIES WALK WAITERS SLOW \
	BIG_FAMILIES REPORT_RUNS WRK_TIMEOUT; do
	is_uint "${!v}" || die "$v must be a positive integer, got '${!v}'"
done
[[ $WARMUP =~ ^[0-9]+$ ]] || die "BENCH_WARMUP must be an integer"
((TENANTS <= 99)) || die "BENCH_TENANTS must be at most 99 (TERYT powiat codes 01..99)"
((FAMILIES <= 1000)) || die "BENCH_FAMILIES must be at most 1000 (PESELs of the seed)"
((${#THREAD_LIST[@]} > 0)) || die "BENCH_THREADS is empty"
for t in "${THREAD_LIST[@]}"; do is_uint "$t" || die "BENCH_THREADS: '$t' is not a thread count"; done
((${#CASES[@]} > 0)) || die "BENCH_CASES is empty"
for c in "${CASES[@]}"; do
	[[ " $ALL_CASES " == *" $c "* ]] || die "BENCH_CASES: unknown case '$c' ($ALL_CASES)"
done
[[ $SEARCH_WORDS =~ ^[a-z\ ]+$ ]] || die "BENCH_SEARCH_WORDS: lower-case words without diacritics"
LP_WAIT=${BENCH_LP_WAIT:-$((DURATION + 20 > 30 ? DURATION + 20 : 30))}
if has_case longpoll; then
	is_uint "$LP_WAIT" || die "BENCH_LP_WAIT must be a positive integer"
	((LP_WAIT <= 60)) || die "long-poll wait=$LP_WAIT: the API allows 60 s at most (shorter BENCH_DURATION)"
	((LP_WAIT >= DURATION + 5)) || die "BENCH_LP_WAIT must exceed BENCH_DURATION by 5 s at least"
	# the daemon's default KOOP_PER_IP_LIMIT is 256 and everything here comes from 127.0.0.1
	((WAITERS + CONNS + 8 <= 256)) || die "BENCH_WAITERS + BENCH_CONNECTIONS exceed the per-IP limit (256)"
fi
[[ -x $KOOPERD ]] || die "$KOOPERD not found; build it first (make BUILD=$BUILD $BUILD/kooperd)"
for tool in wrk pgbench psql curl; do
	command -v "$tool" >/dev/null || die "$tool not found (bash scripts/deps.sh bench)"
done
PERL=/usr/bin/perl # PostgreSQL's own scripts (postgresql-common) depend on it
if has_case longpoll; then
	"$PERL" -MTime::HiRes -MIO::Select -e1 2>/dev/null || die "longpoll needs $PERL with Time::HiRes"
fi

# ratio targets (no target: the pgbench side is much less work than the route, see its .sql)
declare -A TARGET=([get]=0.6 [list]=0.7 [create]=0.8 [search]=0.7 [family_get]=0.6 [referrals]=0.7
	[lp-idle]=0.6 [lp-wait]=0.6)
declare -A PG_SCRIPT=([get]=bench/pg_get.sql [list]=bench/pg_list.sql [create]=bench/pg_create.sql
	[search]=bench/pg_search.sql [family_get]=bench/pg_family_get.sql
	[referrals]=bench/pg_referrals.sql [accept]=bench/pg_accept.sql
	[rep-families]=bench/pg_report_families.sql [rep-referrals]=bench/pg_report_referrals.sql)
# the pgbench run a table row compares with (default: its own name)
declare -A PG_OF=([lp-idle]=get [lp-wait]=get [sl-idle]=get [sl-attack]=get)

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
	SERVE_URL=$(scripts/pg.sh url "$pg_dir" koop_bench koop_serve)
else
	pg_kind=fixture
	fixture_env=$(scripts/test-pg-fixture.sh start koop_bench)
	KOOP_PG_DIR="" DATABASE_URL=""
	eval "$fixture_env"
	# the bench seeds and runs pgbench as the owner; only kooperd serve uses the serving login
	SERVE_URL=$DATABASE_URL DATABASE_URL=$DATABASE_OWNER_URL
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

# the pgbench variables of every script (1 where a seed did not run: those scripts do not run)
NWORDS=1 NFAMILIES=1 NPGREF=1
SLICES=${#THREAD_LIST[@]} # one accept walk per daemon run

lua_str_list() { # words... → "w1","w2"
	local w out=""
	for w; do out+="${out:+,}\"$w\""; done
	echo "$out"
}

if need search referrals accept; then
	t0=$SECONDS
	q -v services="$SERVICES" -v words="$SEARCH_WORDS" -f bench/seed_services.sql >>"$OUT/seed.log"
	NWORDS=$(q -c "SELECT count(*) FROM bench_words")
	n=$(q -c "SELECT count(*) FROM services")
	((n >= TENANTS * SERVICES)) || die "seeding left $n services"
	read -r -a words <<<"$SEARCH_WORDS"
	qlist=$(lua_str_list "${words[@]}")
	DATA_SEARCH=$OUT/data-search.lua
	{
		echo "return {"
		for tid in $(q -c "SELECT tenant_id FROM bench_tenants ORDER BY n"); do
			printf '{token = "%s", q = {%s}},\n' "${TOKEN[$tid]}" "$qlist"
		done
		echo "}"
	} >"$DATA_SEARCH"
	say "seeded $n services in $((SECONDS - t0)) s ($(q -c "SELECT string_agg(w || ': ' ||
		(SELECT count(*) FROM services s JOIN bench_tenants b USING (tenant_id)
		 WHERE b.n = 1 AND s.search LIKE koop.contains_pattern(w)), ', ' ORDER BY n)
		FROM bench_words") matches in the first tenant)"
fi

if need family_get referrals accept; then
	t0=$SECONDS
	q -v families="$FAMILIES" -f bench/seed_families.sql >>"$OUT/seed.log"
	NFAMILIES=$(q -c "SELECT count(*) FROM bench_families")
	((NFAMILIES == TENANTS * FAMILIES)) || die "seeding left $NFAMILIES families"
	DATA_FAMILY=$OUT/data-family.lua
	{
		echo "return {"
		q -F '|' -c "SELECT t.secret, string_agg('\"' || f.id || '\"', ',')
		             FROM bench_tokens t JOIN bench_families f USING (tenant_id)
		             WHERE t.role = 'social_worker' GROUP BY t.secret" |
			while IFS='|' read -r secret ids; do
				printf '{token = "%s", ids = {%s}},\n' "$secret" "$ids"
			done
		echo "}"
	} >"$DATA_FAMILY"
	say "seeded $NFAMILIES families with $(q -c "SELECT count(*) FROM family_members") members" \
		"and $TENANTS social workers in $((SECONDS - t0)) s"
fi

if need referrals accept; then
	t0=$SECONDS
	q -v walk="$WALK" -v slices="$SLICES" -v pg="$PG_REFERRALS" -f bench/seed_referrals.sql \
		>>"$OUT/seed.log"
	NPGREF=$(q -c "SELECT count(*) FROM bench_referrals WHERE slice = -1")
	n=$(q -c "SELECT count(*) FROM bench_referrals WHERE slice >= 0")
	((n == TENANTS * WALK * SLICES && NPGREF == TENANTS * PG_REFERRALS)) ||
		die "seeding left $n + $NPGREF referrals"
	DATA_REFERRALS=$OUT/data-referrals.lua
	{
		echo "return {"
		q -c "SELECT secret FROM bench_tokens WHERE role = 'partner_staff' ORDER BY tenant_id" |
			while read -r secret; do printf '{token = "%s"},\n' "$secret"; done
		echo "}"
	} >"$DATA_REFERRALS"
	for ((si = 0; si < SLICES; si++)); do
		{
			echo "return {"
			q -F '|' -c "SELECT t.secret, string_agg('\"' || r.id || '\"', ',' ORDER BY r.k)
			             FROM bench_tokens t JOIN bench_referrals r USING (tenant_id)
			             WHERE t.role = 'partner_staff' AND r.slice = $si
			             GROUP BY r.tenant_n, t.secret ORDER BY r.tenant_n" |
				while IFS='|' read -r secret ids; do
					printf '{token = "%s", ids = {%s}},\n' "$secret" "$ids"
				done
			echo "}"
		} >"$OUT/data-accept-$si.lua"
	done
	say "seeded a task team per tenant with $((WALK * SLICES + PG_REFERRALS + 1)) referrals each" \
		"in $((SECONDS - t0)) s"
fi

BIG_TENANT="" BIG_TOKEN=""
if need reports; then
	t0=$SECONDS
	say "seeding the reports tenant: $BIG_FAMILIES families (takes a while)"
	BIG_TENANT=$("$KOOPERD" create-tenant --name "Miasto Bench (duże)" --teryt 1465011 \
		--kind miasto_na_prawach_powiatu --voivodeship mazowieckie 2>>"$OUT/seed.log") ||
		die "create-tenant (big) failed (see $OUT/seed.log)"
	BIG_TOKEN=$("$KOOPERD" create-token --role admin --tenant "$BIG_TENANT" --name "Bench big admin" \
		--email "bench-big-admin@example.org" 2>>"$OUT/seed.log") ||
		die "create-token (big) failed (see $OUT/seed.log)"
	q -v tenant="$BIG_TENANT" -v families="$BIG_FAMILIES" -f bench/seed_big.sql >>"$OUT/seed.log"
	n=$(q -c "SELECT count(*) FROM families WHERE tenant_id = '$BIG_TENANT'")
	((n == BIG_FAMILIES)) || die "seeding left $n families in the reports tenant"
	say "seeded $n families, $(q -c "SELECT count(*) FROM task_teams WHERE tenant_id = '$BIG_TENANT'")" \
		"teams and $(q -c "SELECT count(*) FROM plan_actions WHERE tenant_id = '$BIG_TENANT'")" \
		"referrals in the reports tenant in $((SECONDS - t0)) s"
fi

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
	# limits that would throttle the load itself are lifted: wrk's 50 tokens would pass
	# KOOP_RATE_LIMIT, the long-poll case's one token KOOP_LONGPOLL_PER_TOKEN; the slowloris
	# case holds BENCH_SLOW connections beside wrk's (KOOP_CONN_LIMIT); /metrics is read here
	KOOP_LISTEN=127.0.0.1:$PORT KOOP_THREADS=$1 KOOP_DRAIN_TIMEOUT=5 KOOP_METRICS_PUBLIC=1 \
		KOOP_RATE_LIMIT=10000000 KOOP_LONGPOLL_PER_TOKEN=$((WAITERS + 8)) \
		KOOP_CONN_LIMIT=$((SLOW + CONNS + WAITERS + 64)) \
		DATABASE_URL=$SERVE_URL "$KOOPERD" serve 2>>"$OUT/daemon-t$1.log" &
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
ms() { awk -v us="$1" 'BEGIN { printf "%.2f", us / 1000 }'; }
per_req() { # ticks requests → µs per request
	awk -v t="$1" -v n="$2" -v us="$TICK_US" 'BEGIN { if (n > 0) printf "%.0f", t * us / n; else print "?" }'
}

run_wrk() { # mode seconds logname datafile → the BENCH line, plus CPU ticks of wrk, daemon, cluster
	local log=$OUT/$3 w0 d0 p0
	child_ticks
	w0=$CHILD_TICKS d0=$(proc_ticks "$daemon_pid") p0=$(db_ticks)
	BENCH_STATUS_HOOK=${BENCH_STATUS_HOOK:-1} wrk -t"$WRK_THREADS" -c"$CONNS" -d"$2s" --latency \
		--timeout "${WRK_TIMEOUT}s" -s bench/partners.lua "http://127.0.0.1:$PORT" -- "$1" "$4" "$WRK_THREADS" >"$log" 2>&1 ||
		die "wrk failed ($log): $(tail -n 3 "$log")"
	local line
	line=$(grep -m1 '^BENCH ' "$log") || die "no result line from wrk ($log)"
	child_ticks
	echo "$line cpu_wrk=$((CHILD_TICKS - w0)) cpu_daemon=$(($(proc_ticks "$daemon_pid") - d0))" \
		"cpu_db=$(($(db_ticks) - p0))"
}

declare -A R_RPS R_P50 R_P99 R_BAD R_STAT R_CWRK R_CSRV R_CDB R_NOTE
declare -A PG_TPS PG_LAT PG_FAIL PG_CCLI PG_CDB RSS HWM
declare -a ROWS=() # table rows (case names), in order of first run
declare -A LP REP
errors=0

add_row() { [[ " ${ROWS[*]} " == *" $1 "* ]] || ROWS+=("$1"); }

record_wrk() { # row threads line
	local k="$1/$2" line=$3 n bad=0 f
	add_row "$1"
	R_RPS[$k]=$(kv "$line" rps)
	R_P50[$k]=$(kv "$line" p50_us)
	R_P99[$k]=$(kv "$line" p99_us)
	R_STAT[$k]=$(kv "$line" statuses)
	n=$(kv "$line" requests)
	R_CWRK[$k]=$(per_req "$(kv "$line" cpu_wrk)" "$n")
	R_CSRV[$k]=$(per_req "$(kv "$line" cpu_daemon)" "$n")
	R_CDB[$k]=$(per_req "$(kv "$line" cpu_db)" "$n")
	for f in non2xx err_connect err_read err_write err_status err_timeout; do
		bad=$((bad + $(kv "$line" "$f")))
	done
	R_BAD[$k]=$bad
	if ((bad > 0)); then
		errors=$((errors + 1))
		echo "bench: !!! wrk $1 with $2 threads: $bad bad responses or socket errors: $line" >&2
	fi
}

run_pgbench() { # key: a script of PG_SCRIPT; reports run -c1 for BENCH_REPORT_RUNS transactions
	local c=$1 log=$OUT/pgbench-$1.txt rc=0 n0 w0 p0 ntx
	local -a how=(-c "$CONNS" -j "$WRK_THREADS" -T "$DURATION")
	[[ $c == rep-* ]] && how=(-c 1 -j 1 -t "$REPORT_RUNS")
	child_ticks
	n0=$(db_children | wc -l) w0=$CHILD_TICKS p0=$(db_ticks)
	pgbench -n "${how[@]}" -M prepared -f "${PG_SCRIPT[$c]}" \
		-D nids="$NIDS" -D ntenants="$NTENANTS" -D nwords="$NWORDS" -D nfamilies="$NFAMILIES" \
		-D npgref="$NPGREF" "$DATABASE_URL" >"$log" 2>&1 || rc=$?
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

pgbench_once() { # key
	if [[ -z ${PG_TPS[$1]:-} ]]; then
		say "pgbench $1"
		run_pgbench "$1"
	fi
}

data_of() { # case slice → wrk's data file
	case $1 in
	search) echo "$DATA_SEARCH" ;;
	family_get) echo "$DATA_FAMILY" ;;
	referrals) echo "$DATA_REFERRALS" ;;
	accept) echo "$OUT/data-accept-$2.lua" ;;
	*) echo "$DATA" ;;
	esac
}

run_case() { # case threads slice
	local c=$1 th=$2 line
	say "wrk $c (threads $th, -t$WRK_THREADS -c$CONNS, ${DURATION}s)"
	line=$(run_wrk "$c" "$DURATION" "wrk-$c-t$th.txt" "$(data_of "$c" "$3")")
	record_wrk "$c" "$th" "$line"
	if [[ $c == accept ]]; then
		local ex walk
		ex=$(kv "$line" exhausted) walk=$(kv "$line" walk_us)
		R_NOTE[$c/$th]="each of $(kv "$line" requests) referrals accepted once"
		if ((${ex:-0} > 0)); then
			R_NOTE[$c/$th]+="; the walk ran out after $(ms "${walk:-0}") ms of ${DURATION} s (rate over the walk; raise BENCH_WALK)"
		fi
	fi
	pgbench_once "$c"
}

metric() { # name → value from /metrics
	curl -fsS "http://127.0.0.1:$PORT/metrics" | awk -v m="$1" '$1 == m { print $2; exit }'
}
threads_of() { awk '/^Threads:/ { print $2 }' "/proc/$1/status"; }
pg_conns() { # → "kooperd's connections/all client connections" (not counting this query's)
	q -c "SELECT count(*) FILTER (WHERE application_name = 'kooperd') || '/' || count(*)
	      FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"
}
now_s() { date +%s.%N; }

# BENCH_WAITERS long-polls in the first tenant; GET partners without and with them; one event.
run_longpoll() { # threads
	local th=$1 tid tok after lp_out lp_pid line n d t0 t1 status k="$1"
	tid=$(q -c "SELECT tenant_id FROM bench_tenants WHERE n = 1")
	tok=${TOKEN[$tid]}
	say "longpoll: wrk get without waiters (threads $th, ${DURATION}s)"
	line=$(run_wrk get "$DURATION" "wrk-lp-idle-t$th.txt" "$DATA")
	record_wrk lp-idle "$th" "$line"

	after=$(q -c "SELECT coalesce(max(id), 0) FROM events")
	lp_out=$OUT/longpoll-t$th.txt
	say "longpoll: $WAITERS clients on GET /v1/events?after=$after&wait=$LP_WAIT"
	"$PERL" bench/longpoll.pl "$PORT" "$tok" "$after" "$WAITERS" "$LP_WAIT" >"$lp_out" 2>&1 &
	lp_pid=$!
	local deadline=$((SECONDS + 20)) waiting=0
	while :; do
		waiting=$(metric koop_longpoll_waiting)
		((${waiting:-0} >= WAITERS)) && break
		if ! kill -0 "$lp_pid" 2>/dev/null || ((SECONDS >= deadline)); then
			kill "$lp_pid" 2>/dev/null || true
			wait "$lp_pid" 2>/dev/null || true
			tail -n 5 "$lp_out" >&2
			die "longpoll: only ${waiting:-0} of $WAITERS clients are waiting (see $lp_out)"
		fi
		sleep 0.1
	done
	LP[$k.sent]=$(awk '/^SENT/ { print $2 }' "$lp_out")
	LP[$k.waiting]=$waiting
	LP[$k.threads]=$(threads_of "$daemon_pid")
	LP[$k.conns]=$(pg_conns)
	LP[$k.rss]=$(awk '/^VmRSS:/ { print $2 }' "/proc/$daemon_pid/status")

	say "longpoll: wrk get with $WAITERS waiters (threads $th, ${DURATION}s)"
	line=$(run_wrk get "$DURATION" "wrk-lp-wait-t$th.txt" "$DATA")
	record_wrk lp-wait "$th" "$line"
	LP[$k.waiting2]=$(metric koop_longpoll_waiting)
	LP[$k.threads2]=$(threads_of "$daemon_pid")
	LP[$k.conns2]=$(pg_conns)
	n=$(grep -c '^ANSWER' "$lp_out" || true)
	if ((n > 0)) || ((${LP[$k.waiting2]:-0} != WAITERS)); then
		errors=$((errors + 1))
		echo "bench: !!! longpoll: $n clients answered before any event (waiting ${LP[$k.waiting2]})" >&2
	fi

	# one event in the waiters' tenant, through the API
	local body
	body='{"name":"Partner long-poll bench","short_name":"LP","sector":"ngo","address":{"street":"ul. Testowa","building":"1","postal_code":"40-001","city":"Katowice"},"contacts":[{"name":"Jan Kowalski","role":"koordynator","email":"lp@example.org"}]}'
	t0=$(now_s)
	status=$(curl -sS -o "$OUT/longpoll-event-t$th.json" -w '%{http_code}' -X POST \
		-H "Authorization: Bearer $tok" -H 'Content-Type: application/json' \
		-H "X-Request-Id: bench-longpoll-event-t$th" --data "$body" \
		"http://127.0.0.1:$PORT/v1/partners") || status=000
	t1=$(now_s)
	[[ $status == 201 ]] || {
		errors=$((errors + 1))
		echo "bench: !!! longpoll: POST /v1/partners answered $status" >&2
	}
	wait "$lp_pid" || true
	LP[$k.after]=$(metric koop_longpoll_waiting)
	LP[$k.done]=$(grep -m1 '^DONE' "$lp_out" || echo "DONE answered=0 non2xx=0 failed=$WAITERS with_events=0")
	# the reference: when the daemon logged the POST (just after its commit and its answer);
	# else when curl was started (which adds curl's own start-up)
	local ts tc ref="the POST was sent"
	ts=$(grep -m1 "\"request_id\":\"bench-longpoll-event-t$th\"" "$OUT/daemon-t$th.log" |
		sed -n 's/.*"ts":"\([^"]*\)".*/\1/p')
	tc=$t0
	if [[ -n $ts ]] && tc=$(date -d "$ts" +%s.%N 2>/dev/null); then
		ref="the daemon answered the POST (access log)"
	else
		tc=$t0
	fi
	LP[$k.delays]=$(awk -v t0="$tc" '/^ANSWER/ { printf "%.3f\n", ($2 - t0) * 1000 }' "$lp_out" |
		sort -n | awk -v ref="$ref" -v t0="$t0" -v t1="$t1" '{ d[NR] = $1 }
		END { if (!NR) { print "none"; exit }
			printf "answers came first %.1f, median %.1f, p90 %.1f, last %.1f ms after %s (curl took %.1f ms for the POST)",
				d[1], d[int((NR + 1) / 2)], d[int(NR * 0.9 + 0.5)], d[NR], ref, (t1 - t0) * 1000 }')
	d=${LP[$k.done]}
	if [[ $(kv "$d" answered) != "$WAITERS" || $(kv "$d" non2xx) != 0 || $(kv "$d" failed) != 0 ||
		$(kv "$d" with_events) != "$WAITERS" ]]; then
		errors=$((errors + 1))
		echo "bench: !!! longpoll: not every client got the event with a 2xx: $d (see $lp_out)" >&2
	fi
	pgbench_once get
}

# BENCH_SLOW slow clients (a header line every 5 s, never the end of the headers) from
# 127.0.0.2..6 while wrk runs GETs from 127.0.0.1: no GET may fail, and their p99 is compared
# with a run without them. The daemon closes each slow connection at its header deadline
# (KOOP_HEADER_TIMEOUT, 10 s) and the script opens it again at once.
declare -A SL
run_slowloris() { # threads
	local th=$1 out=$OUT/slowloris-t$1.txt pid line deadline
	say "slowloris: wrk get without slow clients (threads $th, ${DURATION}s)"
	line=$(run_wrk get "$DURATION" "wrk-sl-idle-t$th.txt" "$DATA")
	record_wrk sl-idle "$th" "$line"
	say "slowloris: $SLOW slow clients from 127.0.0.2..6"
	"$PERL" bench/slowloris.pl "$PORT" "$SLOW" $((DURATION + 25)) 5 >"$out" 2>&1 &
	pid=$!
	deadline=$((SECONDS + 60))
	until grep -q '^READY' "$out"; do
		kill -0 "$pid" 2>/dev/null || die "slowloris: the script exited (see $out)"
		((SECONDS < deadline)) || die "slowloris: $SLOW connections not open within 60 s"
		sleep 0.2
	done
	sleep 11 # past the first header deadline: the attack is in its steady state
	SL[$th.ready]=$(grep -m1 '^READY' "$out")
	say "slowloris: wrk get with them (threads $th, ${DURATION}s)"
	line=$(run_wrk get "$DURATION" "wrk-sl-attack-t$th.txt" "$DATA")
	record_wrk sl-attack "$th" "$line"
	SL[$th.status]=$(grep '^STATUS' "$out" | tail -n 1)
	SL[$th.cut]=$(awk '/request headers took over/ { sub(/.*"msg":"closed /, ""); s += $1 } END { print s + 0 }' \
		"$OUT/daemon-t$th.log")
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	pgbench_once get
}

# The reports of the big tenant, one request at a time.
run_reports() { # threads
	local th=$1 name row k log w0 d0 p0 i n st bad
	for name in families referrals; do
		row=rep-$name k="rep-$name/$th" log=$OUT/report-$name-t$th.txt
		say "reports: GET /v1/reports/$name x $REPORT_RUNS (threads $th)"
		add_row "$row"
		: >"$log"
		child_ticks
		w0=$CHILD_TICKS d0=$(proc_ticks "$daemon_pid") p0=$(db_ticks)
		for ((i = 0; i < REPORT_RUNS; i++)); do
			curl -sS -o "$OUT/report-$name.json" -w '%{http_code} %{time_total}\n' \
				-H "Authorization: Bearer $BIG_TOKEN" "http://127.0.0.1:$PORT/v1/reports/$name" \
				>>"$log" 2>&1 || echo "000 0" >>"$log"
		done
		child_ticks
		R_CWRK[$k]=$(per_req $((CHILD_TICKS - w0)) "$REPORT_RUNS")
		R_CSRV[$k]=$(per_req $(($(proc_ticks "$daemon_pid") - d0)) "$REPORT_RUNS")
		R_CDB[$k]=$(per_req $(($(db_ticks) - p0)) "$REPORT_RUNS")
		read -r n st <<<"$(awk '{ c[$1]++ } END { s = ""; for (k in c) s = s (s ? "," : "") k ":" c[k]; print NR, s }' "$log")"
		R_STAT[$k]=$st
		bad=$(awk '$1 !~ /^2/ { b++ } END { print b + 0 }' "$log")
		R_BAD[$k]=$bad
		if ((bad > 0)); then
			errors=$((errors + 1))
			echo "bench: !!! GET /v1/reports/$name: $bad non-2xx answers ($st; see $log, $OUT/report-$name.json)" >&2
		fi
		R_P50[$k]=$(awk '{ printf "%d\n", $2 * 1e6 }' "$log" | sort -n |
			awk '{ t[NR] = $1 } END { print t[int((NR + 1) / 2)] + 0 }')
		R_P99[$k]=$(awk '{ if ($2 * 1e6 > m) m = $2 * 1e6 } END { printf "%d", m }' "$log")
		R_RPS[$k]=$(awk -v us="${R_P50[$k]}" 'BEGIN { printf "%.2f", (us > 0 ? 1e6 / us : 0) }')
		REP[$k.rows]=$(awk 'BEGIN { RS = "\"dimension\"" } END { print NR - 1 }' "$OUT/report-$name.json")
		pgbench_once "$row"
	done
}

si=0
for th in "${THREAD_LIST[@]}"; do
	say "daemon with KOOP_THREADS=$th"
	start_daemon "$th"
	if ((WARMUP > 0)); then
		run_wrk get "$WARMUP" "warmup-t$th.txt" "$DATA" >/dev/null
	fi
	for c in "${CASES[@]}"; do
		case $c in
		longpoll) run_longpoll "$th" ;;
		slowloris) run_slowloris "$th" ;;
		reports) run_reports "$th" ;;
		*) run_case "$c" "$th" "$si" ;;
		esac
	done
	RSS[$th]=$(awk '/^VmRSS:/ {print $2}' "/proc/$daemon_pid/status")
	HWM[$th]=$(awk '/^VmHWM:/ {print $2}' "/proc/$daemon_pid/status")
	stop_daemon
	si=$((si + 1))
done
stop_cluster

# ---- 5. report ----


echo
echo "Kooperacje bench — $(date -u +%FT%TZ), $(nproc) CPUs, wrk -t$WRK_THREADS -c$CONNS -d${DURATION}s," \
	"pgbench -c$CONNS -j$WRK_THREADS -T$DURATION -M prepared, $NIDS partners / $NTENANTS tenants," \
	"cluster $([[ $DURABLE == 1 ]] && echo 'durable (fsync on)' || echo 'fast (fsync off)')"
if need search referrals accept; then
	echo "  $((TENANTS * SERVICES)) services (q: $SEARCH_WORDS)$(need family_get referrals accept &&
		echo ", $((TENANTS * FAMILIES)) families")$(need referrals accept &&
		echo ", a task team per tenant with $((WALK * SLICES + PG_REFERRALS + 1)) referrals to one partner")"
fi
fmt='%-12s %7s %10s %8s %8s %12s %8s %6s %7s %-4s %s\n'
# shellcheck disable=SC2059 # the format is ours
printf "$fmt" case threads "wrk req/s" "p50 ms" "p99 ms" "pgbench TPS" "pg ms" ratio target met "wrk responses"
missed=0
for c in "${ROWS[@]}"; do
	pgk=${PG_OF[$c]:-$c}
	for th in "${THREAD_LIST[@]}"; do
		k="$c/$th"
		if [[ -z ${R_RPS[$k]:-} || -z ${PG_TPS[$pgk]:-} ]]; then
			errors=$((errors + 1))
			echo "!!! no result for $c with $th threads"
		fi
		ratio=$(awk -v a="${R_RPS[$k]:-0}" -v b="${PG_TPS[$pgk]:-0}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')
		if [[ -n ${TARGET[$c]:-} ]]; then
			target=">=${TARGET[$c]}"
			met=$(awk -v r="$ratio" -v t="${TARGET[$c]}" 'BEGIN { print (r != "n/a" && r + 0 >= t + 0) ? "yes" : "NO" }')
			[[ $met == yes ]] || missed=$((missed + 1))
		else
			target=- met=-
		fi
		resp=${R_STAT[$k]:-0}
		((${R_BAD[$k]:-0} == 0)) || resp="!!! ${R_BAD[$k]:-0} BAD — $resp"
		# shellcheck disable=SC2059
		printf "$fmt" "$c" "$th" "${R_RPS[$k]:-0}" "$(ms "${R_P50[$k]:-0}")" "$(ms "${R_P99[$k]:-0}")" \
			"${PG_TPS[$pgk]:-0}" "${PG_LAT[$pgk]:-?}" "$ratio" "$target" "$met" "$resp"
	done
done
for c in "${ROWS[@]}"; do
	for th in "${THREAD_LIST[@]}"; do
		[[ -z ${R_NOTE[$c/$th]:-} ]] || echo "  $c (threads $th): ${R_NOTE[$c/$th]}"
	done
done
[[ " ${ROWS[*]} " != *" accept "* ]] || echo "  accept: pgbench is the bare UPDATE of the referral's row; the route's transaction does much more (no target)"
[[ " ${ROWS[*]} " != *" lp-"* ]] || echo "  lp-idle, lp-wait: GET /v1/partners/{id} without and with $WAITERS long-poll waiters; pgbench: get"
[[ " ${ROWS[*]} " != *" sl-"* ]] || echo "  sl-idle, sl-attack: GET /v1/partners/{id} without and with $SLOW slow clients; pgbench: get"
[[ " ${ROWS[*]} " != *" rep-"* ]] || echo "  rep-*: $REPORT_RUNS requests one at a time: req/s = 1/p50, p50 = median, p99 = slowest; pgbench -c1 -t$REPORT_RUNS"
echo
echo "CPU per request, µs (all cores; 2 vCPUs give 2,000,000 µs per second between everything):"
fmt2='%-12s %7s %10s %14s %10s %14s %14s\n'
# shellcheck disable=SC2059
printf "$fmt2" case threads kooperd "postgres(api)" "wrk/curl" "postgres(pgb)" "pgbench client"
for c in "${ROWS[@]}"; do
	pgk=${PG_OF[$c]:-$c}
	for th in "${THREAD_LIST[@]}"; do
		k="$c/$th"
		# shellcheck disable=SC2059
		printf "$fmt2" "$c" "$th" "${R_CSRV[$k]:-0}" "${R_CDB[$k]:-0}" "${R_CWRK[$k]:-0}" "${PG_CDB[$pgk]:-0}" "${PG_CCLI[$pgk]:-0}"
	done
done
if has_case longpoll; then
	echo
	echo "Long-poll: $WAITERS clients on GET /v1/events?after=LATEST&wait=$LP_WAIT in one tenant (bench/longpoll.pl)"
	for th in "${THREAD_LIST[@]}"; do
		k=$th
		[[ -n ${LP[$k.waiting]:-} ]] || continue
		echo "  KOOP_THREADS=$th: koop_longpoll_waiting ${LP[$k.waiting]} (after the wrk run with them: ${LP[$k.waiting2]}," \
			"after the event: ${LP[$k.after]:-?}); daemon threads ${LP[$k.threads]} (${LP[$k.threads2]} after wrk)," \
			"RSS $((${LP[$k.rss]:-0} / 1024)) MB"
		echo "    PostgreSQL client connections while they wait, kooperd's/all: ${LP[$k.conns]} (after wrk: ${LP[$k.conns2]})"
		echo "    GET p50/p99 ms without waiters $(ms "${R_P50[lp-idle/$th]:-0}")/$(ms "${R_P99[lp-idle/$th]:-0}")," \
			"with them $(ms "${R_P50[lp-wait/$th]:-0}")/$(ms "${R_P99[lp-wait/$th]:-0}")"
		echo "    one event (POST /v1/partners in their tenant): ${LP[$k.done]#DONE }; ${LP[$k.delays]}"
	done
fi
if has_case slowloris; then
	echo
	echo "Slowloris: $SLOW connections from 127.0.0.2..6, one header line every 5 s (bench/slowloris.pl)"
	for th in "${THREAD_LIST[@]}"; do
		[[ -n ${SL[$th.ready]:-} ]] || continue
		echo "  KOOP_THREADS=$th: GET p50/p99 ms without them $(ms "${R_P50[sl-idle/$th]:-0}")/$(ms "${R_P99[sl-idle/$th]:-0}")," \
			"with them $(ms "${R_P50[sl-attack/$th]:-0}")/$(ms "${R_P99[sl-attack/$th]:-0}");" \
			"failed GETs with them: ${R_BAD[sl-attack/$th]:-?}"
		echo "    slow clients: ${SL[$th.ready]#READY }, at the end ${SL[$th.status]#STATUS }; connections the daemon closed at their header deadline: ${SL[$th.cut]}"
	done
fi
if has_case reports; then
	echo
	echo "Reports of a tenant with $BIG_FAMILIES families (default period: this calendar year):"
	for th in "${THREAD_LIST[@]}"; do
		for name in families referrals; do
			k="rep-$name/$th"
			echo "  GET /v1/reports/$name (threads $th): median $(ms "${R_P50[$k]:-0}") ms, slowest $(ms "${R_P99[$k]:-0}") ms" \
				"over $REPORT_RUNS; SQL alone (pgbench) ${PG_LAT[rep-$name]:-?} ms; ${REP[$k.rows]:-?} rows in the report"
		done
	done
fi
echo
for th in "${THREAD_LIST[@]}"; do
	echo "daemon RSS after the runs (KOOP_THREADS=$th): VmRSS $((${RSS[$th]:-0} / 1024)) MB, peak VmHWM $((${HWM[$th]:-0} / 1024)) MB"
done
for th in "${THREAD_LIST[@]}"; do
	log=$OUT/daemon-t$th.log
	nerr=$(grep -c '"level":"error"' "$log" || true)
	# the header-deadline closings of the slowloris case are expected
	nwarn=$(grep '"level":"warn"' "$log" | grep -vc 'request headers took over' || true)
	if ((nerr + nwarn > 0)); then
		errors=$((errors + 1))
		echo "!!! daemon log (KOOP_THREADS=$th) has $nerr errors and $nwarn warnings, e.g.:"
		awk '/"level":"(error|warn)"/ && !/request headers took over/ { print; if (++n == 3) exit }' "$log"
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
