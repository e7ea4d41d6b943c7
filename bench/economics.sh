#!/usr/bin/env bash
# `clv economics` benchmark: 1,000,000 simulated customers in four channels
# (~3 million purchases), with the customers file (1,000,000 rows), the
# monthly spend file and a fitted model (model LTV and projected payback).
# Usage: bench/economics.sh [CUSTOMERS] [CLV]   (needs /usr/bin/time; uses hyperfine if installed)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
clv=${2:-target/release/clv}
out=bench-out
mkdir -p "$out"
[ -x "$clv" ] || cargo build --release -p clv-cli
tx="$out/econ-$n.csv"
if [ ! -f "$tx" ]; then
  $clv simulate --customers "$n" --start 2024-01-01 --days 770 --acquisition-days 120 \
    --params r=0.243,alpha=4.414,a=0.793,b=2.426 --spend p=6.25,q=3.74,v=15.44 --seed 1 \
    --channels "search:0.4:45:1.0:1.0,social:0.3:30:0.6:0.8,display:0.1:60:0.5:0.9,referral:0.2:12:1.4:1.1" \
    --output "$tx" --customers-output "$out/econ-$n-customers.csv" --spend-output "$out/econ-$n-spend.csv"
  $clv fit "$tx" --model bg-nbd --spend gamma-gamma --output "$out/econ-$n-model.json"
fi
echo "input: $(($(wc -l < "$tx") - 1)) purchases, $(($(wc -l < "$out/econ-$n-customers.csv") - 1)) customers"
cmd=("$clv" economics "$tx" --customers "$out/econ-$n-customers.csv" --spend "$out/econ-$n-spend.csv"
  --margin 0.4 --cost-to-serve 1 --cost-period month --model-file "$out/econ-$n-model.json"
  --horizon "24 months" --format json --output "$out/econ.json" --heatmap "$out/econ.svg")
for i in 1 2 3; do
  /usr/bin/time -f "economics: %e s wall, %U s user, %M KB peak RSS" "${cmd[@]}" 2> "$out/stderr.txt" \
    || { cat "$out/stderr.txt"; exit 1; }
  tail -n 1 "$out/stderr.txt"
done
if command -v hyperfine > /dev/null; then
  hyperfine -w 1 -r 5 "$(printf '%q ' "${cmd[@]}")-q"
fi
