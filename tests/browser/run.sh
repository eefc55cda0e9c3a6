#!/usr/bin/env bash
# Swagger UI (/docs/) and GraphiQL (/graphql) used in a real browser, offline, against a
# fresh demo server: sign in, send a request from each page, see customers come back, and
# check where each page keeps the token. Usage: tests/browser/run.sh DOSSIER_BINARY
#
# The browser is Debian's chromium (installed with apt when /usr/bin/chromium is missing),
# driven by playwright-core; no tool downloads a browser of its own. Every request to
# anything but the demo server is refused and fails the run.
#
# Environment:
#   DOSSIER_ARTIFACTS  where the screenshots go (default $CARGO_TARGET_DIR/../ci-artifacts,
#                      else /tmp/dossier-ci-artifacts); a browser/ directory in it
#   NPM_CONFIG_CACHE   npm's cache (default ~/.cache/dossier-ci/npm, outside the clone)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
[ $# -eq 1 ] || { echo "usage: $0 DOSSIER_BINARY" >&2; exit 2; }
[ -x "$1" ] || { echo "FAIL: $1 is not an executable dossier binary" >&2; exit 2; }
bin="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
if [ -n "${DOSSIER_ARTIFACTS:-}" ]; then
  artifacts="$DOSSIER_ARTIFACTS"
elif [ -n "${CARGO_TARGET_DIR:-}" ]; then
  artifacts="$(dirname "$CARGO_TARGET_DIR")/ci-artifacts"
else
  artifacts=/tmp/dossier-ci-artifacts
fi
artifacts="$artifacts/browser"
mkdir -p "$artifacts"
rm -f "$artifacts"/*.png

if [ ! -x /usr/bin/chromium ]; then
  echo "--- installing Debian's chromium"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
# The demo's names are Chinese; without a CJK font the screenshots show boxes.
if [ -z "$(fc-list :lang=zh 2>/dev/null)" ]; then
  echo "--- installing a Chinese font for the screenshots"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-zenhei >/dev/null; } ||
    echo "(no Chinese font: screenshots will show boxes; the checks do not depend on it)"
fi
echo "--- $(/usr/bin/chromium --version 2>/dev/null)"

export NPM_CONFIG_CACHE="${NPM_CONFIG_CACHE:-$HOME/.cache/dossier-ci/npm}"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
(cd "$here" && npm ci --no-audit --no-fund --loglevel=error)

work="$(mktemp -d)"
pid=""
cleanup() {
  if [ -n "$pid" ]; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
DATABASE_URL="sqlite://$work/browser.db?mode=rwc" DOSSIER_BIND="127.0.0.1:$port" \
  DOSSIER_JWT_SECRET="browser-check-secret-0123456789abcdef" \
  "$bin" serve --demo >"$work/serve.log" 2>&1 &
pid=$!
ready=""
for _ in $(seq 1 180); do
  if curl -sf "$base/readyz" >/dev/null; then ready=1; break; fi
  kill -0 "$pid" 2>/dev/null || break
  sleep 1
done
if [ -z "$ready" ]; then
  echo "FAIL: the demo server did not become ready at $base:" >&2
  tail -n 20 "$work/serve.log" >&2
  exit 1
fi

echo "--- browser checks against $base; screenshots in $artifacts"
if ! DOSSIER_URL="$base" DOSSIER_ARTIFACTS="$artifacts" node "$here/ui.mjs"; then
  echo "FAIL: the browser checks failed; the server's last log lines:" >&2
  tail -n 20 "$work/serve.log" >&2
  exit 1
fi
