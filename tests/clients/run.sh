#!/usr/bin/env bash
# Front-end style client checks, generated from the committed contracts:
#   REST:    schema/openapi.json   -> openapi-typescript -> openapi-fetch   (rest/main.ts)
#   GraphQL: schema/schema.graphql -> graphql-codegen client preset -> fetch (graphql/main.ts)
#
# Installs with `npm ci`, generates both clients, type-checks with `tsc --strict`
# (0 errors required), builds to dist/ and runs both programs against a server that is
# already running: it never starts one.
#
# Environment:
#   DOSSIER_URL             server base URL (default http://127.0.0.1:18080)
#   NPM_CONFIG_CACHE        npm's cache, if set (npm reads it itself)
#   DOSSIER_OPENAPI         OpenAPI document to generate from (default ../../schema/openapi.json)
#   DOSSIER_GRAPHQL_SCHEMA  GraphQL SDL to generate from (default ../../schema/schema.graphql)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

abspath() { # a path given relative to the caller's directory, made absolute
  case "$1" in /*) printf '%s\n' "$1" ;; *) printf '%s/%s\n' "$PWD" "$1" ;; esac
}

export DOSSIER_URL="${DOSSIER_URL:-http://127.0.0.1:18080}"
openapi="$(abspath "${DOSSIER_OPENAPI:-$root/schema/openapi.json}")"
sdl="$(abspath "${DOSSIER_GRAPHQL_SCHEMA:-$root/schema/schema.graphql}")"
export DOSSIER_GRAPHQL_SCHEMA="$sdl"

cd "$here"
bin="$here/node_modules/.bin"
passed=0
stage() { # one summary line per finished stage
  passed=$((passed + 1))
  printf '== %-11s ok   %s\n' "$1" "$2"
}
failed() {
  printf '== %-11s FAILED %s\n' "$1" "$2" >&2
  printf 'clients: %d passed, 1 failed\n' "$passed" >&2
  exit 1
}

for f in "$openapi" "$sdl"; do
  [[ -f "$f" ]] || failed preflight "missing contract file $f"
done
stage preflight "node $(node --version), npm $(npm --version), DOSSIER_URL=$DOSSIER_URL"

# --- install -------------------------------------------------------------------------
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! npm ci --no-audit --no-fund >"$log" 2>&1; then
  cat "$log" >&2
  failed install "npm ci"
fi
engine_warnings="$(grep -E "EBADENGINE +package:" "$log" | sort -u | wc -l)"
stage install "npm ci: $(grep -Eo 'added [0-9]+ packages?' "$log" | tail -1 || true), cache $(npm config get cache), $engine_warnings packages with EBADENGINE warnings"

# --- generate --------------------------------------------------------------------------
rm -rf rest/generated graphql/generated dist
if ! "$bin/openapi-typescript" "$openapi" --output rest/generated/openapi.ts >"$log" 2>&1; then
  cat "$log" >&2
  failed gen-rest "openapi-typescript could not generate from ${openapi#"$root"/}"
fi
stage gen-rest "openapi-typescript ${openapi#"$root"/} -> rest/generated/openapi.ts ($(wc -l <rest/generated/openapi.ts) lines)"

if ! "$bin/graphql-codegen" --config graphql/codegen.ts >"$log" 2>&1; then
  cat "$log" >&2
  failed gen-graphql "graphql-codegen could not generate from ${sdl#"$root"/}"
fi
[[ -f graphql/generated/graphql.ts ]] || { cat "$log" >&2; failed gen-graphql "no graphql/generated/graphql.ts"; }
stage gen-graphql "graphql-codegen (client preset) ${sdl#"$root"/} -> graphql/generated/ ($(cd graphql/generated && echo *))"

# --- type-check ------------------------------------------------------------------------
status=0
"$bin/tsc" -p tsconfig.json --strict --noEmit --pretty false >"$log" 2>&1 || status=$?
errors="$(grep -cE 'error TS[0-9]+' "$log" || true)"
if [[ "$status" -ne 0 || "$errors" -ne 0 ]]; then
  cat "$log" >&2
  failed typecheck "tsc --strict: $errors errors (exit $status)"
fi
stage typecheck "tsc $("$bin/tsc" --version | awk '{print $2}') --strict --noEmit: $errors errors"

"$bin/tsc" -p tsconfig.json --strict >"$log" 2>&1 || { cat "$log" >&2; failed build "tsc emit to dist/"; }
stage build "tsc -> dist/"

# --- run against the server ----------------------------------------------------------------
node dist/rest/main.js || failed rest "node dist/rest/main.js against $DOSSIER_URL"
stage rest "REST check passed against $DOSSIER_URL"

node dist/graphql/main.js || failed graphql "node dist/graphql/main.js against $DOSSIER_URL"
stage graphql "GraphQL check passed against $DOSSIER_URL"

printf 'clients: %d passed, 0 failed\n' "$passed"
