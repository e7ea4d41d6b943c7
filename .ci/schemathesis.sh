#!/usr/bin/env bash
# Runs schemathesis (PyPI) against `clv serve`'s /openapi.json and fails on any
# server error (5xx). Usage: .ci/schemathesis.sh PATH/TO/clv
# Installs schemathesis into a virtual environment under a temporary directory
# when it is not on PATH; the server runs on a free loopback port with its own
# data directory, and is stopped at the end.
set -euo pipefail
clv=$(realpath "$1")
cd "$(dirname "$0")/.."
work=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
if command -v schemathesis > /dev/null; then
  st=schemathesis
else
  python3 -m venv "$work/venv"
  "$work/venv/bin/pip" install -q --disable-pip-version-check schemathesis
  st="$work/venv/bin/schemathesis"
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
token=schemathesis-token-0123456789
"$clv" serve --data "$work/data" --bind "127.0.0.1:$port" --token "$token" 2> "$work/serve.log" &
pid=$!
url="http://127.0.0.1:$port"
for _ in $(seq 100); do curl -sf "$url/healthz" > /dev/null && break; sleep 0.1; done
auth="Authorization: Bearer $token"
curl -sf -X POST "$url/api/datasets?name=cdnow" -H "$auth" --data-binary @data/cdnow_sample.csv > /dev/null
id=$(curl -sf -X POST "$url/api/analyses" -H "$auth" -d '{"dataset":"cdnow","calibration_end":"1997-09-30"}' \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
for _ in $(seq 300); do
  state=$(curl -sf "$url/api/jobs/$id" | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')
  [ "$state" = done ] && break
  sleep 0.2
done
[ "$state" = done ] || { echo "the analysis did not finish: $state" >&2; exit 1; }
cat > "$work/st.toml" <<TOML
[parameters]
"path.id" = "$id"
"path.customer_id" = "1981"
"path.name" = "win_back"
"path.file" = "customers.csv"
TOML
cd "$work"
# 1. Every operation, reads and writes, on the real analysis (deletes left out
#    so the rest keep their data), then 2. everything with generated values.
echo "== schemathesis: every operation but DELETE, on a finished analysis"
"$st" --config-file "$work/st.toml" run "$url/openapi.json" -H "$auth" \
  --checks not_a_server_error --exclude-method DELETE -n 40 --generation-deterministic --no-color
echo "== schemathesis: every operation, generated values"
"$st" run "$url/openapi.json" -H "$auth" \
  --checks not_a_server_error -n 40 --generation-deterministic --no-color
if grep -q "internal error" "$work/serve.log"; then
  echo "the server logged internal errors:" >&2
  cat "$work/serve.log" >&2
  exit 1
fi
