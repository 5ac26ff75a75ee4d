#!/usr/bin/env bash
# tests/client.sh BUILD_DIR — the typed TypeScript client works (tests/run.sh runs it while the
# test daemon is up):
#   1. types generated from openapi.yaml (openapi-typescript, pinned) into build/client/api.d.ts;
#   2. docs/client/example.mts, the README's walkthrough through openapi-fetch, type-checked with
#      tsc --strict against them;
#   3. the example run (tsx) against the daemon through Prism (KOOP_TEST_URL), as the admin of a
#      tenant of its own filled with sql/demo/demo.sql, so every answer is also checked against
#      openapi.yaml.
# Environment: KOOP_TEST_URL, DATABASE_URL (as tests/run.sh exports them).
set -euo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/.."
mkdir -p build/client
npx --no-install openapi-typescript openapi.yaml --default-non-nullable false \
	-o build/client/api.d.ts >/dev/null
npx --no-install tsc -p docs/client
teryt=2415022 # a TERYT no other test uses (tests/http/client.c: 24NN011 and fresh_tenant's)
tenant=$("$BUILD/kooperd" create-tenant --name "Miasto Wodzisław Śląski (klient)" --teryt "$teryt" \
	--kind gmina_miejska --voivodeship slaskie)
psql_bin=/usr/lib/postgresql/15/bin/psql
# demo.sql writes as the owner: DATABASE_URL is the unprivileged serving login since the roles change
"$psql_bin" "${DATABASE_OWNER_URL:-$DATABASE_URL}" -Xq -v ON_ERROR_STOP=1 -v tenant_id="$tenant" -f sql/demo/demo.sql >/dev/null
token=$("$BUILD/kooperd" create-token --role admin --name "Typed client" --tenant "$tenant" \
	--email client@demo.example)
TOKEN=$token KOOP_URL=$KOOP_TEST_URL TERYT=$teryt npx --no-install tsx docs/client/example.mts
