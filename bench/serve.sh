#!/usr/bin/env bash
# Load test of `clv serve` on loopback with wrk (Debian's package): one-customer
# lookups and real-time scoring, each for a bounded time.
# Usage: bench/serve.sh [CUSTOMERS] [SECONDS] [CONNECTIONS] [WRK_THREADS]
#   (default: 100000 simulated customers, 10 s per load, 16 connections on 2 wrk threads)
# Prints wrk's requests/s and latency percentiles. Only 127.0.0.1 is a target.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100000}
secs=${2:-10}
conns=${3:-16}
threads=${4:-2}
command -v wrk > /dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 1; }
cargo build --release -p clv-cli
clv=$PWD/target/release/clv
out=bench-out
mkdir -p "$out"
csv="$out/serve-sim-$n.csv"
if [ ! -f "$csv" ]; then
  $clv simulate --customers "$n" --start 2024-01-01 --days 630 --acquisition-days 84 \
    --params r=0.243,alpha=4.414,a=0.793,b=2.426 --spend p=6.25,q=3.74,v=15.44 \
    --seed 1 --output "$csv" --quiet
fi
data=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
token=bench-token-0123456789
$clv serve --data "$data" --bind "127.0.0.1:$port" --token "$token" 2> "$out/serve.log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data"' EXIT
url="http://127.0.0.1:$port"
for _ in $(seq 100); do curl -sf "$url/healthz" > /dev/null && break; sleep 0.1; done
auth="Authorization: Bearer $token"
curl -sf -X POST "$url/api/datasets?name=sim" -H "$auth" --data-binary @"$csv" > /dev/null
id=$(curl -sf -X POST "$url/api/analyses" -H "$auth" -d '{"dataset":"sim"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
for _ in $(seq 600); do
  state=$(curl -sf "$url/api/jobs/$id" | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')
  [ "$state" = done ] && break
  [ "$state" = failed ] && { curl -s "$url/api/jobs/$id"; exit 1; }
  sleep 0.2
done
# The simulated ids are c0000001 ... ; look up random customers.
ids=$(curl -sf "$url/api/analyses/$id/customers?limit=1&sort=customer_id&order=asc" -H "$auth" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["customers"][0]["customer_id"])')
echo "customers: $n; first id: $ids; analysis $id"
cat > "$out/lookup.lua" <<LUA
local ids = {}
local n = 0
setup = function(thread) end
init = function(args)
  local f = io.popen('curl -sf "$url/api/analyses/$id/results/customers.csv" -H "$auth" | cut -d, -f1 | sed -n 2,20001p')
  for line in f:lines() do n = n + 1; ids[n] = line end
  f:close()
end
request = function()
  return wrk.format("GET", "/api/analyses/$id/customers/" .. ids[math.random(1, n)], {["Authorization"] = "Bearer $token"})
end
LUA
cat > "$out/score.lua" <<LUA
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer $token"
wrk.headers["Content-Type"] = "application/json"
request = function()
  local x = math.random(0, 20)
  local t = 40 + math.random() * 50
  local r = x == 0 and 0 or math.random() * t
  local body = string.format('{"frequency":%d,"recency":%.3f,"T":%.3f,"monetary_value":%.2f}', x, r, t, 10 + math.random() * 40)
  if x == 0 then body = string.format('{"frequency":0,"recency":0,"T":%.3f}', t) end
  return wrk.format(nil, "/api/analyses/$id/score", nil, body)
end
LUA
echo "== one-customer lookups (GET /api/analyses/{id}/customers/{customer_id}), ${secs} s"
timeout $((secs + 30)) wrk -t"$threads" -c"$conns" -d"${secs}s" --latency -s "$out/lookup.lua" "$url"
echo "== real-time scoring (POST /api/analyses/{id}/score), ${secs} s"
timeout $((secs + 30)) wrk -t"$threads" -c"$conns" -d"${secs}s" --latency -s "$out/score.lua" "$url"
# At the issue's rates: oha (crates.io: cargo install oha) sends a fixed rate
# and corrects latency for coordinated omission, so the percentiles are those
# of a client arriving at that rate, not of a closed loop.
if command -v oha > /dev/null; then
  echo "== oha: lookups at 20,000 requests/s, ${secs} s (random ids 1..99999)"
  timeout $((secs + 30)) oha --no-tui -z "${secs}s" -q 20000 --latency-correction -c 64 \
    -H "$auth" --rand-regex-url "$url/api/analyses/$id/customers/[1-9][0-9]{0,4}"
  echo "== oha: scoring at 10,000 requests/s, ${secs} s"
  timeout $((secs + 30)) oha --no-tui -z "${secs}s" -q 10000 --latency-correction -c 64 \
    -H "$auth" -H "Content-Type: application/json" -m POST \
    -d '{"frequency":3,"recency":40.5,"T":70.2,"monetary_value":35.5}' "$url/api/analyses/$id/score"
fi

