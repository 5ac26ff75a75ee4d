#!/usr/bin/env bash
# The whole suite, as `make test` runs it:
#   1. unit tests (Check, pure functions, no database);
#   2. a throwaway PostgreSQL (temp dir, fsync off, Unix socket), migrations;
#   3. the daemon on a free port, Prism's validating proxy in front of it;
#   4. the HTTP and database tests (Check + libcurl + libpq) against both;
#   5. Prism's log must hold no response that violates openapi.yaml;
#   6. read replicas: a streaming standby (pg_basebackup -R) and a second daemon reading from
#      it (DATABASE_READ_URL), the replica suite against that daemon;
#   7. SIGTERM must drain and exit 0; the daemon's log must hold no secret;
#   8. spectral + redocly lint of openapi.yaml.
# Usage: tests/run.sh [BUILD_DIR]. KOOP_VALGRIND=1 runs the daemon under memcheck;
# CK_RUN_SUITE=<suite> runs one HTTP suite and CK_RUN_CASE=<feature> one TCase of it
# (Check's own variables, e.g. CK_RUN_SUITE=families CK_RUN_CASE=consents);
# KOOP_SKIP_UNIT=1 skips the unit tests (a quick HTTP-only run).
set -euo pipefail

BUILD=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=$(mktemp -d /tmp/kooptest.XXXXXX)
daemon_pid=""
oidc_pid=""
replica_pid=""
prism_port=""
summary=()

cleanup() {
    local rc=$?
    if [[ -n $daemon_pid ]] && kill -0 "$daemon_pid" 2>/dev/null; then
        kill -TERM "$daemon_pid" 2>/dev/null || true
        wait "$daemon_pid" 2>/dev/null || true
    fi
    if [[ -n $oidc_pid ]] && kill -0 "$oidc_pid" 2>/dev/null; then
        kill -TERM "$oidc_pid" 2>/dev/null || true
        wait "$oidc_pid" 2>/dev/null || true
    fi
    if [[ -n $replica_pid ]] && kill -0 "$replica_pid" 2>/dev/null; then
        kill -TERM "$replica_pid" 2>/dev/null || true
        wait "$replica_pid" 2>/dev/null || true
    fi
    [[ -n ${KOOP_PG_STANDBY_DIR:-} ]] && scripts/test-pg-fixture.sh stop "$KOOP_PG_STANDBY_DIR" >/dev/null 2>&1 || true
    [[ -n $prism_port ]] && PRISM_PORT=$prism_port PRISM_DIR=$out scripts/prism-check.sh stop >/dev/null 2>&1 || true
    [[ -n ${KOOP_PG_DIR:-} ]] && scripts/test-pg-fixture.sh stop "$KOOP_PG_DIR" >/dev/null 2>&1 || true
    if ((rc != 0)); then
        echo "tests/run.sh: FAILED (logs kept in $out)" >&2
        [[ -f $out/daemon.log ]] && tail -n 20 "$out/daemon.log" >&2
    else
        rm -rf "$out"
    fi
    exit "$rc"
}
trap cleanup EXIT

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

wait_http() { # url timeout_s
    local deadline=$((SECONDS + $2))
    while ((SECONDS < deadline)); do
        if curl -fsS -o /dev/null "$1" 2>/dev/null; then return 0; fi
        if [[ -n $daemon_pid ]] && ! kill -0 "$daemon_pid" 2>/dev/null; then return 1; fi
        sleep 0.1
    done
    return 1
}

if [[ ${KOOP_SKIP_UNIT:-0} != 1 ]]; then # for a quick HTTP-only run while developing
    echo "== unit tests"
    "$BUILD/unit_tests" 2>&1 | tee "$out/unit.txt"
    # (-o: with CK_RUN_SUITE naming no unit suite, Check prints "Running suite(s):100%: Checks: 0")
    summary+=("unit: $(grep -oE '[0-9]+%: Checks: .*' "$out/unit.txt" | tail -n 1)")
fi

echo "== database"
eval "$(scripts/test-pg-fixture.sh start koop_test)"
# two credentials: DATABASE_OWNER_URL (postgres) migrates, DATABASE_URL (koop_serve) serves
export KOOP_PG_DIR DATABASE_URL DATABASE_OWNER_URL
# serve-only settings, even bad ones, stop neither --help, --version, routes nor migrate
KOOP_LISTEN=127.0.0.1:x "$BUILD/kooperd" --help >/dev/null
KOOP_LISTEN=127.0.0.1:x "$BUILD/kooperd" --version >/dev/null
KOOP_THREADS=0 "$BUILD/kooperd" routes >"$out/routes.txt"
grep -q 'personal-data=read:project' "$out/routes.txt"
KOOP_LISTEN=127.0.0.1:x KOOP_THREADS=0 "$BUILD/kooperd" migrate
# migrate lets the serving login log in with KOOP_SERVE_PASSWORD (trust auth here: it still may)
KOOP_SERVE_PASSWORD=test-only-password "$BUILD/kooperd" migrate 2>"$out/serve-password.log"
[[ $(/usr/lib/postgresql/15/bin/psql "$DATABASE_OWNER_URL" -XAtq -c "SELECT rolcanlogin AND rolpassword IS NOT NULL
    FROM pg_authid WHERE rolname = 'koop_serve'") == t ]] || { echo "KOOP_SERVE_PASSWORD was not set" >&2; exit 1; }
# serve refuses a login that is a superuser or owns the schema, and serves without the owner's URL
if DATABASE_URL=$DATABASE_OWNER_URL KOOP_LISTEN=127.0.0.1:0 "$BUILD/kooperd" serve 2>"$out/owner-serve.log"; then
    echo "serve ran as the database owner" >&2
    exit 1
fi
grep -q 'superuser, may bypass row-level security or owns' "$out/owner-serve.log"
summary+=("serve: refuses to connect as the owner; serves as koop_serve")
KOOP_TEST_PLATFORM_TOKEN=$("$BUILD/kooperd" create-token --role platform_admin --name "Test platform admin")
export KOOP_TEST_PLATFORM_TOKEN

echo "== OpenID provider (oidc-provider, tests/oidc-provider.mjs)"
# a real provider on a free port: JWT access tokens (client_credentials, resource indicators),
# RS256 and ES256 keys it generates; the daemon fetches its JWKS (tests/http/oidc*.c)
oidc_aud=https://kooperacje.test/api
for attempt in 1 2 3 4 5; do
    oidc_port=$(free_port)
    node tests/oidc-provider.mjs "$oidc_port" "$oidc_aud" >"$out/oidc.log" 2>&1 &
    oidc_pid=$!
    if wait_http "http://127.0.0.1:$oidc_port/.well-known/openid-configuration" 30; then
        break
    fi
    kill -TERM "$oidc_pid" 2>/dev/null || true
    wait "$oidc_pid" 2>/dev/null || true
    oidc_pid=""
    ((attempt < 5)) || { echo "the OpenID provider did not start" >&2; exit 1; }
done
export KOOP_TEST_OIDC_URL=http://127.0.0.1:$oidc_port KOOP_TEST_OIDC_AUDIENCE=$oidc_aud
summary+=("oidc: provider on port $oidc_port")

echo "== daemon"
wrap=()
if [[ ${KOOP_VALGRIND:-0} == 1 ]]; then
    wrap=(valgrind --quiet --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite
          --error-exitcode=97 --suppressions="$root/tests/valgrind.supp")
fi
# port 0: the daemon binds any free port (no race with others) and logs the one it got
KOOP_LISTEN=127.0.0.1:0 KOOP_CORS_ORIGINS=https://portal.example KOOP_THREADS=4 \
    KOOP_AUTH_FAIL_LIMIT=1000 KOOP_PUBLIC_RATE_LIMIT=120 KOOP_DRAIN_TIMEOUT=10 KOOP_PER_IP_LIMIT=1000 KOOP_JOB_INTERVAL=1 KOOP_TRUSTED_PROXIES=127.0.0.1 KOOP_LONGPOLL_PER_TOKEN=100 \
    KOOP_WEBHOOK_ALLOW=127.0.0.1 KOOP_WEBHOOK_RETRY_BASE_MS=100 KOOP_WEBHOOK_RETRY_CAP_MS=800 KOOP_WEBHOOK_MAX_AGE=3 \
    KOOP_OIDC_ISSUER=$KOOP_TEST_OIDC_URL KOOP_OIDC_AUDIENCE=$oidc_aud KOOP_OIDC_JWKS_URL=$KOOP_TEST_OIDC_URL/jwks \
    KOOP_OIDC_ROLE_CLAIM=realm_access.koop_role KOOP_OIDC_SKEW=1 KOOP_OIDC_JWKS_REFRESH=1 KOOP_OIDC_JWKS_TIMEOUT_MS=1000 \
    "${wrap[@]}" "$BUILD/kooperd" serve 2>"$out/daemon.log" &
daemon_pid=$!
port=""
deadline=$((SECONDS + 60))
while [[ -z $port ]] && ((SECONDS < deadline)) && kill -0 "$daemon_pid" 2>/dev/null; do
    port=$(grep -m 1 -oE '"msg":"listening",.*"port":[0-9]+' "$out/daemon.log" | grep -oE '[0-9]+$' || true)
    [[ -n $port ]] || sleep 0.1
done
if [[ -z $port ]] || ! wait_http "http://127.0.0.1:$port/healthz" 60; then
    echo "daemon did not start" >&2
    exit 1
fi
summary+=("daemon: listening on the port it chose (port 0), $port")

for attempt in 1 2 3 4 5; do # the same race as the daemon's port
    prism_port=$(free_port)
    if PRISM_PORT=$prism_port PRISM_DIR=$out UPSTREAM=http://127.0.0.1:$port \
        scripts/prism-check.sh start; then
        break
    fi
    ((attempt < 5)) || { echo "prism did not start" >&2; exit 1; }
done

export KOOP_TEST_URL=http://127.0.0.1:$prism_port
export KOOP_TEST_DIRECT_URL=http://127.0.0.1:$port
export KOOP_TEST_DAEMON_LOG=$out/daemon.log KOOP_TEST_BUILD=$BUILD
export KOOP_TEST_PII_FILE=$out/pii.txt
: >"$KOOP_TEST_PII_FILE"

# the TypeScript client generated from openapi.yaml, through Prism (tests/client.sh)
echo "== typed client (openapi-typescript + openapi-fetch)"
bash tests/client.sh "$BUILD" | tee "$out/client.txt"
summary+=("client: $(tail -n 1 "$out/client.txt")")

echo "== HTTP and database tests"
set +e
# (under make asan the daemon keeps LeakSanitizer on; the test client's own
# leftovers at the exit of each forked test are not the product's)
ASAN_OPTIONS=${KOOP_TEST_CLIENT_ASAN_OPTIONS:-detect_leaks=0} CK_DEFAULT_TIMEOUT=120 \
    "$BUILD/http_tests" 2>&1 | tee "$out/http.txt"
http_rc=${PIPESTATUS[0]}
set -e
summary+=("http: $(grep -oE '[0-9]+%: Checks: .*' "$out/http.txt" | tail -n 1)")
((http_rc == 0)) || { echo "HTTP tests failed" >&2; exit 1; }

echo "== contract (Prism)"
PRISM_PORT=$prism_port PRISM_DIR=$out scripts/prism-check.sh check
summary+=("prism: no response violated openapi.yaml")

# (skipped when CK_RUN_SUITE names another suite)
if [[ -z ${CK_RUN_SUITE:-} || ${CK_RUN_SUITE:-} == replica ]]; then
    echo "== read replicas (a streaming standby, a daemon reading from it)"
    t0=$SECONDS
    eval "$(scripts/test-pg-fixture.sh standby "$KOOP_PG_DIR" koop_test)"
    export KOOP_PG_STANDBY_DIR KOOP_STANDBY_OWNER_URL
    DATABASE_READ_URL=$DATABASE_READ_URL KOOP_LISTEN=127.0.0.1:0 KOOP_THREADS=4 KOOP_METRICS_PUBLIC=1 \
        KOOP_RATE_LIMIT=1000000 KOOP_PER_IP_LIMIT=1000 KOOP_JOB_INTERVAL=3600 \
        "${wrap[@]}" "$BUILD/kooperd" serve 2>"$out/replica-daemon.log" &
    replica_pid=$!
    rport=""
    deadline=$((SECONDS + 60))
    while [[ -z $rport ]] && ((SECONDS < deadline)) && kill -0 "$replica_pid" 2>/dev/null; do
        rport=$(grep -m 1 -oE '"msg":"listening",.*"port":[0-9]+' "$out/replica-daemon.log" | grep -oE '[0-9]+$' || true)
        [[ -n $rport ]] || sleep 0.1
    done
    [[ -n $rport ]] && wait_http "http://127.0.0.1:$rport/healthz" 60 || { echo "the replica daemon did not start" >&2; exit 1; }
    set +e
    KOOP_TEST_REPLICA_URL=http://127.0.0.1:$rport KOOP_TEST_DIRECT_URL=http://127.0.0.1:$rport \
        ASAN_OPTIONS=${KOOP_TEST_CLIENT_ASAN_OPTIONS:-detect_leaks=0} CK_DEFAULT_TIMEOUT=120 CK_RUN_SUITE=replica \
        "$BUILD/http_tests" 2>&1 | tee "$out/replica.txt"
    replica_rc=${PIPESTATUS[0]}
    set -e
    ((replica_rc == 0)) || { echo "replica tests failed" >&2; tail -n 20 "$out/replica-daemon.log" >&2; exit 1; }
    kill -TERM "$replica_pid"
    set +e
    wait "$replica_pid"
    drc=$?
    set -e
    replica_pid=""
    ((drc == 0)) || { echo "the replica daemon exited $drc after SIGTERM" >&2; exit 1; }
    scripts/test-pg-fixture.sh stop "$KOOP_PG_STANDBY_DIR"
    KOOP_PG_STANDBY_DIR=""
    summary+=("replica: $(grep -oE '[0-9]+%: Checks: .*' "$out/replica.txt" | tail -n 1) against a streaming standby ($((SECONDS - t0)) s)")
fi

echo "== SIGTERM drains and exits 0"
kill -TERM "$daemon_pid"
set +e
wait "$daemon_pid"
drc=$?
set -e
daemon_pid=""
((drc == 0)) || { echo "daemon exited $drc after SIGTERM" >&2; exit 1; }
summary+=("daemon: exit 0 after SIGTERM")

echo "== secrets never logged"
if grep -q "koop_" "$out/daemon.log" && grep -oE 'koop_[A-Za-z0-9_-]{43}' "$out/daemon.log" | head -n 1 | grep -q .; then
    echo "a bearer token appears in the daemon's log" >&2
    exit 1
fi
if grep -F -- "$KOOP_TEST_PLATFORM_TOKEN" "$out/daemon.log" "$out/replica-daemon.log" >/dev/null 2>&1; then
    echo "the platform token appears in the daemon's log" >&2
    exit 1
fi
pii_count=0
while IFS= read -r value; do
    [[ -z $value ]] && continue
    pii_count=$((pii_count + 1))
    if grep -F -q -- "$value" "$out/daemon.log"; then
        echo "personal data the tests sent (line $pii_count of $KOOP_TEST_PII_FILE) appear in the daemon's log" >&2
        exit 1
    fi
done < <(sort -u "$KOOP_TEST_PII_FILE")
summary+=("log: no tokens, none of $pii_count PESELs/surnames ($(wc -l <"$out/daemon.log") lines checked)")

echo "== openapi lint"
bash scripts/lint-openapi.sh | tee "$out/lint.txt"
summary+=("lint: $(tail -n 1 "$out/lint.txt")")

echo
echo "== summary"
printf '%s\n' "${summary[@]}"
