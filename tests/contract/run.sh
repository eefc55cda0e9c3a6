#!/usr/bin/env bash
# The contract check, as a new user would run it, against a live demo server on SQLite and
# on PostgreSQL: the OpenAPI document validates; TypeScript clients generated from schema/
# compile with `tsc --strict` and run (tests/clients/run.sh); an operator finds a
# response's X-Request-Id in the log and its route in /metrics; schemathesis (every check)
# finds no failure. Usage: tests/contract/run.sh DOSSIER_BINARY [POSTGRES_URL]
#
# Tools come from PyPI into a virtual environment outside the clone
# ($DOSSIER_TOOLS, default ~/.cache/dossier-ci/venv); the settings and the reviewed
# exceptions are in tests/contract/schemathesis.toml.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="$1"
pg_url="${2:-}"
venv="${DOSSIER_TOOLS:-$HOME/.cache/dossier-ci/venv}"
examples="${SCHEMATHESIS_EXAMPLES:-10}"

if [ ! -x "$venv/bin/schemathesis" ] || [ ! -x "$venv/bin/openapi-spec-validator" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "openapi-spec-validator==0.9.0" "schemathesis==4.32.5"
fi

echo "--- openapi-spec-validator schema/openapi.json"
"$venv/bin/openapi-spec-validator" "$root/schema/openapi.json"

work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Starts `dossier serve --demo` on DATABASE_URL=$1 and sets BASE to its URL once it is ready
# (not in a subshell, so the server's pid stays in `pids` for the cleanup).
start_demo() {
  local url="$1" port
  port="$(free_port)"
  # Schemathesis sends hundreds of requests a second with one token: the request buckets are
  # off, so it checks every operation rather than 429s (tests/api/ratelimit.rs checks those).
  DATABASE_URL="$url" DOSSIER_BIND="127.0.0.1:$port" DOSSIER_LOG_FORMAT=json \
    DOSSIER_RATE_LIMIT=off DOSSIER_RATE_LIMIT_ANONYMOUS=off \
    DOSSIER_JWT_SECRET="contract-check-secret-0123456789abcdef" \
    "$bin" serve --demo >"$work/serve-$port.log" 2>&1 &
  pids+=("$!")
  for _ in $(seq 1 180); do
    if curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; then
      BASE="http://127.0.0.1:$port"
      return 0
    fi
    sleep 1
  done
  echo "the demo server on $url did not become ready:" >&2
  tail -n 20 "$work/serve-$port.log" >&2
  return 1
}

sign_in() {
  curl -sf "$1/api/v1/auth/login" -H 'content-type: application/json' \
    -d '{"email":"admin@demo.dossier.test","password":"demo-admin-password"}' |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}

# An operator follows one request from its response to its log line and to /metrics.
follow_request() {
  local name="$1" base="$2" token id log lines metrics
  token="$(sign_in "$base")"
  id="$(curl -s -D - -o /dev/null -H "Authorization: Bearer $token" "$base/api/v1/customers?limit=1" |
    tr -d '\r' | awk 'tolower($1) == "x-request-id:" {print $2}')"
  log="$work/serve-${base##*:}.log"
  sleep 0.2
  # Read whole outputs before matching: under pipefail, `grep -q` closing the pipe early
  # would fail the writer with SIGPIPE and the check with it.
  lines="$(grep -F "\"request_id\":\"$id\"" "$log" || true)"
  if [ -z "$id" ] || ! grep -q '"route":"/api/v1/customers"' <<<"$lines"; then
    echo "FAIL: the request id ${id:-(none)} is not in the access log on $name" >&2
    exit 1
  fi
  metrics="$(curl -sf "$base/metrics" || true)"
  if ! grep -qF 'dossier_http_requests_total{method="GET",route="/api/v1/customers",status="200"}' <<<"$metrics"; then
    echo "FAIL: /metrics does not count GET /api/v1/customers on $name" >&2
    exit 1
  fi
  echo "--- $name: request $id found in the access log and counted in /metrics"
}

run_clients() {
  echo "--- generated TypeScript clients on $1 ($2)"
  NPM_CONFIG_CACHE="${NPM_CONFIG_CACHE:-$HOME/.cache/dossier-ci/npm}" DOSSIER_URL="$2" \
    bash "$root/tests/clients/run.sh"
}

run_schemathesis() {
  local name="$1" base="$2" token
  token="$(sign_in "$base")"
  echo "--- schemathesis --checks all on $name ($base)"
  # Sign-out would revoke the token the run uses; its own tests are in tests/api/auth.rs.
  # The client waits longer than the server's own 30 s request deadline, so a slow operation
  # (a score fit on the data the run made, on a debug build) ends in the server's documented
  # answer, 200 or 503, rather than in the client giving up first.
  "$venv/bin/schemathesis" --config-file "$here/schemathesis.toml" run \
    "$base/api/v1/openapi.json" --checks all -n "$examples" -w 2 --no-color --request-timeout 35 \
    --seed 20261202 --generation-database none \
    -H "Authorization: Bearer $token" --exclude-operation-id auth_logout \
    --report junit --report-dir "${CONTRACT_REPORTS:-$work/reports}/$name"
}

start_demo "sqlite://$work/contract.db?mode=rwc"
sqlite_base="$BASE"
follow_request sqlite "$sqlite_base"
run_clients sqlite "$sqlite_base"
run_schemathesis sqlite "$sqlite_base"

if [ -n "$pg_url" ]; then
  db="dossier_contract_$$"
  psql "$pg_url" -qc "DROP DATABASE IF EXISTS $db" >/dev/null
  psql "$pg_url" -qc "CREATE DATABASE $db" >/dev/null
  start_demo "${pg_url%/*}/$db"
  pg_base="$BASE"
  follow_request postgres "$pg_base"
  run_clients postgres "$pg_base"
  run_schemathesis postgres "$pg_base"
  kill "${pids[-1]}" 2>/dev/null || true
  sleep 1
  psql "$pg_url" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null || true
fi
echo "--- contract: the document validates, the clients compile and run, requests are traceable, schemathesis found no failure"
