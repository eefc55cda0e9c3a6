#!/usr/bin/env bash
# Measures bulk import and the duplicate scan at scale and prints the figures.
#
#   bench/import.sh                  # SQLite (a fresh file under a temp dir)
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/dossier_import bench/import.sh
#
# Generates BENCH_CUSTOMERS customers (default 100 000; one in a hundred entered twice under
# another external id, as duplicates) and BENCH_ORDERS orders (default 1 000 000) as CSV with
# Chinese headers, then imports them with `dossier import`, printing rows/s and the peak
# resident memory of each run (GNU time). A tenth-size orders file is imported first into the
# same database, so the two memory figures show whether memory grows with the file. The
# orders file is then imported again (every row found unchanged). Finally the server walks
# every duplicate pair (`/api/v1/duplicates`) and looks up the candidates of 1 000 customers.
# Nothing here asserts.
set -euo pipefail
cd "$(dirname "$0")/.."

CUSTOMERS="${BENCH_CUSTOMERS:-100000}"
ORDERS="${BENCH_ORDERS:-1000000}"
PORT="${BENCH_PORT:-18098}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}"

cargo build --release --quiet
BIN="$CARGO_TARGET_DIR/release/dossier"
WORK="$(mktemp -d)"
PID=""
trap 'if [[ -n "$PID" ]]; then kill "$PID" 2>/dev/null || true; fi; rm -rf "$WORK"' EXIT

if [[ -z "${DATABASE_URL:-}" ]]; then
  export DATABASE_URL="sqlite://$WORK/bench.db?mode=rwc"
elif [[ "$DATABASE_URL" == postgres* ]]; then
  db="${DATABASE_URL##*/}"
  admin="${DATABASE_URL%/*}/postgres"
  psql "$admin" -qc "DROP DATABASE IF EXISTS \"$db\"" -c "CREATE DATABASE \"$db\"" >/dev/null
fi
echo "database: ${DATABASE_URL%%\?*}"
export RUST_LOG=warn DOSSIER_JWT_SECRET="bench-secret-$(head -c 24 /dev/urandom | base64)"
"$BIN" migrate 2>/dev/null

# customers: 编号,姓名,手机,邮箱,城市,标签 — names drawn from common family and given names
# (so some namesakes share a city, as in life); every hundredth customer again under another id.
awk -v n="$CUSTOMERS" 'BEGIN {
  split("上海,北京,深圳,杭州,成都,Shanghai,广州,南京", city, ",");
  split("王,李,张,刘,陈,杨,黄,赵,吴,周,徐,孙,马,朱,胡,郭,何,高,林,罗", fam, ",");
  split("伟,芳,娜,敏,静,丽,强,磊,军,洋,勇,艳,杰,娟,涛,明,超,秀,霞,平,刚,桂,英,华,玉,萍,红,建,文,辉", giv, ",");
  print "客户编号,姓名,手机,邮箱,城市,标签";
  for (i = 0; i < n; i++) {
    c = city[i % 8 + 1];
    name = fam[i % 20 + 1] giv[int(i / 20) % 30 + 1] giv[int(i / 600) % 30 + 1];
    printf "C%06d,%s,138%08d,c%d@example.com,%s,%s\n", i, name, i, i, c, (i % 10 == 0 ? "vip" : "");
    if (i % 100 == 0) printf "D%06d,%s,+86 138 %08d,,%s,\n", i, name, i, c;
  }
}' > "$WORK/customers.csv"
# orders: 订单号,客户编号,下单时间,金额,已付金额,状态
orders_file() {
  awk -v n="$1" -v c="$CUSTOMERS" -v prefix="$2" 'BEGIN {
    srand(11);
    print "订单号,客户编号,下单时间,金额,已付金额,状态";
    for (i = 0; i < n; i++) {
      d = int(rand() * 700); t = sprintf("%.2f", 20 + rand() * 2000);
      printf "%s%07d,C%06d,%s,%s,%s,%s\n", prefix, i, int(rand() * c),
        strftime("%Y-%m-%d %H:%M:%S", 1700000000 + d * 86400 + int(rand() * 86400), 1), t,
        (i % 5 ? t : "0"), (i % 20 ? "completed" : "cancelled");
    }
  }' > "$WORK/$3"
}
orders_file $((ORDERS / 10)) "T" orders-small.csv
orders_file "$ORDERS" "SO" orders.csv
ls -l "$WORK"/*.csv | awk '{printf "  %s: %.1f MB\n", $NF, $5 / 1048576}' | sed "s#$WORK/##"

# Run an import, print rows/s and peak memory.
timed_import() {
  local label="$1"; shift
  /usr/bin/time -f "%e %M" -o "$WORK/time" "$BIN" import "$@" --source bench --json 2>/dev/null > "$WORK/job.json"
  read -r secs kb < "$WORK/time"
  python3 - "$label" "$secs" "$kb" "$WORK/job.json" <<'PY'
import json, sys
label, secs, kb, path = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
job = json.load(open(path))
print(f"{label}: {job['rows']} rows in {secs:.1f} s = {job['rows'] / secs:,.0f} rows/s; "
      f"created {job['created']}, updated {job['updated']}, unchanged {job['unchanged']}, "
      f"rejected {job['rejected']}; peak memory {kb / 1024:.0f} MiB")
PY
}
timed_import "import customers" customers "$WORK/customers.csv"
timed_import "import orders (tenth-size file)" orders "$WORK/orders-small.csv"
timed_import "import orders" orders "$WORK/orders.csv"
timed_import "re-run orders (all unchanged)" orders "$WORK/orders.csv"

"$BIN" user create --email bench@example.com --role admin --password bench-password-123 >/dev/null 2>&1
# No background refit while measuring (it would fit the models on a million orders).
# nor request buckets (the walk pages as fast as it can).
DOSSIER_SCORES_REFIT_HOURS=0 DOSSIER_RATE_LIMIT=off DOSSIER_RATE_LIMIT_ANONYMOUS=off DOSSIER_IN_FLIGHT_PER_PRINCIPAL=off \
  DOSSIER_BIND="127.0.0.1:$PORT" "$BIN" serve >"$WORK/server.log" 2>&1 &
PID=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.2; done
python3 - "$PORT" <<'PY'
import json, sys, time, urllib.request
port = sys.argv[1]
def call(path, token=None, body=None):
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = "Bearer " + token
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers,
                                 data=None if body is None else json.dumps(body).encode())
    return json.loads(urllib.request.urlopen(req).read())
token = call("/api/v1/auth/login", body={"email": "bench@example.com",
                                         "password": "bench-password-123"})["access_token"]
start, pairs, pages, cursor = time.time(), 0, 0, None
while True:
    page = call("/api/v1/duplicates?limit=200" + (f"&cursor={cursor}" if cursor else ""), token)
    pairs += len(page["data"]); pages += 1
    cursor = page.get("next_cursor")
    if not cursor:
        break
secs = time.time() - start
print(f"duplicate scan: {pairs} pairs sharing an identifier, {pages} pages, in {secs:.1f} s")
ids, cursor = [], None
while len(ids) < 1000:
    page = call("/api/v1/customers?limit=200" + (f"&cursor={cursor}" if cursor else ""), token)
    ids += [c["id"] for c in page["data"]]
    cursor = page.get("next_cursor")
start, found = time.time(), 0
for i in ids[:1000]:
    found += len(call(f"/api/v1/customers/{i}/duplicates", token)["data"])
secs = time.time() - start
print(f"candidates of one customer (name, phone, e-mail, code): 1000 lookups in {secs:.1f} s = "
      f"{1000 / secs:.0f}/s, {found} candidates")
PY
