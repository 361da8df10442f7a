#!/usr/bin/env bash
# The API fuzz: schemathesis runs every check it has against a `sous serve --demo` of its own
# (a throwaway embedded cluster, signed in as the demo brand's owner) and fails on any failure.
# It reads the served OpenAPI document, so it tests the document as much as the server: every
# status, content type and limit the server answers must be the one the document states.
#
# The checks relaxed for named operations, each with its reason, are in scripts/schemathesis.toml.
#
# Deterministic and bounded: deterministic generation (a fixed seed per operation, no example
# database), a bounded number of examples per operation and one worker. The report (NDJSON and JUnit) and
# the server's log go to target/api-fuzz/.
#
#   scripts/api-fuzz.sh                       # what `make test` runs
#   API_FUZZ_EXAMPLES=50 scripts/api-fuzz.sh --include-path-regex '^/api/orders'
#
# Extra arguments go to `st run` as they are. SOUS_BIN names the binary (default: the debug one).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/tools.env"
st="$SCHEMATHESIS_VENV/bin/st"
sous=${SOUS_BIN:-$root/${CARGO_TARGET_DIR:-target}/debug/sous}
out=$root/${CARGO_TARGET_DIR:-target}/api-fuzz
examples=${API_FUZZ_EXAMPLES:-10}

[ -x "$st" ] || { echo "api-fuzz: schemathesis is not installed; run scripts/install-deps.sh" >&2; exit 2; }
[ -x "$sous" ] || { echo "api-fuzz: no sous binary at $sous; run cargo build -p sous" >&2; exit 2; }

rm -rf "$out"
mkdir -p "$out"
# The server's own data directory (cluster, keys) in a fresh temporary directory that the
# `postgres` user can enter (the server runs as it when started as root).
data=$(mktemp -d "${TMPDIR:-/tmp}/sous-api-fuzz.XXXXXX")
chmod 755 "$data"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"

server=
cleanup() {
    if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then
        kill -TERM "$server"
        wait "$server" 2>/dev/null || true
    fi
    rm -rf "$data"
}
trap cleanup EXIT

SOUS_DATA_DIR=$data SOUS_LISTEN=127.0.0.1:$port "$sous" serve --demo --no-web >"$out/serve.log" 2>&1 &
server=$!

# Up when the health check answers 200 (migrated, seeded, listening): at most a minute.
for _ in $(seq 1 120); do
    if curl -sf -o /dev/null "$base/api/health"; then break; fi
    kill -0 "$server" 2>/dev/null || { echo "api-fuzz: sous exited; see $out/serve.log" >&2; exit 2; }
    sleep 0.5
done
curl -sf -o /dev/null "$base/api/health" || { echo "api-fuzz: sous did not come up; see $out/serve.log" >&2; exit 2; }

# The demo owner. The fuzzer cannot end this session: the owner's membership cannot be
# disabled or changed by anyone, the token is bound to no device, and the refresh token (the
# only way to log out) is never given to it.
token=$(curl -sf "$base/api/auth/login" -H 'content-type: application/json' \
    -d '{"email":"owner@demo.sous.test","password":"sous-demo-2026"}' |
    python3 -c 'import json, sys; d = json.load(sys.stdin); print(d.get("accessToken") or d["access_token"])')

# From the report directory: schemathesis keeps a cache of past failures (.schemathesis/) in the
# working directory and replays them first, which would make a run depend on the ones before.
cd "$out"
status=0
"$st" --config-file "$root/scripts/schemathesis.toml" run "$base/api/openapi.json" \
    --checks all \
    --max-examples "$examples" \
    --workers 1 \
    --generation-deterministic \
    --request-timeout 20 \
    --header "Authorization: Bearer $token" \
    --report ndjson,junit \
    --report-dir "$out" \
    --no-color \
    "$@" 2>&1 | tee "$out/run.txt" || status=$?

if [ "$status" -ne 0 ]; then
    echo "api-fuzz: failures (report in $out, server log in $out/serve.log)" >&2
fi
exit "$status"
