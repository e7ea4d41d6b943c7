#!/usr/bin/env bash
# Scale benchmark: simulated transaction logs of 1M, 10M, 100M purchases (CSV
# and Parquet), each taken from the raw file to every customer's prediction
# written (`clv predict --model bg-nbd --spend gamma-gamma`, one pass), by the
# embedded engine reading the file directly and through `--query` (DataFusion
# SQL), and from PostgreSQL when CLV_BENCH_PG is set: to a server URL, or to
# `local` for a throw-away server on this machine (initdb under a temporary
# directory, port 54330, fsync off; stopped at the end). The log is loaded
# with psql's \copy first (not timed), then read with `--source URL
# --source-table T` (streamed; `--pushdown auto`).
# Every run is timed with /usr/bin/time (wall, user + sys CPU, peak RSS) and
# printed as a Markdown table row.
#
# Usage: bench/scale.sh [SIZES...]     sizes in purchases: 1M 10M 100M (default: 1M 10M)
# Data goes to bench-out/ (about 2.6 GB of CSV and 1 GB of Parquet for 100M).
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1M 10M)
out=bench-out
mkdir -p "$out"
cargo build --release -p clv-cli
clv=$PWD/target/release/clv

purchases() { # 1M -> 1000000
  local s=$1
  case $s in
    *M) echo $(( ${s%M} * 1000000 )) ;;
    *K) echo $(( ${s%K} * 1000 )) ;;
    *) echo "$s" ;;
  esac
}

row() { # label, command... : one Markdown row with wall, CPU and peak memory
  local label=$1; shift
  if /usr/bin/time -f "%e %U %S %M" -o "$out/time.txt" "$@" > /dev/null 2> "$out/stderr.txt"; then
    read -r wall user sys kb < "$out/time.txt"
    printf '| %s | %.2f s | %.2f s | %.2f GB |\n' "$label" "$wall" "$(echo "$user + $sys" | bc)" \
      "$(echo "scale=3; $kb / 1048576" | bc)"
  else
    echo "| $label | failed: $(tail -n 1 "$out/stderr.txt") | | |"
  fi
}

if [ "${CLV_BENCH_PG:-}" = local ]; then
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  pgdir=$(mktemp -d)
  chmod 755 "$pgdir"
  as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
  [ "$(id -u)" = 0 ] && chown postgres: "$pgdir"
  as_pg "$bin/initdb" -D "$pgdir/data" -U postgres --auth=trust -E UTF8 --locale=C --no-sync > "$pgdir/initdb.log"
  as_pg "$bin/pg_ctl" -D "$pgdir/data" -l "$pgdir/server.log" -w \
    -o "-p 54330 -k $pgdir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off" start > /dev/null
  trap 'as_pg "$bin/pg_ctl" -D "$pgdir/data" -m fast stop > /dev/null; rm -rf "$pgdir"' EXIT
  CLV_BENCH_PG="postgres://postgres@127.0.0.1:54330/postgres"
fi

echo "| run | wall | CPU (user + sys) | peak memory |"
echo "|---|---|---|---|"
for size in "${sizes[@]}"; do
  n=$(purchases "$size")
  # CDNOW's fitted parameters (weeks) over 546 days give 2.7 purchases per
  # customer: 0.37 customers per purchase.
  customers=$(( n * 37 / 100 ))
  sim=(simulate --customers "$customers" --start 2024-01-01 --days 546
       --params r=0.243,alpha=4.414,a=0.793,b=2.426 --seed 1 -q)
  csv="$out/scale-$size.csv"
  parquet="$out/scale-$size.parquet"
  row "$size: clv simulate, CSV" "$clv" "${sim[@]}" --output "$csv"
  row "$size: clv simulate, Parquet" "$clv" "${sim[@]}" --output "$parquet"
  echo "<!-- $size: $(( $(wc -l < "$csv") - 1 )) purchases, $customers customers, CSV $(du -m "$csv" | cut -f1) MB, Parquet $(du -m "$parquet" | cut -f1) MB -->"
  predict=(predict --model bg-nbd --spend gamma-gamma --horizon "12 months" --output "$out/pred.csv" -q)
  row "$size: predict, CSV" "$clv" "${predict[@]}" "$csv"
  row "$size: predict, Parquet" "$clv" "${predict[@]}" "$parquet"
  row "$size: predict, --query over the Parquet file" "$clv" "${predict[@]}" "$parquet" \
    --query "SELECT customer_id, date, amount FROM \"scale-${size,,}\" WHERE amount > 0"
  if [ -n "${CLV_BENCH_PG:-}" ]; then
    table="scale_${size,,}"
    psql "$CLV_BENCH_PG" -q -v ON_ERROR_STOP=1 \
      -c "DROP TABLE IF EXISTS $table" \
      -c "CREATE TABLE $table (customer_id bigint, date date, amount numeric(12,2))" \
      -c "\\copy $table FROM '$(realpath "$csv")' WITH (FORMAT csv, HEADER true)" \
      -c "ANALYZE $table" > /dev/null
    row "$size: predict, PostgreSQL source" "$clv" "${predict[@]}" \
      --source "$CLV_BENCH_PG" --source-table "$table"
  fi
done
rm -f "$out/pred.csv"
