#!/usr/bin/env bash
# The browser bundles GET /graphql serves, vendored unmodified from the npm registry.
#
#   assets/vendor/refresh.sh [verify]  recompute the SHA-256 of every vendored file and compare
#                                      it with MANIFEST; fails on a mismatch, a missing file or a
#                                      file MANIFEST does not list (the default; CI runs it)
#   assets/vendor/refresh.sh refresh   download the pinned versions below with `npm pack`,
#                                      copy their files and licences here, rewrite MANIFEST
#
# To upgrade, change a version below, run `refresh`, then rename the versioned asset in
# src/graphql/assets.rs (its URL carries the version, so browsers never mix two releases).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
manifest="$here/MANIFEST"

# package version then "file in the package:file here" pairs.
PINS=(
  "graphiql 4.1.2 graphiql.min.js:graphiql/graphiql.min.js graphiql.min.css:graphiql/graphiql.min.css LICENSE:graphiql/LICENSE"
  "react 18.3.1 umd/react.production.min.js:react/react.production.min.js LICENSE:react/LICENSE"
  "react-dom 18.3.1 umd/react-dom.production.min.js:react-dom/react-dom.production.min.js LICENSE:react-dom/LICENSE"
)

verify() {
  local bad=0 listed package version file sum source actual
  [ -f "$manifest" ] || { echo "FAIL: $manifest is missing" >&2; exit 1; }
  listed="$(mktemp)"
  while read -r package version file sum source _; do
    case "$package" in '' | '#'*) continue ;; esac
    echo "$file" >>"$listed"
    if [ ! -f "$here/$file" ]; then
      echo "FAIL: $file ($package $version) is missing" >&2
      bad=1
      continue
    fi
    actual="$(sha256sum "$here/$file" | cut -d' ' -f1)"
    if [ "$actual" != "$sum" ]; then
      echo "FAIL: $file is not $package $version from $source: sha256 $actual, MANIFEST says $sum" >&2
      bad=1
    fi
  done <"$manifest"
  # Every file here is listed, but for this script, its manifest and .gitattributes.
  while read -r file; do
    if ! grep -qxF "$file" "$listed"; then
      echo "FAIL: $file is not in MANIFEST" >&2
      bad=1
    fi
  done < <(cd "$here" && find . -type f ! -name MANIFEST ! -name refresh.sh ! -name .gitattributes | sed 's|^\./||' | sort)
  rm -f "$listed"
  [ "$bad" -eq 0 ] || exit 1
  echo "vendored bundles match MANIFEST ($(grep -cv '^#' "$manifest") files)"
}

refresh() {
  local work pin package version spec packed tarball integrity from to sum
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' RETURN
  export NPM_CONFIG_CACHE="${NPM_CONFIG_CACHE:-$HOME/.cache/dossier-ci/npm}"
  {
    echo "# Browser bundles served by GET /graphql, unmodified from the npm registry."
    echo "# Written by refresh.sh refresh; checked by refresh.sh verify. Columns: package,"
    echo "# version, file (relative to this directory), its SHA-256, the source tarball and"
    echo "# the tarball's integrity as the registry publishes it."
  } >"$work/MANIFEST"
  for pin in "${PINS[@]}"; do
    read -r package version spec <<<"$pin"
    mkdir -p "$work/$package"
    packed="$(cd "$work/$package" && npm pack --silent --json "$package@$version")"
    tarball="$(npm view "$package@$version" dist.tarball)"
    integrity="$(node -e 'const p = JSON.parse(process.argv[1])[0]; process.stdout.write(p.integrity)' "$packed")"
    tar -xzf "$work/$package/$package-$version.tgz" -C "$work/$package"
    for pair in $spec; do
      from="${pair%%:*}"
      to="${pair#*:}"
      mkdir -p "$here/$(dirname "$to")"
      cp "$work/$package/package/$from" "$here/$to"
      sum="$(sha256sum "$here/$to" | cut -d' ' -f1)"
      echo "$package $version $to $sum $tarball $integrity" >>"$work/MANIFEST"
      echo "$package@$version $from -> $to ($(wc -c <"$here/$to") bytes)"
    done
  done
  cp "$work/MANIFEST" "$manifest"
  verify
}

case "${1:-verify}" in
  verify) verify ;;
  refresh) refresh ;;
  *)
    echo "usage: $0 [verify|refresh]" >&2
    exit 2
    ;;
esac
