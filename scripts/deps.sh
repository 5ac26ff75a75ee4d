#!/usr/bin/env bash
# scripts/deps.sh — make sure the Debian 12 packages this project needs are installed.
#
#   scripts/deps.sh MODE [EXTRA...]
#
#   MODE   build   compiler, make, pkg-config, -dev libraries, Check, libcurl (to compile daemon
#                  and tests)
#          node    Node.js >= 18.20.1 with npm, ca-certificates (npm ci: docs bundle, OpenAPI tools)
#          run     build + node + PostgreSQL 15 server and client (the private cluster)
#          test    run + fuzz (make test runs the fuzz targets for a few seconds)
#          fuzz    build + clang and its runtimes (libFuzzer, ASan, UBSan) for make fuzz
#          bench   run + wrk
#          all     everything above
#   EXTRA  valgrind, or any other Debian package name to require as well
#
# When everything is present it prints nothing and exits 0 quickly (it runs on every make).
# When something is missing it runs `apt-get update` once and installs it with
# --no-install-recommends: as root directly, otherwise through sudo (when sudo needs no password,
# or can ask for it on a terminal); without either it names the packages, prints the sudo command
# and exits 1.
#
# Environment:
#   KOOP_DEPS_SKIP=1   do nothing (you manage packages yourself, or this is not Debian)
#   KOOP_DEPS_EXTRA    more packages, space separated (same as EXTRA arguments)
#
# Node.js: Debian's `nodejs` + `npm` are installed only when `node` is missing or older than 18.20.1;
# a newer node (e.g. Node 20 with its own npm) is kept, and Debian's npm is never put over it.
set -euo pipefail

readonly NODE_MIN_MAJOR=18 NODE_MIN_MINOR=20 NODE_MIN_PATCH=1

usage() {
	sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0" >&2
	exit 2
}

[[ $# -ge 1 ]] || usage
mode=$1
shift

[[ ${KOOP_DEPS_SKIP:-0} == 1 ]] && exit 0

# libpango1.0-dev brings cairo's and pango's headers (PDF documents), fonts-dejavu-core their font;
# libcjose-dev verifies OIDC access tokens (JOSE: JWS, JWK; server/oidc.c)
build_pkgs=(build-essential pkg-config libmicrohttpd-dev libjansson-dev libpq-dev uuid-dev
	libssl-dev check libcurl4-openssl-dev libcairo2-dev libpango1.0-dev fonts-dejavu-core
	libcjose-dev)
node_pkgs=(ca-certificates) # plus nodejs/npm when needed, decided below
# postgresql-15 ships the contrib extensions (pg_trgm, unaccent) in Debian 12;
# "postgresql-contrib-15" is only a virtual package it provides, which dpkg-query cannot see.
# curl: readiness checks, the README's examples; poppler-utils: pdftotext for the document tests
run_pkgs=(postgresql-15 postgresql-client-15 curl poppler-utils)
bench_pkgs=(wrk procps haproxy) # haproxy: two daemons behind a balancer (bench/scaleout.sh)
# clang-14 only recommends the compiler-rt archives that hold libFuzzer and the sanitizers
fuzz_pkgs=(clang libclang-rt-dev)

need_node=1
case $mode in
build)
	want=("${build_pkgs[@]}")
	need_node=0
	;;
node) want=("${node_pkgs[@]}") ;;
run) want=("${build_pkgs[@]}" "${node_pkgs[@]}" "${run_pkgs[@]}") ;;
test) want=("${build_pkgs[@]}" "${node_pkgs[@]}" "${run_pkgs[@]}" "${fuzz_pkgs[@]}") ;;
fuzz)
	want=("${build_pkgs[@]}" "${fuzz_pkgs[@]}")
	need_node=0
	;;
bench) want=("${build_pkgs[@]}" "${node_pkgs[@]}" "${run_pkgs[@]}" "${bench_pkgs[@]}") ;;
all) want=("${build_pkgs[@]}" "${node_pkgs[@]}" "${run_pkgs[@]}" "${bench_pkgs[@]}" "${fuzz_pkgs[@]}") ;;
-h | --help | help) usage ;;
*)
	echo "deps.sh: unknown mode '$mode' (build|node|run|test|fuzz|bench|all)" >&2
	exit 2
	;;
esac

for extra in "$@" ${KOOP_DEPS_EXTRA:-}; do
	[[ $extra =~ ^[a-z0-9][a-z0-9.+-]+$ ]] || {
		echo "deps.sh: '$extra' is not a Debian package name" >&2
		exit 2
	}
	want+=("$extra")
done

if ! command -v dpkg-query >/dev/null 2>&1; then
	echo "deps.sh: dpkg-query not found (not Debian?); not checking packages. Needed: ${want[*]}" >&2
	exit 0
fi

# One dpkg-query call for all packages; unknown names print nothing (and an error we discard).
installed=" "
while read -r pkg status; do
	[[ $status == "install ok installed" ]] && installed+="$pkg "
done < <(dpkg-query -W -f='${Package} ${Status}\n' "${want[@]}" 2>/dev/null || true)

missing=()
for pkg in "${want[@]}"; do
	[[ $installed == *" $pkg "* ]] || missing+=("$pkg")
done

# Node.js: keep any node that is new enough, wherever it came from.
node_ok() {
	local v major minor patch
	command -v node >/dev/null 2>&1 || return 1
	v=$(node --version 2>/dev/null) || return 1
	v=${v#v}
	IFS=. read -r major minor patch <<<"$v"
	[[ $major =~ ^[0-9]+$ && $minor =~ ^[0-9]+$ ]] || return 1
	patch=${patch%%[!0-9]*}
	patch=${patch:-0}
	((major != NODE_MIN_MAJOR ? major > NODE_MIN_MAJOR :
		(minor != NODE_MIN_MINOR ? minor > NODE_MIN_MINOR : patch >= NODE_MIN_PATCH)))
}
if ((!need_node)); then
	:
elif ! node_ok; then
	missing+=(nodejs npm)
elif ! command -v npm >/dev/null 2>&1; then
	# node is new enough but has no npm next to it (e.g. Debian's nodejs alone): Debian's npm is fine.
	missing+=(npm)
fi

((${#missing[@]} == 0)) && exit 0

# Not root: through sudo, when it can be used here (no password needed, or a terminal to ask on).
sudo=()
if ((EUID != 0)); then
	if command -v sudo >/dev/null 2>&1 && { sudo -n true 2>/dev/null || [[ -t 0 ]]; }; then
		sudo=(sudo)
	else
		{
			echo "deps.sh: missing Debian packages for '$mode': ${missing[*]}"
			echo "Install them with:"
			echo "  sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
			echo "(or set KOOP_DEPS_SKIP=1 if you provide them another way)"
		} >&2
		exit 1
	fi
fi

echo "deps.sh: installing ${missing[*]}${sudo:+ (through sudo)}" >&2
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o Acquire::Retries=3 update
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o Acquire::Retries=3 install -y \
	--no-install-recommends "${missing[@]}"

if ((need_node)) && ! node_ok; then
	echo "deps.sh: node is still missing or older than $NODE_MIN_MAJOR.$NODE_MIN_MINOR.$NODE_MIN_PATCH after install" >&2
	exit 1
fi
