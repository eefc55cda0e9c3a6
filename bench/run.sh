#!/usr/bin/env bash
# Measures Dossier's read and write throughput on this machine and prints the figures.
#
#   bench/run.sh                  # SQLite (a fresh file under a temp dir)
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/dossier_bench bench/run.sh
#
# Creates an admin, loads N customers (default 2000) and 3 orders and a call for each through
# the REST API as that admin, fits the score models, then runs `wrk` (installed from Debian if missing) against list, get and search endpoints on
# loopback for a bounded time, signed in (every request verifies its token).
# Nothing here asserts: it prints numbers to compare between commits and databases.
set -euo pipefail
cd "$(dirname "$0")/.."

N="${BENCH_CUSTOMERS:-2000}"
DURATION="${BENCH_DURATION:-10s}"
PORT="${BENCH_PORT:-18099}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}"

if ! command -v wrk >/dev/null; then
  echo "installing wrk (Debian package)…"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi

cargo build --release --quiet
BIN="$CARGO_TARGET_DIR/release/dossier"
WORK="$(mktemp -d)"
trap 'kill "$PID" 2>/dev/null || true; rm -rf "$WORK"' EXIT

if [[ -z "${DATABASE_URL:-}" ]]; then
  export DATABASE_URL="sqlite://$WORK/bench.db?mode=rwc"
elif [[ "$DATABASE_URL" == postgres* ]]; then
  db="${DATABASE_URL##*/}"
  admin="${DATABASE_URL%/*}/postgres"
  psql "$admin" -qc "DROP DATABASE IF EXISTS \"$db\"" -c "CREATE DATABASE \"$db\"" >/dev/null
fi
echo "database: ${DATABASE_URL%%\?*}"

export DOSSIER_JWT_SECRET="bench-secret-$(head -c 24 /dev/urandom | base64)"
"$BIN" user create --email bench@example.com --role admin --password bench-password-123 >/dev/null
# The request buckets and the in-flight cap are off: the bench measures the server's work, not its 429s and 503s.
DOSSIER_RATE_LIMIT=off DOSSIER_RATE_LIMIT_ANONYMOUS=off DOSSIER_IN_FLIGHT_PER_PRINCIPAL=off \
  DOSSIER_BIND="127.0.0.1:$PORT" RUST_LOG=warn "$BIN" serve >"$WORK/server.log" 2>&1 &
PID=$!
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.2; done
TOKEN="$(curl -s "http://127.0.0.1:$PORT/api/v1/auth/login" -H 'Content-Type: application/json' \
  -d '{"email": "bench@example.com", "password": "bench-password-123"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')"
export TOKEN

python3 - "$N" "$PORT" <<'PY'
import json, os, sys, time, urllib.request
n, port = int(sys.argv[1]), sys.argv[2]
cities = [("上海市", "上海市"), ("北京市", "北京市"), ("广东省", "深圳市"), ("浙江省", "杭州市")]
start = time.time()
for i in range(n):
    province, city = cities[i % len(cities)]
    body = {"kind": "individual", "display_name": f"客户 {i:05d}", "phone": f"+86 138{i:08d}",
            "email": f"customer{i}@example.com", "tags": ["vip"] if i % 10 == 0 else ["lead"],
            "address": {"province": province, "city": city}, "source": "import",
            "individual": {"annual_income": f"{(i % 50) * 10000}.00"}}
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/customers", data=json.dumps(body).encode(),
                                 headers={"content-type": "application/json",
                                          "authorization": "Bearer " + os.environ["TOKEN"]}, method="POST")
    urllib.request.urlopen(req).read()
elapsed = time.time() - start
print(f"create (1 client, sequential): {n} customers in {elapsed:.1f} s = {n / elapsed:.0f} req/s")
PY

ORDERS="${BENCH_ORDERS_PER_CUSTOMER:-3}"
python3 - "$N" "$PORT" "$ORDERS" <<'PY'
import json, os, sys, time, urllib.request
n, port, per = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
def call(method, path, body=None):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method,
                                 data=None if body is None else json.dumps(body).encode(),
                                 headers={"content-type": "application/json",
                                          "authorization": "Bearer " + os.environ["TOKEN"]})
    return json.loads(urllib.request.urlopen(req).read() or b"null")
product = call("POST", "/api/v1/products", {"sku": "BENCH-1", "name": "Bench tea", "list_price": "99.50"})["id"]
ids, cursor = [], None
while True:
    page = call("GET", "/api/v1/customers?limit=200" + (f"&cursor={cursor}" if cursor else ""))
    ids += [c["id"] for c in page["data"]]
    cursor = page["next_cursor"]
    if not cursor:
        break
start = time.time()
count = 0
for i, cid in enumerate(ids):
    for k in range(per):
        call("POST", f"/api/v1/customers/{cid}/orders",
             {"status": "completed", "ordered_at": f"2026-0{1 + k % 9}-1{i % 9}T10:00:00Z",
              "items": [{"product_id": product, "quantity": 1 + k}], "paid_amount": "0"})
        count += 1
    call("POST", f"/api/v1/customers/{cid}/interactions", {"type": "call", "summary": "bench"})
elapsed = time.time() - start
print(f"create orders (1 client, sequential, lines + aggregates): {count} in {elapsed:.1f} s = {count / elapsed:.0f} req/s")
PY

# Fit the churn and spend models and score everyone (the job the server runs on its schedule).
start=$(date +%s%N)
"$BIN" scores fit >/dev/null
echo "scores fit + snapshot of $N customers: $(( ($(date +%s%N) - start) / 1000000 )) ms"
curl -s "http://127.0.0.1:$PORT/api/v1/segments" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  -d '{"name": "bench", "filter": [{"field": "city", "op": "eq", "value": "上海"}, {"field": "frequency", "op": "gte", "value": 1}]}' >"$WORK/segment.json"
SEGMENT="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$WORK/segment.json")"
start=$(date +%s%N)
rows=$(curl -s "http://127.0.0.1:$PORT/api/v1/segments/$SEGMENT/export" -H "Authorization: Bearer $TOKEN" | wc -l)
echo "segment export: $((rows - 1)) members as CSV in $(( ($(date +%s%N) - start) / 1000000 )) ms"

cat >"$WORK/scores.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"query": "{ customers(first: 50) { nodes { id rfm { recencyDays frequency monetary r f m segment } churn { pAlive risk expectedPurchases(days: 90) } lifetimeValue(months: 12) { value } loyalty { score tier components { name value } } grade lifecycleStage completeness } } }"}'
LUA

cat >"$WORK/page.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"query": "{ customers(first: 50) { nodes { id displayName phone purchaseStats { orderCount monetaryTotal } orders(first: 5) { nodes { number total items { sku } } } interactions(first: 5) { nodes { type summary } } loyalty { balance } consents { granted } } } }"}'
LUA

ID="$(curl -s -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/api/v1/customers?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"][0]["id"])')"
run() {
  local name="$1" path="$2"
  local out
  out="$(wrk -t2 -c16 -d"$DURATION" --latency -H "Authorization: Bearer $TOKEN" ${3:+-s "$3"} "http://127.0.0.1:$PORT$path")"
  local rps p50 p99
  rps="$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
  p50="$(awk '$1=="50%" {print $2}' <<<"$out")"
  p99="$(awk '$1=="99%" {print $2}' <<<"$out")"
  printf '%-34s %10s req/s   p50 %8s   p99 %8s\n' "$name" "$rps" "$p50" "$p99"
}
echo "wrk: 2 threads, 16 connections, $DURATION each"
run "GET /customers/{id}" "/api/v1/customers/$ID"
run "GET /customers?limit=50" "/api/v1/customers?limit=50"
run "GET /customers?city=…&limit=50" "/api/v1/customers?city=%E4%B8%8A%E6%B5%B7%E5%B8%82&limit=50"
run "GET /customers?tag=vip&limit=20" "/api/v1/customers?tag=vip&limit=20"
run "GET /customers?q=customer1&limit=20" "/api/v1/customers?q=customer1&limit=20"
run "GET /customers/{id}/orders" "/api/v1/customers/$ID/orders?limit=20"
run "GET /customers/{id}/timeline" "/api/v1/customers/$ID/timeline?limit=20"
run "GET /orders?limit=50" "/api/v1/orders?limit=50"
run "GraphQL 50 customers + records" "/graphql" "$WORK/page.lua"
run "GET /customers/{id}/scores" "/api/v1/customers/$ID/scores"
run "GET /customers?limit=50&include=scores" "/api/v1/customers?limit=50&include=scores"
run "GraphQL 50 customers + every score" "/graphql" "$WORK/scores.lua"
run "GET /overview" "/api/v1/overview"
run "GET /segments/{id}/members?limit=50" "/api/v1/segments/$SEGMENT/members?limit=50"
echo "server RSS: $(ps -o rss= -p "$PID" | awk '{printf "%.1f MiB", $1/1024}')"
