#!/usr/bin/env python3
"""Runs every example of README.md as written against a fresh demo server.

Usage: tests/readme/run.py DOSSIER_BINARY

The `sh` blocks run in order in one bash session (so `TOKEN`, `ID`… carry over), inside a
scratch directory holding the demo's `dossier.db`, with `dossier` on the PATH and `curl`
failing on any HTTP error. The `graphql` blocks are posted to /graphql with the variables
`id` (the customer the examples created) and `version` (its current version) and must come
back without errors. Blocks that build or test the project (`cargo …`) are CI's own steps
and are skipped. The server listens on 127.0.0.1:8080 as the README says; if that port is
taken, on a free one, and the examples' URLs are pointed at it.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def blocks(readme):
    lines = readme.split("\n")
    i = 0
    while i < len(lines):
        m = re.match(r"^```(\w*)\s*$", lines[i])
        if not m:
            i += 1
            continue
        j = i + 1
        while not lines[j].startswith("```"):
            j += 1
        yield m.group(1), i + 1, "\n".join(lines[i + 1 : j])
        i = j + 1


def free(port):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def main():
    binary = os.path.abspath(sys.argv[1])
    readme = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    work = tempfile.mkdtemp(prefix="dossier-readme-")
    bindir = os.path.join(work, "bin")
    os.makedirs(bindir)
    os.symlink(binary, os.path.join(bindir, "dossier"))
    port = 8080
    if not free(port):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        print(f"127.0.0.1:8080 is taken: the examples run against 127.0.0.1:{port}")
    env = dict(os.environ, PATH=bindir + os.pathsep + os.environ["PATH"])
    env.pop("DATABASE_URL", None)
    env["DOSSIER_BIND"] = f"127.0.0.1:{port}"
    env["DOSSIER_JWT_SECRET"] = "readme-examples-secret-0123456789abcdef"
    log = open(os.path.join(work, "serve.log"), "w")
    server = subprocess.Popen(["dossier", "serve", "--demo"], cwd=work, env=env, stdout=log, stderr=log)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(180):
            try:
                if urllib.request.urlopen(base + "/readyz", timeout=2).status == 200:
                    break
            except OSError:
                time.sleep(1)
        else:
            sys.exit("the demo server did not become ready")
        script = [
            "set -euo pipefail",
            # Every example must succeed: an HTTP error fails it, with the body shown.
            'curl() { command curl --fail-with-body "$@"; }',
            "gql() {",
            '  local version',
            '  version=$(command curl -sf "' + base + '/api/v1/customers/$ID" -H "Authorization: Bearer $TOKEN" | jq .version)',
            '  jq -n --arg q "$1" --arg id "$ID" --argjson v "$version" \'{query: $q, variables: {id: $id, version: $v}}\' |',
            '    command curl -sf "' + base + '/graphql" -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d @- > gql.json',
            '  if jq -e ".errors" gql.json >/dev/null; then cat gql.json; return 1; fi',
            '  jq -c . gql.json | cut -c1-300',
            "}",
        ]
        count = 0
        for lang, line, text in blocks(readme):
            if lang in ("sh", "bash"):
                if re.search(r"(^|\s)cargo\s", text):
                    continue
                text = text.replace("127.0.0.1:8080", f"127.0.0.1:{port}")
                script.append(f"echo; echo '--- README.md line {line}'")
                script.append(text)
                count += 1
            elif lang == "graphql":
                script.append(f"echo; echo '--- README.md line {line} (GraphQL)'")
                script.append("gql " + "'" + text.replace("'", "'\\''") + "'")
                count += 1
        path = os.path.join(work, "examples.sh")
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(script) + "\n")
        result = subprocess.run(["bash", path], cwd=work, env=env)
        if result.returncode != 0:
            print(f"\nFAIL: a README example failed (script: {path}); server log:", file=sys.stderr)
            log.flush()
            print(open(os.path.join(work, "serve.log")).read()[-3000:], file=sys.stderr)
            sys.exit(1)
        print(f"\n--- all {count} README examples ran as written")
    finally:
        server.terminate()
        server.wait(timeout=30)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
