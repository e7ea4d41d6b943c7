#!/usr/bin/env bash
# The PostgreSQL source, rows streamed against the per-customer-and-day
# pushdown, on a throw-away local server: `orders` (one row per purchase, as
# `clv simulate` writes them) and `order_lines` (a quarter of the customers,
# each purchase split into four lines of the same day, so the pushdown sends
# a quarter of the rows). Wall time and peak memory of `clv summarize` from
# /usr/bin/time -v; the server runs on the same machine.
# Usage: bench/postgres.sh [CUSTOMERS]   (CLV=path/to/clv, PG_BIN=.../bin)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-340000}
out=bench-out
mkdir -p "$out"
clv=${CLV:-target/debug/clv}
[ -x "$clv" ] || cargo build -p clv-cli
bin=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)}
csv="$out/pg-sim-$n.csv"
if [ ! -f "$csv" ]; then
  "$clv" simulate --customers "$n" --start 2024-01-01 --days 630 --acquisition-days 84 \
    --params r=0.243,alpha=4.414,a=0.793,b=2.426 --spend p=6.25,q=3.74,v=15.44 \
    --seed 1 --output "$csv" --quiet
fi
csv=$(realpath "$csv")
dir=$(mktemp -d)
chmod 755 "$dir"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres: "$dir"
port=${PORT:-54329}
as_pg "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C --no-sync > "$dir/initdb.log"
as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off" start > /dev/null
trap 'as_pg "$bin/pg_ctl" -D "$dir/data" -m fast stop > /dev/null; rm -rf "$dir"' EXIT
psql=("$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -q -v ON_ERROR_STOP=1)
"${psql[@]}" -c "create table orders (customer_id bigint, date date, amount numeric(12,2))"
"${psql[@]}" -c "\\copy orders from '$csv' csv header"
"${psql[@]}" -c "create table order_lines as
  select o.customer_id, o.date, round(o.amount / 4, 2) as amount
  from orders o, generate_series(1, 4) where o.customer_id % 4 = 0; analyze orders; analyze order_lines"
url="postgres://postgres@127.0.0.1:$port/postgres"
echo "orders: $("${psql[@]}" -At -c 'select count(*) from orders') rows;" \
  "order_lines: $("${psql[@]}" -At -c 'select count(*) from order_lines') rows;" \
  "$(nproc) cores; clv: $clv"
for table in orders order_lines; do
  for pushdown in never always auto; do
    /usr/bin/time -v "$clv" summarize --source "$url" --source-table "$table" \
      --pushdown "$pushdown" --output "$out/pg-summary-$table-$pushdown.csv" 2> "$out/pg-time.txt"
    wall=$(grep 'Elapsed (wall clock)' "$out/pg-time.txt" | awk '{print $NF}')
    rss=$(grep 'Maximum resident set size' "$out/pg-time.txt" | awk '{print $NF}')
    path=$(grep -o 'PostgreSQL reader[^)]*)\?' "$out/pg-time.txt" | head -1)
    echo "$table --pushdown $pushdown: wall $wall, peak RSS $((rss / 1024)) MB; $path"
  done
  cmp "$out/pg-summary-$table-never.csv" "$out/pg-summary-$table-always.csv" \
    && echo "$table: the two summaries are identical"
done
