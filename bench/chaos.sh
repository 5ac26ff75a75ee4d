#!/usr/bin/env bash
# bench/chaos.sh — faults under load, measured (`make chaos`). Figures are printed, not asserted
# as tests; the exit status is 1 only when an acknowledged write is missing or duplicated, or a
# request in flight at SIGTERM failed.
#
#   bash bench/chaos.sh [BUILD]
#
# A throwaway cluster (scripts/test-pg-fixture.sh), `kooperd migrate` as the owner, one tenant and
# admin token, `kooperd serve` as koop_serve on a free port, and build/chaos_load (bench/chaos_load.c:
# libcurl clients, creates retried with their Idempotency-Key until acknowledged) for load:
#   a. mixed load (30 % creates); PostgreSQL stopped (fast) for CHAOS_DOWN s, then started: the
#      answers while it was down (503 with Retry-After? how fast?), the throughput in the 5 s after
#      it is back as a % of the 5 s before, every acknowledged create in the database exactly once;
#   b. creates only; the daemon SIGKILLed and restarted at once on the same port: every acknowledged
#      create present exactly once, retried creates not duplicated;
#   c. mixed load; SIGTERM: requests in flight complete (no answer lost mid-request); connections
#      refused once the listener closed are counted apart (a load balancer sends them elsewhere).
# Environment: CHAOS_THREADS (8), CHAOS_DOWN (3), KOOP_THREADS for the daemon (4).
set -euo pipefail

BUILD=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
[[ $BUILD == /* ]] || BUILD=$root/$BUILD
KOOPERD=$BUILD/kooperd LOAD=$BUILD/chaos_load
[[ -x $KOOPERD && -x $LOAD ]] || { echo "chaos: build $KOOPERD and $LOAD first (make chaos)" >&2; exit 1; }
THREADS=${CHAOS_THREADS:-8}
DOWN=${CHAOS_DOWN:-3}
PSQL=/usr/lib/postgresql/15/bin/psql
out=$(mktemp -d /tmp/koopchaos.XXXXXX)
daemon_pid=""
KOOP_PG_DIR=""
bad=0

cleanup() {
	local rc=$?
	[[ -n $daemon_pid ]] && kill -TERM "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
	[[ -n $KOOP_PG_DIR ]] && scripts/test-pg-fixture.sh stop "$KOOP_PG_DIR" >/dev/null 2>&1
	if ((rc != 0)); then echo "chaos: logs kept in $out" >&2; else rm -rf "$out"; fi
	exit "$rc"
}
trap cleanup EXIT
say() { echo "chaos: $*" >&2; }
ms() { date +%s%3N; }

eval "$(scripts/test-pg-fixture.sh start koop_chaos)"
export DATABASE_URL DATABASE_OWNER_URL
q() { "$PSQL" "$DATABASE_OWNER_URL" -XAtq -v ON_ERROR_STOP=1 "$@"; }
"$KOOPERD" migrate 2>"$out/migrate.log"
tenant=$("$KOOPERD" create-tenant --name "Gmina Chaos" --teryt 2415011 --kind gmina_miejska --voivodeship slaskie)
token=$("$KOOPERD" create-token --role admin --name "Chaos admin" --tenant "$tenant" --email chaos@example.invalid)

port=""
for _ in $(seq 1 50); do
	p=$((20000 + RANDOM % 40000))
	(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { port=$p; break; }
done
[[ -n $port ]] || { say "no free port"; exit 1; }
BASE=http://127.0.0.1:$port

start_daemon() {
	KOOP_LISTEN=127.0.0.1:$port KOOP_THREADS=${KOOP_THREADS:-4} KOOP_PER_IP_LIMIT=1000 \
		KOOP_DRAIN_TIMEOUT=10 "$KOOPERD" serve 2>>"$out/daemon.log" &
	daemon_pid=$!
	for _ in $(seq 1 300); do
		curl -fsS -o /dev/null "$BASE/healthz" 2>/dev/null && return 0
		sleep 0.02
	done
	say "the daemon did not start"
	exit 1
}

# exactly_once NAME: every acknowledged key of run NAME is one partner; prints the figures
exactly_once() {
	local name=$1
	cat "$out/$name".*.acked >"$out/$name.acked"
	cat "$out/$name".*.keys >"$out/$name.keys"
	local acked tried missing dup
	acked=$(wc -l <"$out/$name.acked")
	tried=$(wc -l <"$out/$name.keys")
	q -c "SET client_min_messages = warning; CREATE TABLE IF NOT EXISTS chaos_keys (run text, key text, acked bool)" >/dev/null
	{
		echo "COPY chaos_keys (run, key, acked) FROM STDIN;"
		sed "s/^/$name\t/; s/\$/\tf/" "$out/$name.keys"
		echo '\.'
	} | q >/dev/null
	{
		echo "CREATE TEMP TABLE a (key text); COPY a FROM STDIN;"
		cat "$out/$name.acked"
		echo '\.'
		echo "UPDATE chaos_keys k SET acked = true FROM a WHERE k.run = '$name' AND k.key = a.key;"
	} | q >/dev/null
	read -r missing dup < <(q -F ' ' -c "
		SELECT count(*) FILTER (WHERE k.acked AND n <> 1), count(*) FILTER (WHERE n > 1)
		FROM chaos_keys k LEFT JOIN LATERAL (SELECT count(*) AS n FROM partners p
			WHERE p.tenant_id = '$tenant' AND p.name = k.key) c ON true WHERE k.run = '$name'")
	echo "  creates: $tried tried, $acked acknowledged (2xx); acknowledged not exactly once: $missing; any key duplicated: $dup"
	((missing == 0 && dup == 0)) || bad=1
}

# awk over the run's log lines: epoch_ms kind status retry_after latency_ms curl_code
logs() { cat "$out/$1".*.log | sort -n; }

start_daemon
say "daemon on $BASE (serving as koop_serve), $THREADS clients"

# ---- a. PostgreSQL stopped and started under mixed load ----
echo
echo "== a. PostgreSQL stopped for ${DOWN} s under mixed load (30 % creates)"
"$LOAD" "$BASE" "$token" $((6 + DOWN + 7)) "$THREADS" 30 20 "$out/a" &
load=$!
sleep 6
t_stop=$(ms)
scripts/pg.sh stop "$KOOP_PG_DIR" 2>/dev/null
t_down=$(ms)
sleep "$DOWN"
t_start=$(ms)
KOOP_PG_FAST=1 scripts/pg.sh start "$KOOP_PG_DIR" 2>/dev/null
t_up=$(ms)
wait "$load"
logs a | awk -v stop="$t_stop" -v down="$t_down" -v start="$t_start" -v up="$t_up" '
	$3 >= 200 && $3 < 300 && $1 >= stop - 5000 && $1 < stop { before++ }
	$3 >= 200 && $3 < 300 && $1 >= up && $1 < up + 5000 { after++ }
	$1 >= down && $1 < start {
		n++
		if ($3 == 503 && $4 == 1) { f503++; if ($5 > max) max = $5; sum += $5 }
		else if ($3 == 0) other0++
		else { other++; if (!(($3) in seen)) { seen[$3] = 1; codes = codes " " $3 } }
	}
	END {
		printf "  while down (%.1f s): %d answers, %d of them 503 with Retry-After (mean %.1f ms, max %d ms), %d other statuses%s, %d without an HTTP answer\n",
			(start - down) / 1000, n, f503, f503 ? sum / f503 : 0, max, other, codes, other0
		printf "  throughput: %.0f 2xx/s in the 5 s before the stop, %.0f 2xx/s in the 5 s after PostgreSQL was back = %.0f %%\n",
			before / 5, after / 5, before ? 100 * after / before : 0
		printf "  PostgreSQL: fast stop took %d ms, start %d ms\n", down - stop, up - start
	}'
logs a | awk -v up="$t_up" -v stop="$t_stop" '
	$3 >= 200 && $3 < 300 && $1 >= stop - 5000 && $1 < stop { before++ }
	$3 >= 200 && $3 < 300 && $1 >= up && $1 < up + 5000 { s[int(($1 - up) / 1000)]++ }
	END { printf "  2xx/s in each second after it was back (before: %.0f):", before / 5
		for (i = 0; i < 5; i++) printf " %d", s[i]; printf "\n" }'
first_ok=$(logs a | awk -v up="$t_up" '$1 >= up && $3 >= 200 && $3 < 300 && !f { f = $1 - up + 1 } END { print f - 1 }')
echo "  first 2xx ${first_ok:-?} ms after PostgreSQL accepted connections again"
exactly_once a

# ---- b. SIGKILL under write load, restart ----
echo
echo "== b. kooperd SIGKILLed under write load (100 % creates), restarted at once"
"$LOAD" "$BASE" "$token" 10 "$THREADS" 100 20 "$out/b" &
load=$!
sleep 4
t_kill=$(ms)
kill -KILL "$daemon_pid"
wait "$daemon_pid" 2>/dev/null || true
daemon_pid=""
start_daemon
t_back=$(ms)
wait "$load"
logs b | awk -v kill="$t_kill" -v back="$t_back" '
	$1 >= kill && $1 < back + 1000 && $3 == 0 { lost++ }
	$3 == 201 { ok++ }
	END { printf "  restart took %d ms; %d requests without an answer around the kill (retried with their key); %d creates answered 201\n",
		back - kill, lost, ok }'
exactly_once b

# ---- c. SIGTERM under load ----
echo
echo "== c. SIGTERM under mixed load"
"$LOAD" "$BASE" "$token" 6 "$THREADS" 30 0 "$out/c" &
load=$!
sleep 3
t_term=$(ms)
kill -TERM "$daemon_pid"
drc=0
wait "$daemon_pid" || drc=$?
t_exit=$(ms)
daemon_pid=""
wait "$load"
logs c | awk -v term="$t_term" -v ex="$t_exit" -v drc="$drc" '
	$1 >= term && $1 - $5 < term { inflight++; if ($3 > 0) done++; else failed++ }
	$1 - $5 >= term && $3 == 0 && $6 == 7 { refused++ }
	$1 - $5 >= term && $3 == 0 && $6 != 7 { broken++ }
	$1 - $5 >= term && $3 > 0 { later++ }
	END {
		printf "  daemon exited %d, %d ms after SIGTERM\n", drc, ex - term
		printf "  in flight at SIGTERM: %d, answered: %d, failed: %d\n", inflight, done, failed
		printf "  sent after SIGTERM: %d answered while draining, %d refused (listener closed), %d cut mid-request\n", later, refused, broken
		if (failed || broken) exit 1
	}' || bad=1
exactly_once c

echo
if ((bad != 0)); then
	echo "chaos: FAILED (see above)"
	exit 1
fi
echo "chaos: every acknowledged write is present exactly once; nothing in flight was lost"
