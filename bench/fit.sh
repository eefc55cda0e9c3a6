#!/usr/bin/env bash
# Measures `dossier scores fit` (the fit and the score snapshot after it) on simulated
# customers and prints the figures.
#
#   bench/fit.sh                 # SQLite (a fresh file under a temp dir)
#   bench/fit.sh --pg            # PostgreSQL at 127.0.0.1:5432 (database dossier_fit, recreated)
#
# Two data sets, each imported with `dossier import` (customers, then orders; headers as
# bench/import.sh writes them) into a fresh database and fitted as of yesterday:
# - simulated: BENCH_CUSTOMERS customers (default 100 000) drawn from the BG/NBD model with
#   r 0.24, α 30.8 days (4.4 weeks), a 0.79, b 2.43, observed over 78 weeks, each customer's
#   first purchase uniform over the first half; order values from the Gamma-Gamma model with
#   p 6.25, q 3.74, γ 15.44 (the CDNOW estimates). The recovered parameters are printed next
#   to the true ones (several orders of a customer on one day count as one purchase, so the
#   truth is recovered only up to that).
# - degenerate: the same number of customers, each with exactly BENCH_SAME_ORDERS orders
#   (default 10) at uniform times over the 78 weeks: every customer buys at the same rate and
#   nobody drops out, so r, α and a run to their limits.
# For each: fit seconds (as the report states them), snapshot seconds (wall time of the run
# less the fit), the parameters, iterations, notes, and peak RSS (GNU time).
# BENCH_BIN names the binaries to compare instead of this checkout's (space-separated, for
# example main's and this one's): the data are imported once per data set, with the first,
# and each binary fits the same database in turn. Nothing here asserts.
set -euo pipefail
cd "$(dirname "$0")/.."

CUSTOMERS="${BENCH_CUSTOMERS:-100000}"
SAME_ORDERS="${BENCH_SAME_ORDERS:-10}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}"
PG=""
[[ "${1:-}" == "--pg" ]] && PG=1

if [[ -n "${BENCH_BIN:-}" ]]; then
  read -r -a BINS <<< "$BENCH_BIN"
else
  cargo build --release --quiet
  BINS=("$CARGO_TARGET_DIR/release/dossier")
fi
BIN="${BINS[0]}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
export RUST_LOG=warn DOSSIER_JWT_SECRET="bench-secret-$(head -c 24 /dev/urandom | base64)"
AS_OF="$(date -u -d yesterday +%F)"

python3 - "$WORK" "$CUSTOMERS" "$SAME_ORDERS" "$AS_OF" <<'PY'
import datetime, random, sys
work, n, same, as_of = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
end = datetime.datetime.fromisoformat(as_of).replace(tzinfo=datetime.timezone.utc) \
    + datetime.timedelta(days=1)
window = 78 * 7.0                      # days observed, up to the end of the as-of date
start = end - datetime.timedelta(days=window)
r, alpha, a, b = 0.24, 30.8, 0.79, 2.43
p, q, gamma = 6.25, 3.74, 15.44
with open(f"{work}/customers.csv", "w") as f:
    f.write("客户编号,姓名,手机,邮箱,城市,标签\n")
    for i in range(n):
        f.write(f"C{i:06d},客户{i},138{i:08d},c{i}@example.com,上海,\n")

def stamp(day):
    return (start + datetime.timedelta(days=day)).strftime("%Y-%m-%d %H:%M:%S")

rng = random.Random(2026)
orders = 0
with open(f"{work}/orders.csv", "w") as f:
    f.write("订单号,客户编号,下单时间,金额,已付金额,状态\n")
    for i in range(n):
        rate = rng.gammavariate(r, 1.0 / alpha)
        dropout = rng.betavariate(a, b)
        scale = rng.gammavariate(q, 1.0 / gamma)
        t = rng.uniform(0.0, window / 2)
        days = [t]
        while rate > 0:
            t += rng.expovariate(rate)
            if t >= window:
                break
            days.append(t)
            if rng.random() < dropout:
                break
        for d in days:
            value = max(0.01, rng.gammavariate(p, 1.0 / scale))
            orders += 1
            f.write(f"S{orders:08d},C{i:06d},{stamp(d)},{value:.2f},{value:.2f},completed\n")
with open(f"{work}/orders-same.csv", "w") as f:
    f.write("订单号,客户编号,下单时间,金额,已付金额,状态\n")
    k = 0
    for i in range(n):
        for _ in range(same):
            k += 1
            value = rng.uniform(5, 200)
            f.write(f"D{k:08d},C{i:06d},{stamp(rng.uniform(0, window))},{value:.2f},{value:.2f},completed\n")
print(f"data: {n} customers; simulated {orders} orders, degenerate {k} orders; as of {as_of}")
PY

fresh_db() {
  if [[ -n "$PG" ]]; then
    export DATABASE_URL="postgres://postgres@127.0.0.1:5432/dossier_fit?sslmode=disable"
    psql "postgres://postgres@127.0.0.1:5432/postgres" -qc "DROP DATABASE IF EXISTS dossier_fit" \
      -c "CREATE DATABASE dossier_fit" >/dev/null
  else
    rm -f "$WORK/fit.db"*
    export DATABASE_URL="sqlite://$WORK/fit.db?mode=rwc"
  fi
  "$BIN" migrate >/dev/null 2>&1
}

measure() {
  local label="$1" orders="$2" bin
  fresh_db
  "$BIN" import customers "$WORK/customers.csv" --source bench --json >/dev/null 2>&1
  "$BIN" import orders "$WORK/$orders" --source bench --json >/dev/null 2>&1
  for bin in "${BINS[@]}"; do
    /usr/bin/time -f "%e %M" -o "$WORK/time" "$bin" scores fit --as-of "$AS_OF" --json \
      > "$WORK/fit.json" 2>"$WORK/fit.err" || { cat "$WORK/fit.err"; return 1; }
    read -r secs kb < "$WORK/time"
    report "$label" "$bin" "$secs" "$kb"
  done
}

report() {
  python3 - "$1" "$2" "$3" "$4" "$WORK/fit.json" <<'PY'
import json, sys
label, bin, secs, kb, path = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
doc = json.load(open(path))
fit = doc["fit_seconds"]
print(f"{label}, {bin}:\n  {doc['customers']} customers, {doc['repeat_buyers']} repeat buyers; "
      f"fit {fit:.2f} s, snapshot {secs - fit:.2f} s ({doc['snapshot']['customers']} rows), "
      f"whole run {secs:.2f} s; peak RSS {kb / 1024:.0f} MiB")
def show(name, got, truth, iterations):
    if got is None:
        print(f"  {name}: not fitted")
        return
    cells = [f"{k} {got[k]:.4g}" + (f" (true {truth[k]:g})" if truth else "") for k in got]
    it = "n/a" if iterations is None else iterations
    print(f"  {name}: " + ", ".join(cells) + f"; iterations {it}")
truth = label.startswith("simulated")
show("BG/NBD (days)", doc.get("bgnbd"),
     {"r": 0.24, "alpha": 30.8, "a": 0.79, "b": 2.43} if truth else None,
     doc.get("bgnbd_iterations"))
show("Gamma-Gamma", doc.get("gamma_gamma"),
     {"p": 6.25, "q": 3.74, "gamma": 15.44} if truth else None,
     doc.get("gamma_gamma_iterations"))
for note in doc.get("notes", []):
    print(f"  note: {note}")
if doc.get("message"):
    print(f"  message: {doc['message']}")
PY
}

echo "database: $([[ -n "$PG" ]] && echo PostgreSQL || echo SQLite); binaries: ${BINS[*]}"
measure "simulated (BG/NBD r 0.24, α 30.8 d, a 0.79, b 2.43)" orders.csv
measure "degenerate (every customer $SAME_ORDERS orders, same rate)" orders-same.csv
