#!/usr/bin/env bash
# The contract check, as a new user would run it: the OpenAPI document validates, and
# schemathesis (every check) finds no failure against a live demo server, on SQLite and on
# PostgreSQL. Usage: tests/contract/run.sh DOSSIER_BINARY [POSTGRES_URL]
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

# Starts `dossier serve --demo` on DATABASE_URL=$1 and echoes its base URL once it is ready.
start_demo() {
  local url="$1" port
  port="$(free_port)"
  DATABASE_URL="$url" DOSSIER_BIND="127.0.0.1:$port" \
    DOSSIER_JWT_SECRET="contract-check-secret-0123456789abcdef" \
    "$bin" serve --demo >"$work/serve-$port.log" 2>&1 &
  pids+=("$!")
  for _ in $(seq 1 180); do
    if curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; then
      echo "http://127.0.0.1:$port"
      return 0
    fi
    sleep 1
  done
  echo "the demo server on $url did not become ready:" >&2
  tail -n 20 "$work/serve-$port.log" >&2
  return 1
}

run_schemathesis() {
  local name="$1" base="$2" token
  token="$(curl -sf "$base/api/v1/auth/login" -H 'content-type: application/json' \
    -d '{"email":"admin@demo.dossier.test","password":"demo-admin-password"}' |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')"
  echo "--- schemathesis --checks all on $name ($base)"
  # Sign-out would revoke the token the run uses; its own tests are in tests/api/auth.rs.
  "$venv/bin/schemathesis" --config-file "$here/schemathesis.toml" run \
    "$base/api/v1/openapi.json" --checks all -n "$examples" -w 2 --no-color \
    --seed 20261202 --generation-database none \
    -H "Authorization: Bearer $token" --exclude-operation-id auth_logout \
    --report junit --report-dir "${CONTRACT_REPORTS:-$work/reports}/$name"
}

sqlite_base="$(start_demo "sqlite://$work/contract.db?mode=rwc")"
run_schemathesis sqlite "$sqlite_base"

if [ -n "$pg_url" ]; then
  db="dossier_contract_$$"
  psql "$pg_url" -qc "DROP DATABASE IF EXISTS $db" >/dev/null
  psql "$pg_url" -qc "CREATE DATABASE $db" >/dev/null
  pg_base="$(start_demo "${pg_url%/*}/$db")"
  run_schemathesis postgres "$pg_base"
  kill "${pids[-1]}" 2>/dev/null || true
  sleep 1
  psql "$pg_url" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null || true
fi
echo "--- contract: the document validates and schemathesis found no failure"
