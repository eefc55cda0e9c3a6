#!/usr/bin/env bash
# Floods a local Dossier server the ways an abusive caller would, one flood at a time, and
# prints what each flood got back and what it cost everyone else: the status counts of the
# flood's requests, the p50/p99 of a cheap read (`GET /api/v1/customers/{id}` by another
# principal, every 50 ms) while the flood runs, and the server's largest resident memory.
#
#   bench/abuse.sh                # SQLite (a fresh file under a temp dir)
#   bench/abuse.sh --pg           # PostgreSQL at 127.0.0.1:5432 (database dossier_abuse, recreated)
#   DOSSIER_BIN=/path/to/dossier bench/abuse.sh    # an already built binary (skips the build)
#
# Loopback only; every flood is bounded in count and in time (ABUSE_SECONDS, default 15 s,
# per flood). Needs a release build (`cargo build --release`, done here unless DOSSIER_BIN is
# given), curl, psql for --pg, and Python 3.11's standard library. Nothing here asserts: it
# prints numbers to compare between commits and databases.
#
# Floods:
#   signin     300 failed sign-ins with random e-mails, 50 at a time
#   alias-val  GraphQL with 60 aliases of scoreValidation (analyst), 4 at a time
#   alias-ovw  GraphQL with 500 aliases of overview (analyst), 4 at a time
#   expensive  POST /api/v1/scores/validation by one analyst, 20 at a time
#   slow-body  50 connections sending a POST body at 1 byte per second
#   pool       GET /api/v1/customers?limit=200&include=scores, 64 at a time (slow reads)
#   key        1 200 GET /api/v1/customers?limit=20 by one API key, 50 at a time
set -euo pipefail
cd "$(dirname "$0")/.."

PG=0
for arg in "$@"; do
  case "$arg" in
    --pg) PG=1 ;;
    *) echo "usage: bench/abuse.sh [--pg]" >&2; exit 2 ;;
  esac
done
PORT="${ABUSE_PORT:-18098}"
SECONDS_PER_FLOOD="${ABUSE_SECONDS:-15}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}"

if [[ -n "${DOSSIER_BIN:-}" ]]; then
  BIN="$DOSSIER_BIN"
else
  cargo build --release --quiet
  BIN="$CARGO_TARGET_DIR/release/dossier"
fi
WORK="$(mktemp -d)"
PID=""
cleanup() {
  if [[ -n "$PID" ]]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

if [[ "$PG" == 1 ]]; then
  admin="postgres://postgres@127.0.0.1:5432/postgres"
  psql "$admin" -qc "DROP DATABASE IF EXISTS dossier_abuse" -c "CREATE DATABASE dossier_abuse" >/dev/null
  export DATABASE_URL="postgres://postgres@127.0.0.1:5432/dossier_abuse"
else
  export DATABASE_URL="sqlite://$WORK/abuse.db?mode=rwc"
fi
echo "database: ${DATABASE_URL%%\?*}"
echo "binary: $BIN"

# The probe reads one customer as support all along: its reads measure latency, so they are
# not held to the harvest limit (tests/api/ratelimit.rs shows that limit). Every other limit
# is the default one.
DOSSIER_BIND="127.0.0.1:$PORT" RUST_LOG=error DOSSIER_HARVEST_LIMIT=1000000/1h \
  "$BIN" serve --demo >"$WORK/server.log" 2>&1 &
PID=$!
# `--demo` answers /readyz 503 while it loads its data.
ready=0
for _ in $(seq 1 600); do
  if curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1; then ready=1; break; fi
  if ! kill -0 "$PID" 2>/dev/null; then break; fi
  sleep 0.5
done
if [[ "$ready" != 1 ]]; then
  echo "the server did not become ready; its log:" >&2
  tail -20 "$WORK/server.log" >&2
  exit 1
fi

python3 - "$PORT" "$PID" "$SECONDS_PER_FLOOD" <<'PY'
import http.client, json, random, socket, statistics, string, sys, threading, time, uuid

PORT, PID, BOUND = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
HOST = "127.0.0.1"


def request(method, path, body=None, headers=None, timeout=60):
    """One request on its own connection: (status, body bytes); status 0 on a failure."""
    conn = http.client.HTTPConnection(HOST, PORT, timeout=timeout)
    try:
        data = None if body is None else json.dumps(body).encode()
        h = {"content-type": "application/json"} if data is not None else {}
        h.update(headers or {})
        conn.request(method, path, body=data, headers=h)
        resp = conn.getresponse()
        return resp.status, resp.read()
    except (OSError, http.client.HTTPException):
        return 0, b""
    finally:
        conn.close()


def login(email, password):
    status, body = request("POST", "/api/v1/auth/login", {"email": email, "password": password})
    if status != 200:
        sys.exit(f"sign-in as {email} failed: {status} {body[:200]!r}")
    return json.loads(body)["access_token"]


def bearer(token):
    return {"authorization": "Bearer " + token}


def vm(field):
    """A /proc/PID/status figure in MiB."""
    with open(f"/proc/{PID}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


admin = login("admin@demo.dossier.test", "demo-admin-password")
analyst = login("analyst@demo.dossier.test", "demo-analyst-password")
support = login("support@demo.dossier.test", "demo-support-password")
status, body = request("POST", "/api/v1/api-keys",
                       {"name": "abuse bench", "scopes": ["customers:read"]}, bearer(admin))
if status != 201:
    sys.exit(f"creating the API key failed: {status} {body[:200]!r}")
key = json.loads(body)["key"]
status, body = request("GET", "/api/v1/customers?limit=1", headers=bearer(admin))
probe_id = json.loads(body)["data"][0]["id"]
PROBE_PATH = f"/api/v1/customers/{probe_id}"
PROBE_HEADERS = bearer(support)


class Probe(threading.Thread):
    """A cheap read every 50 ms by another principal, and the server's RSS every 100 ms."""

    def __init__(self):
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.latencies, self.failures, self.rss = [], 0, 0.0

    def sample(self):
        try:
            self.rss = max(self.rss, vm("VmRSS"))
        except OSError:
            pass

    def run(self):
        sampler = threading.Thread(target=self.sample_loop, daemon=True)
        sampler.start()
        while not self.stop.is_set():
            start = time.perf_counter()
            status, _ = request("GET", PROBE_PATH, headers=PROBE_HEADERS, timeout=30)
            if status == 200:
                self.latencies.append((time.perf_counter() - start) * 1000)
            else:
                self.failures += 1
            self.stop.wait(0.05)
        sampler.join()

    def sample_loop(self):
        while not self.stop.is_set():
            self.sample()
            time.sleep(0.1)
        self.sample()


def flood(name, jobs, concurrency, send):
    """Run `jobs` calls of `send(i)` (or as many as fit in BOUND seconds when jobs is None),
    `concurrency` at a time, while the probe runs; print one row."""
    counts, lock = {}, threading.Lock()
    deadline = time.monotonic() + (max(BOUND, 12.0) if name == "slow-body" else BOUND)
    next_job = iter(range(jobs if jobs is not None else 10**9))

    def worker():
        while time.monotonic() < deadline:
            with lock:
                i = next(next_job, None)
            if i is None:
                return
            status = send(i)
            with lock:
                counts[status] = counts.get(status, 0) + 1

    probe = Probe()
    probe.start()
    time.sleep(0.3)
    started = time.monotonic()
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    time.sleep(0.3)
    probe.stop.set()
    probe.join()
    lat = sorted(probe.latencies)
    p50 = statistics.median(lat) if lat else float("nan")
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] if lat else float("nan")
    statuses = " ".join(f"{k if k else 'err'}:{v}"
                        for k, v in sorted(counts.items(), key=lambda kv: str(kv[0])))
    failed = f" (probe failed {probe.failures})" if probe.failures else ""
    print(f"| {name:<10} | {statuses:<34} | {elapsed:6.1f} s | {p50:8.1f} ms | {p99:8.1f} ms | "
          f"{probe.rss:7.1f} MiB |{failed}", flush=True)


def signin(i):
    email = "".join(random.choices(string.ascii_lowercase, k=10)) + "@example.com"
    return request("POST", "/api/v1/auth/login",
                   {"email": email, "password": "wrong-password-" + uuid.uuid4().hex})[0]


def graphql(token, query):
    """The transport status, and the first error's code when the operation has errors."""
    def send(i):
        status, body = request("POST", "/graphql", {"query": query}, bearer(token))
        try:
            errors = json.loads(body).get("errors") or []
        except ValueError:
            errors = []
        if status == 200 and errors:
            return f"200/{errors[0].get('extensions', {}).get('code', '?')}"
        return status
    return send


validation_args = 'calibrationEnd: "2025-12-31", holdoutEnd: "2026-06-30"'
alias_validation = "{ " + " ".join(
    f"v{i}: scoreValidation({validation_args}) {{ mae customers }}" for i in range(60)) + " }"
alias_overview = "{ " + " ".join(
    f"o{i}: overview {{ customers }}" for i in range(500)) + " }"


def expensive(i):
    return request("POST", "/api/v1/scores/validation",
                   {"calibration_end": "2025-12-31", "holdout_end": "2026-06-30"},
                   bearer(analyst))[0]


def slow_body(i):
    """Announce a 1 000-byte body and send it a byte a second, for at most BOUND seconds."""
    bound = max(BOUND, 12.0)  # past the server's default body timeout (10 s)
    sock = socket.create_connection((HOST, PORT), timeout=bound + 10)
    try:
        sock.sendall((f"POST /api/v1/customers HTTP/1.1\r\nHost: {HOST}\r\n"
                      f"Authorization: Bearer {admin}\r\nContent-Type: application/json\r\n"
                      "Content-Length: 1000\r\n\r\n").encode())
        sock.setblocking(False)
        end = time.monotonic() + bound
        answer = b""
        while time.monotonic() < end:
            try:
                sock.send(b" ")
            except (BlockingIOError, OSError):
                break
            time.sleep(1)
            try:
                answer += sock.recv(4096)
                if answer:
                    break
            except BlockingIOError:
                pass
            except OSError:
                break
        if not answer:
            return "open"
        line = answer.split(b"\r\n", 1)[0].split()
        return int(line[1]) if len(line) > 1 and line[1].isdigit() else 0
    finally:
        sock.close()


def pool(i):
    return request("GET", "/api/v1/customers?limit=200&include=scores", headers=bearer(admin))[0]


def by_key(i):
    return request("GET", "/api/v1/customers?limit=20", headers={"x-api-key": key})[0]


print(f"each flood at most {BOUND:.0f} s; probe: GET {{customer}} as support every 50 ms")
print(f"server RSS before the floods: {vm('VmRSS'):.1f} MiB")
print("| flood      | statuses                           | time     | probe p50   | probe p99   | max RSS     |")
print("|------------|------------------------------------|----------|-------------|-------------|-------------|")
flood("signin", 300, 50, signin)
flood("alias-val", None, 4, graphql(analyst, alias_validation))
flood("alias-ovw", None, 4, graphql(analyst, alias_overview))
flood("expensive", None, 20, expensive)
flood("slow-body", 50, 50, slow_body)
flood("pool", None, 64, pool)
flood("key", 1200, 50, by_key)
print(f"server VmHWM (peak RSS) at the end: {vm('VmHWM'):.1f} MiB")
PY
